// Package keys holds Sentinel's JWT signing keys: generated here, sealed
// with the master key (AES-256-GCM) before they reach the store, rotated
// with a publication delay, and published as a JWKS.
//
// Rotation never breaks a verifier that caches the JWKS: a new key is
// published at once but signs only from SignFrom = now + delay, with delay
// at least the JWKS cache TTL; a retired key stays published (and accepted)
// until every token it signed has expired.
package keys

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/sentinel-auth/sentinel/store"
)

// Store is the part of the store the keyring uses.
type Store interface {
	AddSigningKey(ctx context.Context, k store.SigningKey) error
	SigningKeys(ctx context.Context) ([]store.SigningKey, error)
	DeleteSigningKey(ctx context.Context, kid string) error
}

// Defaults for Options.
const (
	DefaultJWKSCacheTTL = 5 * time.Minute
	DefaultMaxTokenTTL  = 7 * 24 * time.Hour // the refresh token TTL
	DefaultGrace        = time.Minute
)

// Options configure a Keyring. Zero fields take the defaults.
type Options struct {
	// Alg is the algorithm of the first key, created when the store has
	// none (default ES256).
	Alg jwa.SignatureAlgorithm
	// JWKSCacheTTL is how long verifiers may cache the JWKS (the
	// Cache-Control max-age it is served with); Rotate refuses a shorter
	// delay.
	JWKSCacheTTL time.Duration
	// MaxTokenTTL is the longest lifetime of any token Sentinel signs: a
	// retired key stays published this long after it stopped signing.
	MaxTokenTTL time.Duration
	// Grace is added to MaxTokenTTL for replicas that have not refreshed
	// yet (they sign with the old key a little longer) and for the
	// verifier's clock skew.
	Grace time.Duration
	// Now is the clock used by Open and Rotate (default time.Now).
	Now func() time.Time
}

