// Package cache holds the caches Sentinel replicas share through Redis and
// fall back from to in-process memory: identity providers' key sets (JWKS)
// and the token denylist.
//
// A nil Redis client means a single node: everything lives in process. A
// configured Redis that stops answering is handled per cache: the JWKS cache
// keeps serving from memory and direct fetches (a key set is public and
// re-fetchable), while the denylist fails closed (it cannot say "not
// revoked" without asking).
package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// JWKSOptions tune a JWKS cache; the zero value gives the defaults noted.
type JWKSOptions struct {
	// Prefix starts every Redis key ("sentinel:").
	Prefix string
	// MinTTL and MaxTTL bound the lifetime taken from Cache-Control max-age
	// (1 min, 24 h); DefaultTTL applies without one (15 min).
	MinTTL, MaxTTL, DefaultTTL time.Duration
	// RefreshInterval is the least time between two refreshes of one URL
	// asked for by callers that met an unknown kid (10 s).
	RefreshInterval time.Duration
	// MaxBytes is the largest JWKS document accepted (1 MiB).
	MaxBytes int64
	// HTTPTimeout bounds one fetch, redirects included (10 s).
	HTTPTimeout time.Duration
	// Transport carries the HTTP requests (a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// RedisTimeout bounds one Redis call (300 ms); RedisRetry is how long an
	// unreachable Redis is left alone before it is tried again (5 s).
	RedisTimeout, RedisRetry time.Duration
	// Logger receives the Redis up/down transitions (slog.Default()).
	Logger *slog.Logger
	// Registerer, when set, receives the cache's metrics.
	Registerer prometheus.Registerer
	// Now is the clock (time.Now); tests move it.
	Now func() time.Time
}

func (o *JWKSOptions) normalize() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.Prefix == "" {
		o.Prefix = "sentinel:"
	}
	def(&o.MinTTL, time.Minute)
	def(&o.MaxTTL, 24*time.Hour)
	def(&o.DefaultTTL, 15*time.Minute)
	def(&o.RefreshInterval, 10*time.Second)
	def(&o.HTTPTimeout, 10*time.Second)
	def(&o.RedisTimeout, 300*time.Millisecond)
	def(&o.RedisRetry, 5*time.Second)
	if o.MaxBytes == 0 {
		o.MaxBytes = 1 << 20
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.MinTTL < 0 || o.MaxTTL < o.MinTTL:
		return fmt.Errorf("JWKS TTL bounds [%v, %v] are not a range", o.MinTTL, o.MaxTTL)
	case o.DefaultTTL < o.MinTTL || o.DefaultTTL > o.MaxTTL:
		return fmt.Errorf("JWKS default TTL %v is outside [%v, %v]", o.DefaultTTL, o.MinTTL, o.MaxTTL)
	case o.RefreshInterval < 0 || o.MaxBytes < 0 || o.HTTPTimeout < 0 || o.RedisTimeout < 0 || o.RedisRetry < 0:
		return errors.New("JWKS options: negative interval, timeout or size")
	}
	return nil
}

// JWKS caches identity providers' key sets by URL: in process, and in Redis
// when one is configured so a set fetched by one replica serves them all.
// Concurrent misses for one URL share one fetch; refreshes forced by an
// unknown kid are rate-limited per URL. Use one JWKS for many URLs; the URLs
// should come from configuration (each known URL keeps one entry).
type JWKS struct {
	rdb     redis.UniversalClient
	opt     JWKSOptions
	ttl     ttlBounds
	client  *http.Client
	health  *health
	flights singleflight.Group
	m       jwksMetrics

	mu       sync.RWMutex
	entries  map[string]*entry
	attempts map[string]time.Time // last refresh fetch per URL, successful or not
}

// entry is one key set as fetched.
type entry struct {
	body      []byte
	fetchedAt time.Time
	expiresAt time.Time
}

func (e *entry) fresh(now time.Time) bool { return e != nil && now.Before(e.expiresAt) }

// NewJWKS returns a JWKS cache backed by rdb, or in process only when rdb is
// nil. It fails on inconsistent options or when the metrics cannot be
// registered.
func NewJWKS(rdb redis.UniversalClient, opt JWKSOptions) (*JWKS, error) {
	if err := opt.normalize(); err != nil {
		return nil, err
	}
	m, err := newJWKSMetrics(opt.Registerer)
	if err != nil {
		return nil, err
	}
	c := &JWKS{
		rdb:      rdb,
		opt:      opt,
		ttl:      ttlBounds{min: opt.MinTTL, max: opt.MaxTTL, def: opt.DefaultTTL},
		client:   newHTTPClient(opt.Transport, opt.HTTPTimeout),
		m:        m,
		entries:  map[string]*entry{},
		attempts: map[string]time.Time{},
	}
	c.health = &health{log: opt.Logger, cache: "jwks", fallback: "in-process cache and direct fetches",
		retry: opt.RedisRetry, onSet: m.setRedisUp}
	m.setRedisUp(rdb != nil)
	return c, nil
}

