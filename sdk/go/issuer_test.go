package sentinel_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/keys/keystest"
	"github.com/sentinel-auth/sentinel/identity/token"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

// clock is a test clock shared by the keyring, the token issuer and the
// verifier, so tests move time instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// issuer is Sentinel's token side, built from its own packages
// (identity/keys signs, identity/token issues), with its JWKS published
// by an httptest server whose URL is the issuer.
type issuer struct {
	clock   *clock
	ring    *keys.Keyring
	tokens  *token.Issuer
	URL     string
	fetches atomic.Int64

	mu       sync.Mutex
	override func(w http.ResponseWriter) // replaces the JWKS answer when set
}

const jwksMaxAge = 300 // seconds

func newIssuer(t testing.TB, alg jwa.SignatureAlgorithm) *issuer {
	t.Helper()
	is := &issuer{clock: newClock()}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		is.fetches.Add(1)
		is.mu.Lock()
		override := is.override
		is.mu.Unlock()
		if override != nil {
			override(w)
			return
		}
		body, err := is.ring.JWKS(is.clock.now())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	is.URL = ts.URL
	master, err := keys.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	is.ring, err = keys.Open(context.Background(), &keystest.MemStore{}, master,
		keys.Options{Alg: alg, Now: is.clock.now, JWKSCacheTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	is.tokens, err = token.NewIssuer(is.ring, token.IssuerConfig{Issuer: ts.URL, Now: is.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// serve replaces the JWKS answer (nil restores the keyring's).
func (is *issuer) serve(f func(w http.ResponseWriter)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.override = f
}

// anne is the authz grant most tests use.
func anne() token.Claims {
	return token.Claims{Subject: "u-anne", IdpSub: "idp-anne", Service: "notes", WorkspaceID: "w1",
		WorkspaceSlug: "acme", WorkspaceRole: "editor", Groups: []string{"g1"}, Actions: []string{"notes:export"}}
}

func (is *issuer) mint(t testing.TB, k token.Kind, c token.Claims) string {
	t.Helper()
	out, err := is.tokens.Issue(context.Background(), k, c)
	if err != nil {
		t.Fatal(err)
	}
	return out.Token
}

// signClaims signs arbitrary claims with the keyring's current key: a
// genuine signature over a payload Sentinel would never issue.
func (is *issuer) signClaims(t testing.TB, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	out, err := is.ring.Sign(is.clock.now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// claimsOf decodes a token's payload (unverified) for tests to alter.
func claimsOf(t testing.TB, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (is *issuer) verifier(t testing.TB, opts sentinel.VerifierOptions) *sentinel.Verifier {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = is.clock.now
	}
	v, err := sentinel.NewVerifier(context.Background(), is.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeB64(t testing.TB, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
