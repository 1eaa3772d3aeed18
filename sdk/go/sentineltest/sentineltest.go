// Package sentineltest runs Sentinel's token side for tests of apps that
// use the SDK: real signing keys (identity/keys), real tokens
// (identity/token), the JWKS served over loopback at the issuer URL, and
// a clock the test moves instead of sleeping. Point a sentinel.Verifier at
// Issuer.URL with VerifierOptions{Clock: is.Now} and mint the tokens the
// test needs.
package sentineltest

import (
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/keys/keystest"
	"github.com/sentinel-auth/sentinel/identity/token"
)

// JWKSMaxAge is the Cache-Control max-age the JWKS is served with.
const JWKSMaxAge = 5 * time.Minute

// RotationDelay is how long after Rotate the new key starts signing.
const RotationDelay = time.Minute

// Issuer is a token issuer with its JWKS endpoint. Safe for concurrent use.
type Issuer struct {
	// URL is the issuer (iss) and serves /.well-known/jwks.json.
	URL string

	mu       sync.Mutex
	now      time.Time
	override http.HandlerFunc

	ring    *keys.Keyring
	tokens  *token.Issuer
	fetches atomic.Int64
}

// NewIssuer starts an issuer whose keys use alg ("ES256", "RS256" or
// "EdDSA"); it stops when the test ends.
func NewIssuer(t testing.TB, alg string) *Issuer {
	t.Helper()
	is := &Issuer{now: time.Now().UTC().Truncate(time.Second)}
	ts := httptest.NewServer(http.HandlerFunc(is.serveJWKS))
	t.Cleanup(ts.Close)
	is.URL = ts.URL
	master, err := keys.GenerateMasterKey()
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	is.ring, err = keys.Open(context.Background(), &keystest.MemStore{}, master,
		keys.Options{Alg: jwa.SignatureAlgorithm(alg), Now: is.Now, JWKSCacheTTL: RotationDelay})
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	is.tokens, err = token.NewIssuer(is.ring, token.IssuerConfig{Issuer: ts.URL, Now: is.Now})
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return is
}

func (is *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/.well-known/jwks.json" {
		http.NotFound(w, r)
		return
	}
	is.fetches.Add(1)
	is.mu.Lock()
	override := is.override
	is.mu.Unlock()
	if override != nil {
		override(w, r)
		return
	}
	body, err := is.ring.JWKS(is.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// Now is the issuer's clock; pass it as VerifierOptions.Clock.
func (is *Issuer) Now() time.Time {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.now
}

// Advance moves the clock forward.
func (is *Issuer) Advance(d time.Duration) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.now = is.now.Add(d)
}

// Fetches counts the JWKS requests served so far.
func (is *Issuer) Fetches() int { return int(is.fetches.Load()) }

// ServeJWKS makes the JWKS endpoint answer with h (an outage, a doctored
// key set); nil restores the real one.
func (is *Issuer) ServeJWKS(h http.HandlerFunc) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.override = h
}

// JWKS is the key set the endpoint publishes now.
func (is *Issuer) JWKS(t testing.TB) []byte {
	t.Helper()
	b, err := is.ring.JWKS(is.Now())
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return b
}

// KID is the id of the key that signs now.
func (is *Issuer) KID(t testing.TB) string {
	t.Helper()
	info, err := is.ring.Signer(is.Now())
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return info.KID
}

// PublicKey is the public part of the key that signs now.
func (is *Issuer) PublicKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	pk, err := is.ring.VerificationKey(is.KID(t), is.Now())
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return pk.Key
}

// Rotate adds a key of the same algorithm: published at once, signing
// from RotationDelay later (Advance past it). It returns the new kid.
func (is *Issuer) Rotate(t testing.TB) string {
	t.Helper()
	info, err := is.ring.Signer(is.Now())
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	next, err := is.ring.Rotate(context.Background(), info.Alg, RotationDelay)
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return next.KID
}

// Grant is what an authz token asserts. Subject, IdpSub, Service,
// WorkspaceID and WorkspaceRole are required.
type Grant struct {
	Subject       string // Sentinel user id
	IdpSub        string
	Service       string
	WorkspaceID   string
	WorkspaceSlug string
	WorkspaceRole string
	Groups        []string
	Actions       []string
}

// Authz mints an authz token (5 minutes) for the grant.
func (is *Issuer) Authz(t testing.TB, g Grant) string {
	t.Helper()
	return is.issue(t, token.Authz, token.Claims{Subject: g.Subject, IdpSub: g.IdpSub, Service: g.Service,
		WorkspaceID: g.WorkspaceID, WorkspaceSlug: g.WorkspaceSlug, WorkspaceRole: g.WorkspaceRole,
		Groups: g.Groups, Actions: g.Actions})
}

// AccessGrant is what an access token (proxy mode) asserts. Subject,
// WorkspaceID and WorkspaceRole are required.
type AccessGrant struct {
	Subject       string
	Email         string
	Name          string
	WorkspaceID   string
	WorkspaceSlug string
	WorkspaceRole string
	Groups        []string
}

// Access mints an access token (15 minutes).
func (is *Issuer) Access(t testing.TB, g AccessGrant) string {
	t.Helper()
	return is.issue(t, token.Access, token.Claims{Subject: g.Subject, Email: g.Email, Name: g.Name,
		WorkspaceID: g.WorkspaceID, WorkspaceSlug: g.WorkspaceSlug, WorkspaceRole: g.WorkspaceRole, Groups: g.Groups})
}

func (is *Issuer) issue(t testing.TB, k token.Kind, c token.Claims) string {
	t.Helper()
	out, err := is.tokens.Issue(context.Background(), k, c)
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return out.Token
}

// Sign signs arbitrary claims with the current key: a genuine signature
// over a payload Sentinel would never issue, for attack tests.
func (is *Issuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	out, err := is.ring.Sign(is.Now(), payload)
	if err != nil {
		t.Fatalf("sentineltest: %v", err)
	}
	return string(out)
}
