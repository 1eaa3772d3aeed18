package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxJTILen bounds the token ids accepted; ours are UUIDs.
const maxJTILen = 256

// DenylistOptions tune a Denylist; the zero value gives the defaults noted.
type DenylistOptions struct {
	// Prefix starts every Redis key ("sentinel:").
	Prefix string
	// RedisTimeout bounds one Redis call (300 ms); RedisRetry is how long an
	// unreachable Redis is left alone, every call failing at once, before it
	// is tried again (1 s).
	RedisTimeout, RedisRetry time.Duration
	// Logger receives the Redis up/down transitions (slog.Default()).
	Logger *slog.Logger
	// Now is the clock (time.Now); tests move it.
	Now func() time.Time
}

// Denylist records revoked tokens by jti until they expire: in Redis, so
// every replica refuses them, or in process when no Redis is configured.
// With Redis configured but unreachable it fails closed: Denied returns an
// error rather than guess, and callers refuse the token.
type Denylist struct {
	rdb    redis.UniversalClient
	opt    DenylistOptions
	health *health

	mu      sync.Mutex
	local   map[string]time.Time // jti → until (in-process mode only)
	sweepAt int                  // sweep expired entries when local reaches this size
}

// NewDenylist returns a denylist in rdb, or in process when rdb is nil.
func NewDenylist(rdb redis.UniversalClient, opt DenylistOptions) *Denylist {
	if opt.Prefix == "" {
		opt.Prefix = "sentinel:"
	}
	if opt.RedisTimeout <= 0 {
		opt.RedisTimeout = 300 * time.Millisecond
	}
	if opt.RedisRetry <= 0 {
		opt.RedisRetry = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Denylist{
		rdb: rdb,
		opt: opt,
		health: &health{log: opt.Logger, cache: "denylist", retry: opt.RedisRetry,
			fallback: "none: tokens are refused while their jti cannot be checked"},
		local:   map[string]time.Time{},
		sweepAt: 1024,
	}
}

// denyScript sets the entry with a TTL of ARGV[1] ms unless it already
// lasts longer (the same jti denied twice keeps the later expiry, as the
// in-process map does; a key without expiry is left alone). A script rather
// than SET + PEXPIRE GT so Redis before 7.0 works too.
var denyScript = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1
`)

func checkJTI(jti string) error {
	if jti == "" {
		return errors.New("empty jti")
	}
	if len(jti) > maxJTILen {
		return fmt.Errorf("jti longer than %d bytes", maxJTILen)
	}
	return nil
}

func (d *Denylist) key(jti string) string { return d.opt.Prefix + "deny:" + jti }

// Deny refuses the token jti until until, its expiry. A verifier that
// accepts tokens some leeway past exp must pass exp plus that leeway, or the
// token would come back to life for the leeway. A token already expired
// needs no entry.
func (d *Denylist) Deny(ctx context.Context, jti string, until time.Time) error {
	if err := checkJTI(jti); err != nil {
		return fmt.Errorf("deny token: %w", err)
	}
	now := d.opt.Now()
	ttl := until.Sub(now)
	if ttl <= 0 {
		return nil
	}
	if d.rdb == nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		if len(d.local) >= d.sweepAt {
			d.sweep(now)
		}
		if old, ok := d.local[jti]; !ok || until.After(old) {
			d.local[jti] = until
		}
		return nil
	}
	// Round up to a whole millisecond so the entry never lapses early.
	ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
	_, err := ask(ctx, d, now, func(ctx context.Context) (any, error) {
		return nil, denyScript.Run(ctx, d.rdb, []string{d.key(jti)}, ttl.Milliseconds()).Err()
	})
	if err != nil {
		return fmt.Errorf("deny token %q: %w", jti, err)
	}
	return nil
}

// Denied reports whether the token jti was denied and has not yet expired.
// Any failure to ask is an error, never false.
func (d *Denylist) Denied(ctx context.Context, jti string) (bool, error) {
	if err := checkJTI(jti); err != nil {
		return false, fmt.Errorf("check denylist: %w", err)
	}
	if d.rdb == nil {
		now := d.opt.Now()
		d.mu.Lock()
		defer d.mu.Unlock()
		until, ok := d.local[jti]
		if ok && !now.Before(until) {
			delete(d.local, jti)
			ok = false
		}
		return ok, nil
	}
	n, err := ask(ctx, d, d.opt.Now(), func(ctx context.Context) (int64, error) {
		return d.rdb.Exists(ctx, d.key(jti)).Result()
	})
	if err != nil {
		return false, fmt.Errorf("check denylist for %q: %w", jti, err)
	}
	return n > 0, nil
}

// ask runs one Redis call unless Redis is known to be down, and records how
// it went (a caller giving up says nothing about Redis).
func ask[T any](ctx context.Context, d *Denylist, now time.Time, f func(context.Context) (T, error)) (T, error) {
	if !d.health.usable(now) {
		var zero T
		return zero, ErrRedisDown
	}
	v, err := redisOp(ctx, d.opt.RedisTimeout, f)
	if err == nil || ctx.Err() == nil {
		d.health.report(now, err)
	}
	return v, err
}

// sweep drops expired entries, then sets the next sweep at twice the size
// left, so sweeping costs O(1) per Deny over time. Called with mu held.
func (d *Denylist) sweep(now time.Time) {
	for jti, until := range d.local {
		if !now.Before(until) {
			delete(d.local, jti)
		}
	}
	d.sweepAt = max(2*len(d.local), 1024)
}
