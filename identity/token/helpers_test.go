package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/keys/keystest"
)

const testIssuer = "https://sentinel.example.com"

var (
	t0   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	algs = []jwa.SignatureAlgorithm{keys.ES256, keys.RS256, keys.EdDSA}
)

// clock is a settable clock shared by keyring, issuer and verifier.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// denylist and users are in-memory hooks; err, when set, is returned.
type denylist struct {
	mu     sync.Mutex
	denied map[string]bool
	err    error
}

func (d *denylist) Denied(ctx context.Context, jti string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.denied[jti], d.err
}

func (d *denylist) add(jti string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.denied == nil {
		d.denied = map[string]bool{}
	}
	d.denied[jti] = true
}

type users struct {
	mu         sync.Mutex
	inactive   map[string]bool
	validAfter map[string]time.Time
	err        error
}

func (u *users) Status(ctx context.Context, id string) (bool, time.Time, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return !u.inactive[id], u.validAfter[id], u.err
}

// revoke sets the user's validAfter.
func (u *users) revoke(id string, validAfter time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.validAfter == nil {
		u.validAfter = map[string]time.Time{}
	}
	u.validAfter[id] = validAfter
}

// env is a keyring-backed issuer and verifier on one clock.
type env struct {
	clock *clock
	store *keystest.MemStore
	ring  *keys.Keyring
	iss   *Issuer
	ver   *Verifier
	deny  *denylist
	users *users
}

func newEnv(t testing.TB, alg jwa.SignatureAlgorithm, opts keys.Options) *env {
	t.Helper()
	return newEnvAt(t, alg, opts, t0)
}

// newEnvAt is newEnv with the clock starting at start.
func newEnvAt(t testing.TB, alg jwa.SignatureAlgorithm, opts keys.Options, start time.Time) *env {
	t.Helper()
	e := &env{clock: &clock{now: start}, store: &keystest.MemStore{}, deny: &denylist{}, users: &users{}}
	m, err := keys.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	opts.Alg, opts.Now = alg, e.clock.Now
	e.ring, err = keys.Open(context.Background(), e.store, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.iss, err = NewIssuer(e.ring, IssuerConfig{Issuer: testIssuer, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.ver, err = NewVerifier(e.ring, e.deny, e.users, VerifierConfig{Issuer: testIssuer, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) issue(t testing.TB, k Kind, c Claims) Issued {
	t.Helper()
	out, err := e.iss.Issue(context.Background(), k, c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleClaims returns claims valid for every kind.
func sampleClaims() Claims {
	return Claims{
		Subject: "9b2f6a0e-1111-4c1e-9e52-3c4b5a6d7e8f", Email: "ada@example.com", Name: "Ada",
		Family: "fam-1", IdpSub: "google|123", Service: "notes",
		WorkspaceID: "7c1e0b8a-2222-4a5b-8c9d-0e1f2a3b4c5d", WorkspaceSlug: "acme", WorkspaceRole: "editor",
		Groups: []string{"g1", "g2"}, Actions: []string{"notes:export"},
	}
}

// testKey is a key the test holds the private half of, served to the
// verifier as Sentinel's only published key (for attacks that need
// custom headers signed by the genuine key).
type testKey struct {
	kid  string
	alg  jwa.SignatureAlgorithm
	priv crypto.Signer
}

func newTestKey(t testing.TB, alg jwa.SignatureAlgorithm) *testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case keys.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keys.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case keys.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.FromRaw(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{kid: base64.RawURLEncoding.EncodeToString(tp), alg: alg, priv: priv}
}

func (k *testKey) VerificationKey(kid string, now time.Time) (keys.PublicKey, error) {
	if kid != k.kid {
		return keys.PublicKey{}, keys.ErrUnknownKey
	}
	return keys.PublicKey{KID: k.kid, Alg: k.alg, Key: k.priv.Public()}, nil
}

func (k *testKey) Sign(now time.Time, payload []byte) ([]byte, error) {
	return jws.Sign(payload, jws.WithKey(k.alg, k.priv, jws.WithProtectedHeaders(headers(map[string]any{"kid": k.kid, "typ": "JWT"}))))
}

func headers(m map[string]any) jws.Headers {
	h := jws.NewHeaders()
	for name, v := range m {
		if err := h.Set(name, v); err != nil {
			panic(err)
		}
	}
	return h
}

// payload returns the JSON of claims c of kind k at now, as Issue writes
// them, with edits applied (a nil value deletes the claim).
func payload(t testing.TB, k Kind, c Claims, now time.Time, edits map[string]any) []byte {
	t.Helper()
	c.Issuer, c.ID, c.IssuedAt, c.ExpiresAt = testIssuer, "jti-"+string(k), now, now.Add(k.DefaultTTL())
	b, err := encode(k, &c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for name, v := range edits {
		if v == nil {
			delete(m, name)
		} else {
			m[name] = v
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// segments decodes a compact JWS's header and payload.
func segments(t testing.TB, raw string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}