// Fetch returns the JWKS document served at jwksURL: a validated JWK set of
// at least one key, each with a kid. With refresh false a fresh cached set
// is returned and only a missing or expired one is fetched. With refresh
// true (the caller met a kid it does not know) the set is fetched again,
// unless that URL was refreshed within the refresh interval: then the
// cached set is returned. The returned slice is the caller's own.
func (c *JWKS) Fetch(ctx context.Context, jwksURL string, refresh bool) ([]byte, error) {
	if e := c.usableLocal(jwksURL, refresh, c.opt.Now()); e != nil {
		c.m.served(refresh, "memory")
		return bytes.Clone(e.body), nil
	}
	// Only URLs that passed this check are ever cached.
	if _, err := checkURL(jwksURL); err != nil {
		return nil, err
	}
	key := "get\x00" + jwksURL
	if refresh {
		key = "refresh\x00" + jwksURL
	}
	// The flight outlives any one caller: a caller that gives up must not
	// cancel the fetch the others wait for. It is bounded by the HTTP and
	// Redis timeouts instead.
	flight := c.flights.DoChan(key, func() (any, error) {
		return c.load(context.WithoutCancel(ctx), jwksURL, refresh)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("fetch JWKS %s: %w", jwksURL, ctx.Err())
	case r := <-flight:
		if r.Err != nil {
			return nil, r.Err
		}
		return bytes.Clone(r.Val.(*entry).body), nil
	}
}

// usableLocal returns the in-process entry when it answers the call:
// fresh, and for a refresh also refreshed (or tried) too recently to fetch.
func (c *JWKS) usableLocal(u string, refresh bool, now time.Time) *entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[u]
	if !e.fresh(now) {
		return nil
	}
	if refresh && now.Sub(e.fetchedAt) >= c.opt.RefreshInterval &&
		now.Sub(c.attempts[u]) >= c.opt.RefreshInterval {
		return nil
	}
	return e
}

// load runs once per flight: memory again (a flight that just ended may have
// done the work), then Redis, then the identity provider.
func (c *JWKS) load(ctx context.Context, u string, refresh bool) (*entry, error) {
	now := c.opt.Now()
	if e := c.usableLocal(u, refresh, now); e != nil {
		c.m.served(refresh, "memory")
		return e, nil
	}
	if e := c.fromRedis(ctx, u, now); e.fresh(now) && (!refresh || now.Sub(e.fetchedAt) < c.opt.RefreshInterval) {
		c.keep(u, e, false, now)
		c.m.served(refresh, "redis")
		return e, nil
	}
	body, hdr, err := download(ctx, c.client, u, c.opt.MaxBytes)
	if err != nil {
		c.keep(u, nil, refresh, now)
		c.m.fetches.WithLabelValues("error").Inc()
		return nil, fmt.Errorf("fetch JWKS %s: %w", u, err)
	}
	c.m.fetches.WithLabelValues("ok").Inc()
	c.m.served(refresh, "fetch")
	e := &entry{body: body, fetchedAt: now, expiresAt: now.Add(c.ttl.ttl(hdr))}
	c.keep(u, e, refresh, now)
	c.toRedis(ctx, u, e, now)
	return e, nil
}

// keep stores e (when not nil) and, for a refresh fetch, when it was tried.
func (c *JWKS) keep(u string, e *entry, attempted bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e != nil {
		c.entries[u] = e
	}
	if attempted {
		c.attempts[u] = now
	}
}

// redisKey names a URL's entry; hashing keeps keys short and free of
// whatever characters the URL holds.
func (c *JWKS) redisKey(u string) string {
	sum := sha256.Sum256([]byte(u))
	return c.opt.Prefix + "jwks:" + hex.EncodeToString(sum[:])
}

// fromRedis returns the entry another replica (or this one) stored, or nil
// when there is none, it is unreadable, or Redis is unavailable.
func (c *JWKS) fromRedis(ctx context.Context, u string, now time.Time) *entry {
	if c.rdb == nil || !c.health.usable(now) {
		return nil
	}
	raw, err := redisOp(ctx, c.opt.RedisTimeout, func(ctx context.Context) ([]byte, error) {
		return c.rdb.Get(ctx, c.redisKey(u)).Bytes()
	})
	c.health.report(now, err)
	if err != nil {
		return nil
	}
	e, err := decodeEntry(raw)
	if err != nil {
		c.opt.Logger.Warn("ignoring unreadable JWKS entry in redis", "url", u, "error", err.Error())
		return nil
	}
	return e
}

// toRedis shares e with the other replicas until it expires.
func (c *JWKS) toRedis(ctx context.Context, u string, e *entry, now time.Time) {
	ttl := e.expiresAt.Sub(now)
	if c.rdb == nil || ttl <= 0 || !c.health.usable(now) {
		return
	}
	_, err := redisOp(ctx, c.opt.RedisTimeout, func(ctx context.Context) (string, error) {
		return c.rdb.Set(ctx, c.redisKey(u), encodeEntry(e), ttl).Result()
	})
	c.health.report(now, err)
}

// The Redis value is a version byte, fetchedAt and expiresAt in Unix
// milliseconds (big endian), then the JWKS document as fetched.
const entryVersion = 1

func encodeEntry(e *entry) []byte {
	b := make([]byte, 17, 17+len(e.body))
	b[0] = entryVersion
	binary.BigEndian.PutUint64(b[1:], uint64(e.fetchedAt.UnixMilli()))
	binary.BigEndian.PutUint64(b[9:], uint64(e.expiresAt.UnixMilli()))
	return append(b, e.body...)
}

// decodeEntry reads and re-validates a stored entry: Redis is shared, and
// a document that would not be accepted from the network is not accepted
// from there either.
func decodeEntry(b []byte) (*entry, error) {
	if len(b) < 17 || b[0] != entryVersion {
		return nil, errors.New("unknown encoding")
	}
	e := &entry{
		fetchedAt: time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:]))),
		expiresAt: time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:]))),
		body:      b[17:],
	}
	if err := validateJWKS(e.body); err != nil {
		return nil, err
	}
	return e, nil
}
