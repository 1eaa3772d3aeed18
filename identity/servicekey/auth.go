package servicekey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// Lookup is the part of the store that authentication reads.
type Lookup interface {
	KeyByHash(ctx context.Context, hash string) (store.Key, error)
	ServiceByID(ctx context.Context, id string) (store.Service, error)
	TouchKey(ctx context.Context, keyID string, at time.Time) error
}

// Authenticator resolves service keys to services. Positive answers are
// cached for TTL; key changes anywhere in the cluster reach every replica
// through the changelog (Invalidate), so the TTL only bounds staleness if
// that path is down. Expiry and revocation times are re-checked on every
// call, so a grace period ends on time even from the cache.
type Authenticator struct {
	lookup Lookup
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]entry // SHA-256 of the secret → entry
}

type entry struct {
	key     store.Key
	service store.Service
	fetched time.Time
}

// touchEvery bounds how often a key's last-used time is written.
const touchEvery = time.Minute

// NewAuthenticator returns an Authenticator caching answers for ttl.
func NewAuthenticator(lookup Lookup, ttl time.Duration) *Authenticator {
	return &Authenticator{lookup: lookup, ttl: ttl, now: time.Now, entries: map[[sha256.Size]byte]entry{}}
}

// Authenticate returns the service that secret belongs to, or an error
// wrapping ErrInvalid if it is malformed, unknown, expired or revoked.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (store.Service, store.Key, error) {
	if !WellFormed(secret) {
		return store.Service{}, store.Key{}, fmt.Errorf("%w: malformed key", ErrInvalid)
	}
	sum := sha256.Sum256([]byte(secret))
	now := a.now()
	a.mu.Lock()
	e, ok := a.entries[sum]
	a.mu.Unlock()
	if !ok || now.Sub(e.fetched) > a.ttl {
		key, err := a.lookup.KeyByHash(ctx, hex.EncodeToString(sum[:])) // = Hash(secret)
		if errors.Is(err, store.ErrNotFound) {
			return store.Service{}, store.Key{}, fmt.Errorf("%w: unknown key", ErrInvalid)
		}
		if err != nil {
			return store.Service{}, store.Key{}, fmt.Errorf("look up service key: %w", err)
		}
		svc, err := a.lookup.ServiceByID(ctx, key.ServiceID)
		if err != nil {
			return store.Service{}, store.Key{}, fmt.Errorf("look up service of key %s: %w", key.ID, err)
		}
		e = entry{key: key, service: svc, fetched: now}
		a.mu.Lock()
		a.entries[sum] = e
		a.mu.Unlock()
	}
	if e.key.RevokedAt != nil && !e.key.RevokedAt.After(now) {
		return store.Service{}, store.Key{}, fmt.Errorf("%w: key %s was revoked", ErrInvalid, e.key.Prefix)
	}
	if e.key.ExpiresAt != nil && !e.key.ExpiresAt.After(now) {
		return store.Service{}, store.Key{}, fmt.Errorf("%w: key %s expired", ErrInvalid, e.key.Prefix)
	}
	a.touch(sum, e, now)
	return e.service, e.key, nil
}

// touch records the use at most once per touchEvery per key, off the
// request path; failures only cost the timestamp.
func (a *Authenticator) touch(sum [sha256.Size]byte, e entry, now time.Time) {
	if e.key.LastUsedAt != nil && now.Sub(*e.key.LastUsedAt) < touchEvery {
		return
	}
	at := now // a copy: taking now's address would move it to the heap on every call
	a.mu.Lock()
	cur, ok := a.entries[sum]
	if ok {
		cur.key.LastUsedAt = &at
		a.entries[sum] = cur
	}
	a.mu.Unlock()
	id := e.key.ID // captured alone: capturing e would move it to the heap on every call
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.lookup.TouchKey(ctx, id, at)
	}()
}

// Invalidate drops every cached key of a service.
func (a *Authenticator) Invalidate(serviceID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, e := range a.entries {
		if e.key.ServiceID == serviceID {
			delete(a.entries, h)
		}
	}
}
