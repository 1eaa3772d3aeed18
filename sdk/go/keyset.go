package sentinel

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"golang.org/x/sync/singleflight"
)

// allowedAlgs are the signature algorithms a published key may use. A
// key's algorithm comes from its own "alg" in the JWKS, never from a
// token header; keys without one, or with another one, are ignored.
var allowedAlgs = map[jwa.SignatureAlgorithm]bool{jwa.ES256: true, jwa.RS256: true, jwa.EdDSA: true}

const (
	// minRSABits refuses weak RSA keys.
	minRSABits = 2048
	// maxJWKSBytes bounds a JWKS document.
	maxJWKSBytes = 1 << 20
	// defaultJWKSTTL is the cache time of a JWKS served without max-age.
	defaultJWKSTTL = 5 * time.Minute
	// fetchTimeout bounds one JWKS fetch, whoever waits for it.
	fetchTimeout = 10 * time.Second
)

// verifyKey is one usable key of the set.
type verifyKey struct {
	kid string
	alg jwa.SignatureAlgorithm
	pub any
	ver jws.Verifier
}

// keySet is the cached JWKS of one issuer. Lookups of a cached kid take a
// read lock only. A miss, or an expired set, refetches — merged across
// goroutines (singleflight) and at most once per refresh interval, so a
// flood of tokens with made-up kids cannot turn into a flood of fetches.
type keySet struct {
	url        string
	hc         *http.Client
	now        func() time.Time
	refresh    time.Duration // least time between two fetch attempts
	maxTTL     time.Duration // bound on the server's max-age
	maxStale   time.Duration // how long an expired set is used while fetches fail
	fetchGroup singleflight.Group

	mu          sync.RWMutex
	keys        map[string]*verifyKey
	expiresAt   time.Time // zero until the first successful fetch
	lastAttempt time.Time
	attempted   bool
	lastErr     error
}

// lookup is what the cache knows of a kid at one moment.
type lookup struct {
	key      *verifyKey
	fresh    bool // the set is within its max-age
	usable   bool // the set is fresh, or stale by less than maxStale
	mayFetch bool // the refresh interval has passed since the last attempt
}

func (ks *keySet) peek(kid string, now time.Time) lookup {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	loaded := !ks.expiresAt.IsZero()
	return lookup{
		key:      ks.keys[kid],
		fresh:    loaded && now.Before(ks.expiresAt),
		usable:   loaded && now.Before(ks.expiresAt.Add(ks.maxStale)),
		mayFetch: !ks.attempted || now.Sub(ks.lastAttempt) >= ks.refresh,
	}
}

// key returns the published key with that kid.
func (ks *keySet) key(ctx context.Context, kid string) (*verifyKey, error) {
	now := ks.now()
	l := ks.peek(kid, now)
	if l.key != nil && l.fresh {
		return l.key, nil
	}
	var fetchErr error
	if l.mayFetch {
		if fetchErr = ks.fetch(ctx); fetchErr == nil {
			if l = ks.peek(kid, ks.now()); l.key != nil {
				return l.key, nil
			}
			return nil, fmt.Errorf("%w: no published key has kid %q", ErrInvalidToken, kid)
		}
	}
	switch {
	case !l.usable && fetchErr != nil:
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, fetchErr)
	case !l.usable:
		return nil, fmt.Errorf("%w: the JWKS of %s expired and was refetched less than %s ago", ErrKeysUnavailable, ks.url, ks.refresh)
	case l.key != nil:
		return l.key, nil // stale but within maxStale while the issuer is unreachable
	}
	return nil, fmt.Errorf("%w: no published key has kid %q", ErrInvalidToken, kid)
}