func (o *Options) setDefaults() error {
	if o.Alg == "" {
		o.Alg = ES256
	}
	if _, err := ParseAlg(o.Alg.String()); err != nil {
		return err
	}
	if o.JWKSCacheTTL == 0 {
		o.JWKSCacheTTL = DefaultJWKSCacheTTL
	}
	if o.MaxTokenTTL == 0 {
		o.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.JWKSCacheTTL < 0 || o.MaxTokenTTL < 0 || o.Grace < 0 {
		return errors.New("keyring durations must not be negative")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Errors of the keyring; test with errors.Is.
var (
	// ErrUnknownKey: no published key has that kid.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrNoSigner: the store holds no signing key.
	ErrNoSigner = errors.New("no signing key")
)

// Info describes a key (never its private part).
type Info struct {
	KID       string
	Alg       jwa.SignatureAlgorithm
	CreatedAt time.Time
	SignFrom  time.Time
	// SignUntil is the next key's SignFrom; zero for the newest key.
	SignUntil time.Time
}

// PublicKey is a verification key.
type PublicKey struct {
	KID string
	Alg jwa.SignatureAlgorithm
	Key crypto.PublicKey
}

// Keyring signs with the current key and publishes the live ones. It is
// safe for concurrent use; reads never lock.
type Keyring struct {
	st     Store
	master MasterKey
	opts   Options

	mu   sync.Mutex // serializes Refresh, Rotate and Prune
	ring atomic.Pointer[ring]
}

// entry is one loaded key; entries are immutable once loaded.
type entry struct {
	info    Info
	m       *material
	jwkJSON []byte
}

// ring is one immutable view of the keys, by SignFrom ascending (ties by
// CreatedAt, then kid, so every replica orders them alike).
type ring struct {
	entries []*entry
	byKID   map[string]int
}

// Open loads the keys from st, opening each with master. If the store has
// none, it creates the first key (Options.Alg), signing at once.
func Open(ctx context.Context, st Store, master MasterKey, opts Options) (*Keyring, error) {
	if !master.set {
		return nil, errors.New("open keyring: master key is not set")
	}
	if err := opts.setDefaults(); err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	k := &Keyring{st: st, master: master, opts: opts}
	if err := k.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	if len(k.ring.Load().entries) > 0 {
		return k, nil
	}
	now := k.now()
	if _, err := k.add(ctx, opts.Alg, now, now); err != nil {
		return nil, fmt.Errorf("open keyring: create first key: %w", err)
	}
	return k, nil
}

func (k *Keyring) now() time.Time { return k.opts.Now().UTC().Truncate(time.Microsecond) }

// add generates, seals and stores a key, then reloads.
func (k *Keyring) add(ctx context.Context, alg jwa.SignatureAlgorithm, createdAt, signFrom time.Time) (Info, error) {
	m, err := generate(alg)
	if err != nil {
		return Info{}, err
	}
	row, err := m.row(k.master, createdAt, signFrom)
	if err != nil {
		return Info{}, err
	}
	if err := k.st.AddSigningKey(ctx, row); err != nil {
		return Info{}, fmt.Errorf("store signing key %s: %w", m.kid, err)
	}
	if err := k.Refresh(ctx); err != nil {
		return Info{}, err
	}
	r := k.ring.Load()
	i, ok := r.byKID[m.kid]
	if !ok {
		return Info{}, fmt.Errorf("signing key %s was stored but is not in the store's list", m.kid)
	}
	return r.info(i), nil
}

// Rotate adds a new key for alg, published at once and signing from
// now+delay. delay must be at least the JWKS cache TTL, so that every
// verifier has fetched the new key before it meets a token it signed.
func (k *Keyring) Rotate(ctx context.Context, alg jwa.SignatureAlgorithm, delay time.Duration) (Info, error) {
	if _, err := ParseAlg(alg.String()); err != nil {
		return Info{}, fmt.Errorf("rotate: %w", err)
	}
	if delay < k.opts.JWKSCacheTTL {
		return Info{}, fmt.Errorf("rotate: delay %s is shorter than the JWKS cache TTL %s: verifiers holding a cached JWKS would refuse tokens signed by the new key", delay, k.opts.JWKSCacheTTL)
	}
	now := k.now()
	info, err := k.add(ctx, alg, now, now.Add(delay))
	if err != nil {
		return Info{}, fmt.Errorf("rotate: %w", err)
	}
	return info, nil
}

// Refresh reloads the keys from the store, so a rotation made by another
// process is seen (replicas call it periodically). Keys already loaded are
// reused; new ones are opened with the master key. On error the previous
// view stays in place.
func (k *Keyring) Refresh(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	rows, err := k.st.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	old := k.ring.Load()
	r := &ring{byKID: make(map[string]int, len(rows))}
	for _, row := range rows {
		if _, dup := r.byKID[row.KID]; dup {
			return fmt.Errorf("load signing keys: kid %s listed twice", row.KID)
		}
		e, err := k.load(old, row)
		if err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		r.byKID[row.KID] = len(r.entries)
		r.entries = append(r.entries, e)
	}
	sort.SliceStable(r.entries, func(i, j int) bool {
		a, b := r.entries[i].info, r.entries[j].info
		if !a.SignFrom.Equal(b.SignFrom) {
			return a.SignFrom.Before(b.SignFrom)
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.KID < b.KID
	})
	for i, e := range r.entries {
		r.byKID[e.info.KID] = i
	}
	k.ring.Store(r)
	return nil
}

// load returns the entry for row, reusing the one already opened.
func (k *Keyring) load(old *ring, row store.SigningKey) (*entry, error) {
	info := Info{KID: row.KID, Alg: jwa.SignatureAlgorithm(row.Alg),
		CreatedAt: row.CreatedAt.UTC(), SignFrom: row.SignFrom.UTC()}
	if old != nil {
		if i, ok := old.byKID[row.KID]; ok {
			// The kid is the public key's thumbprint, so the same kid
			// is the same key.
			if e := old.entries[i]; e.info.Alg == info.Alg {
				return &entry{info: info, m: e.m, jwkJSON: e.jwkJSON}, nil
			}
		}
	}
	m, err := openRow(k.master, row)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(m.pubJWK)
	if err != nil {
		return nil, fmt.Errorf("encode public JWK %s: %w", row.KID, err)
	}
	return &entry{info: info, m: m, jwkJSON: js}, nil
}

// info is entry i's Info with SignUntil filled in.
func (r *ring) info(i int) Info {
	in := r.entries[i].info
	if i+1 < len(r.entries) {
		in.SignUntil = r.entries[i+1].info.SignFrom
	}
	return in
}

// signer is the index of the key with the newest SignFrom <= now, or -1
// when there is no key. Before the oldest key's SignFrom the oldest key
// signs: it is published, nothing signed before it, and a replica whose
// clock runs slightly behind the one that created the first key must not
// be unable to sign.
func (r *ring) signer(now time.Time) int {
	for i := len(r.entries) - 1; i > 0; i-- {
		if !r.entries[i].info.SignFrom.After(now) {
			return i
		}
	}
	if len(r.entries) == 0 {
		return -1
	}
	return 0
}

// published reports whether entry i is in the JWKS at now: it has not
// stopped signing yet (pending or current), or stopped less than retention
// ago.
func (r *ring) published(i int, now time.Time, retention time.Duration) bool {
	if i+1 >= len(r.entries) {
		return true
	}
	return now.Before(r.entries[i+1].info.SignFrom.Add(retention))
}

func (k *Keyring) retention() time.Duration { return k.opts.MaxTokenTTL + k.opts.Grace }

// Signer describes the key that signs at now: the one with the newest
// SignFrom <= now (or the oldest key, if now is before every SignFrom).
func (k *Keyring) Signer(now time.Time) (Info, error) {
	r := k.ring.Load()
	i := r.signer(now)
	if i < 0 {
		return Info{}, fmt.Errorf("%w at %s", ErrNoSigner, now.UTC().Format(time.RFC3339))
	}
	return r.info(i), nil
}

// Sign signs payload (a JWT claims set) with the key that signs at now,
// as a compact JWS whose protected header holds alg, kid and typ "JWT".
func (k *Keyring) Sign(now time.Time, payload []byte) ([]byte, error) {
	r := k.ring.Load()
	i := r.signer(now)
	if i < 0 {
		return nil, fmt.Errorf("sign: %w at %s", ErrNoSigner, now.UTC().Format(time.RFC3339))
	}
	m := r.entries[i].m
	h := jws.NewHeaders()
	if err := h.Set(jws.KeyIDKey, m.kid); err != nil {
		return nil, fmt.Errorf("sign: set kid: %w", err)
	}
	if err := h.Set(jws.TypeKey, "JWT"); err != nil {
		return nil, fmt.Errorf("sign: set typ: %w", err)
	}
	out, err := jws.Sign(payload, jws.WithKey(m.alg, m.priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		return nil, fmt.Errorf("sign with key %s: %w", m.kid, err)
	}
	return out, nil
}

// VerificationKey returns the public key with that kid if it is published
// at now; otherwise ErrUnknownKey. Tokens are accepted only from keys a
// JWKS fetched at now would list.
func (k *Keyring) VerificationKey(kid string, now time.Time) (PublicKey, error) {
	r := k.ring.Load()
	i, ok := r.byKID[kid]
	if !ok || !r.published(i, now, k.retention()) {
		return PublicKey{}, ErrUnknownKey
	}
	m := r.entries[i].m
	return PublicKey{KID: m.kid, Alg: m.alg, Key: m.pub}, nil
}

// JWKS is the JSON Web Key Set to publish at now: every key not yet
// signing, the current signer, and every retired key whose tokens may
// still be alive; newest first.
func (k *Keyring) JWKS(now time.Time) ([]byte, error) {
	r := k.ring.Load()
	var b bytes.Buffer
	b.WriteString(`{"keys":[`)
	first := true
	for i := len(r.entries) - 1; i >= 0; i-- {
		if !r.published(i, now, k.retention()) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(r.entries[i].jwkJSON)
	}
	b.WriteString(`]}`)
	return b.Bytes(), nil
}

// Algorithms lists the algorithms of the loaded keys, sorted.
func (k *Keyring) Algorithms() []string {
	var out []string
	for _, e := range k.ring.Load().entries {
		if a := e.info.Alg.String(); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// Keys lists every loaded key, oldest SignFrom first.
func (k *Keyring) Keys() []Info {
	r := k.ring.Load()
	out := make([]Info, len(r.entries))
	for i := range r.entries {
		out[i] = r.info(i)
	}
	return out
}

// Prune deletes from the store every key no longer published at now (it
// stopped signing more than MaxTokenTTL+Grace ago, so no live token needs
// it) and returns their kids. The newest keys are never pruned.
func (k *Keyring) Prune(ctx context.Context, now time.Time) ([]string, error) {
	if err := k.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	r := k.ring.Load()
	var pruned []string
	for i, e := range r.entries {
		if r.published(i, now, k.retention()) {
			continue
		}
		if err := k.st.DeleteSigningKey(ctx, e.info.KID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return pruned, fmt.Errorf("prune signing key %s: %w", e.info.KID, err)
		}
		pruned = append(pruned, e.info.KID)
	}
	if len(pruned) == 0 {
		return nil, nil
	}
	if err := k.Refresh(ctx); err != nil {
		return pruned, fmt.Errorf("prune: %w", err)
	}
	return pruned, nil
}

// Watch refreshes the keys from the store every interval (and prunes the
// ones no token can need any more) until ctx ends, so rotations made by
// another process are picked up. Failures are reported to onError (which
// may be nil) and retried at the next tick; the last good view stays in
// use meanwhile.
func (k *Keyring) Watch(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := k.Prune(ctx, k.opts.Now()); err != nil && onError != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}