// fetch refetches the set unless an attempt was made within the refresh
// interval (then it returns that attempt's error). Concurrent callers
// share one fetch; each stops waiting when its own ctx ends.
func (ks *keySet) fetch(ctx context.Context) error {
	ch := ks.fetchGroup.DoChan("jwks", func() (any, error) {
		now := ks.now()
		ks.mu.RLock()
		limited, lastErr := ks.attempted && now.Sub(ks.lastAttempt) < ks.refresh, ks.lastErr
		ks.mu.RUnlock()
		if limited {
			return nil, lastErr
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		keys, ttl, err := ks.download(fctx)
		ks.mu.Lock()
		defer ks.mu.Unlock()
		// The attempt is recorded when it ends: a miss that looks while the
		// fetch runs still sees mayFetch and joins it instead of failing.
		ks.attempted, ks.lastAttempt, ks.lastErr = true, now, err
		if err == nil {
			ks.keys, ks.expiresAt = keys, now.Add(ttl)
		}
		return nil, err
	})
	select {
	case <-ctx.Done():
		return fmt.Errorf("wait for the JWKS: %w", ctx.Err())
	case r := <-ch:
		return r.Err
	}
}

// download GETs and parses the JWKS and returns its usable keys and how
// long to cache them.
func (ks *keySet) download(ctx context.Context) (map[string]*verifyKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch JWKS %s: %w", ks.url, err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := ks.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch JWKS %s: %w", ks.url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("fetch JWKS %s: status %d", ks.url, res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read JWKS %s: %w", ks.url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("JWKS %s is larger than %d bytes", ks.url, maxJWKSBytes)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, 0, fmt.Errorf("parse JWKS %s: %w", ks.url, err)
	}
	return usableKeys(set), ks.ttl(res.Header.Get("Cache-Control")), nil
}

// ttl is the server's max-age, bounded to [refresh, maxTTL]; no-store,
// no-cache and max-age=0 mean the shortest.
func (ks *keySet) ttl(cacheControl string) time.Duration {
	ttl := defaultJWKSTTL
	for _, d := range strings.Split(cacheControl, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return ks.refresh
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64); err == nil && n >= 0 {
				ttl = time.Duration(min(n, int64(ks.maxTTL/time.Second)+1)) * time.Second
			}
		}
	}
	return min(max(ttl, ks.refresh), ks.maxTTL)
}

// usableKeys keeps the keys this package will verify with: a kid, use
// "sig" (or none), an allowed alg of the key's own, and a public key of
// the type and strength that alg needs. A kid listed twice is dropped: it
// would be ambiguous.
func usableKeys(set jwk.Set) map[string]*verifyKey {
	out := make(map[string]*verifyKey, set.Len())
	dup := map[string]bool{}
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		vk, err := toVerifyKey(k)
		if err != nil {
			continue
		}
		if _, seen := out[vk.kid]; seen || dup[vk.kid] {
			delete(out, vk.kid)
			dup[vk.kid] = true
			continue
		}
		out[vk.kid] = vk
	}
	return out
}

func toVerifyKey(k jwk.Key) (*verifyKey, error) {
	kid := k.KeyID()
	if kid == "" {
		return nil, errors.New("key has no kid")
	}
	if use := k.KeyUsage(); use != "" && use != string(jwk.ForSignature) {
		return nil, fmt.Errorf("key %s: use %q", kid, use)
	}
	alg := jwa.SignatureAlgorithm(k.Algorithm().String())
	if !allowedAlgs[alg] {
		return nil, fmt.Errorf("key %s: algorithm %q is not allowed", kid, alg)
	}
	pk, err := k.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	var pub any
	if err := pk.Raw(&pub); err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	if err := keyFitsAlg(pub, alg); err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	ver, err := jws.NewVerifier(alg)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	return &verifyKey{kid: kid, alg: alg, pub: pub, ver: ver}, nil
}

func keyFitsAlg(pub any, alg jwa.SignatureAlgorithm) error {
	switch alg {
	case jwa.ES256:
		if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve == elliptic.P256() {
			return nil
		}
	case jwa.RS256:
		if k, ok := pub.(*rsa.PublicKey); ok {
			if k.N.BitLen() < minRSABits {
				return fmt.Errorf("RSA key of %d bits, want at least %d", k.N.BitLen(), minRSABits)
			}
			return nil
		}
	case jwa.EdDSA:
		if _, ok := pub.(ed25519.PublicKey); ok {
			return nil
		}
	}
	return fmt.Errorf("a %T is not a %s key", pub, alg)
}
