// Package testidp runs a real OpenID provider on loopback for tests.
//
// The provider is zitadel's OpenID-certified op package over an in-memory
// storage this package controls: discovery, a JWKS endpoint with key rotation,
// the authorization-code flow (PKCE, client secret) with a login step that
// completes by itself for a chosen user, userinfo and introspection. Tests of
// IdP token verification get genuine tokens from it (IdP.IDToken) instead of
// hand-made JWTs; only attack tests sign arbitrary claims (IdP.Sign), because
// a real provider will not mint malformed tokens.
//
// New runs the same provider outside tests, as a development IdP on a fixed
// address (see examples/devidp); IdP.Token is IDToken without a testing.TB.
package testidp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an account at the provider. Claims are extra ID-token claims
// (for example "hd" for a Google Workspace domain or "tid" for an Entra ID
// tenant); they cannot replace the registered claims (iss, sub, aud, …).
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
	Claims        map[string]any
}

// IdP is a running provider. Its methods are safe for concurrent use.
type IdP struct {
	srv          *http.Server
	mux          *http.ServeMux
	provider     *op.Provider
	store        *storage
	issuer       string
	clientID     string
	clientSecret string
	redirectURI  string
	jwksPath     string
	jwksMaxAge   time.Duration
	lifetime     time.Duration

	jwksFetches atomic.Int64
	jwksDown    atomic.Bool
}

// Option configures Start and New.
type Option func(*config)

type config struct {
	clientID, clientSecret string
	idTokenLifetime        time.Duration
	alg                    jose.SignatureAlgorithm
	jwksMaxAge             time.Duration
	issuerPath             string
}

// WithClient sets the confidential client's id and secret (default
// "sentinel-test" and a random secret).
func WithClient(id, secret string) Option {
	return func(c *config) { c.clientID, c.clientSecret = id, secret }
}

// WithIDTokenLifetime sets how long ID tokens are valid (default 1 hour).
func WithIDTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.idTokenLifetime = d }
}

// WithAlgorithm sets the signing algorithm: "RS256" (default) or "ES256".
// Rotated keys use the same algorithm.
func WithAlgorithm(alg string) Option {
	return func(c *config) { c.alg = jose.SignatureAlgorithm(alg) }
}

// WithJWKSMaxAge sets the Cache-Control max-age of the JWKS response
// (default 5 minutes). A negative value sends no Cache-Control header.
func WithJWKSMaxAge(d time.Duration) Option {
	return func(c *config) { c.jwksMaxAge = d }
}

// WithIssuerPath serves the provider under a path, so the issuer is
// http://127.0.0.1:port/<path> (as Entra ID's per-tenant issuers are).
func WithIssuerPath(path string) Option {
	return func(c *config) { c.issuerPath = "/" + strings.Trim(path, "/") }
}

// Start serves a provider on 127.0.0.1 at a free port; it stops when the test
// ends.
func Start(t testing.TB, opts ...Option) *IdP {
	t.Helper()
	idp, err := New("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("testidp: %v", err)
	}
	t.Cleanup(idp.Close)
	return idp
}

// New serves a provider on addr ("127.0.0.1:9009"; port 0 picks a free
// one) until Close, for use outside tests (a development IdP). The issuer
// is http://<addr><issuer path>, with "localhost" for an unspecified host
// (":9009"). Anyone who can reach addr can log in as any added user, so
// keep it on loopback.
func New(addr string, opts ...Option) (*IdP, error) {
	cfg := config{
		clientID:        "sentinel-test",
		clientSecret:    rand.Text(),
		idTokenLifetime: time.Hour,
		alg:             jose.RS256,
		jwksMaxAge:      5 * time.Minute,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.issuerPath == "/" {
		cfg.issuerPath = ""
	}
	if cfg.clientID == "" || cfg.clientSecret == "" || cfg.idTokenLifetime <= 0 {
		return nil, errors.New("client id, client secret and ID-token lifetime must be set")
	}
	key, err := newSigningKey(cfg.alg)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	idp := &IdP{jwksMaxAge: cfg.jwksMaxAge, lifetime: cfg.idTokenLifetime, mux: http.NewServeMux()}
	base := "http://" + publicAddr(ln.Addr())
	idp.issuer = base + cfg.issuerPath
	idp.clientID, idp.clientSecret = cfg.clientID, cfg.clientSecret
	idp.redirectURI = base + "/client/callback"

	cl := &client{
		id:              cfg.clientID,
		secret:          cfg.clientSecret,
		redirectURIs:    []string{idp.redirectURI},
		idTokenLifetime: cfg.idTokenLifetime,
		loginURL:        cfg.issuerPath + "/login",
	}
	idp.store = newStorage(cl, key)

	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	idp.provider, err = op.NewProvider(&op.Config{
		CryptoKey:      cryptoKey,
		CodeMethodS256: true,
		AuthMethodPost: true,
	}, idp.store, op.StaticIssuer(idp.issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("create provider: %w", err)
	}
	idp.jwksPath = cfg.issuerPath + idp.provider.KeysEndpoint().Relative()

	idp.mux.HandleFunc(cfg.issuerPath+"/login", idp.loginPage)
	idp.mux.HandleFunc("/client/callback", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "testidp: authorization response received")
	})
	if cfg.issuerPath == "" {
		idp.mux.Handle("/", idp.provider)
	} else {
		idp.mux.Handle(cfg.issuerPath+"/", http.StripPrefix(cfg.issuerPath, idp.provider))
	}

	idp.srv = &http.Server{Handler: http.HandlerFunc(idp.countJWKS(idp.mux)), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = idp.srv.Serve(ln) }() // http.ErrServerClosed once closed
	return idp, nil
}

// publicAddr is the host:port clients reach a listener at: an unspecified
// host (0.0.0.0, ::) becomes localhost.
func publicAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Close stops the provider at once, closing its connections.
func (p *IdP) Close() { p.srv.Close() }

// Handle serves an extra route beside the provider's own, such as a
// development convenience endpoint. The pattern is http.ServeMux's and must
// not conflict with the provider's routes (ServeMux panics if it does).
func (p *IdP) Handle(pattern string, h http.Handler) { p.mux.Handle(pattern, h) }

// countJWKS counts JWKS fetches, sets their Cache-Control and answers 503
// while the JWKS is switched off.
func (p *IdP) countJWKS(next http.Handler) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == p.jwksPath && r.Method == http.MethodGet {
			p.jwksFetches.Add(1)
			if p.jwksDown.Load() {
				http.Error(w, "testidp: JWKS unavailable", http.StatusServiceUnavailable)
				return
			}
			if p.jwksMaxAge >= 0 {
				w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(p.jwksMaxAge.Seconds())))
			}
		}
		next.ServeHTTP(w, r)
	}
}

// loginPage is the provider's login page, reduced to what a test needs: it
// authenticates the request's login_hint (or the IdP.LoginAs user) with no
// interaction and sends the browser back to the provider's callback.
func (p *IdP) loginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if err := p.store.completeLogin(id); err != nil {
		http.Error(w, "testidp: login failed: "+err.Error(), http.StatusForbidden)
		return
	}
	http.Redirect(w, r, p.provider.AuthorizationEndpoint().Absolute(p.issuer)+"/callback?id="+url.QueryEscape(id), http.StatusFound)
}

// Issuer is the provider's issuer URL (the "iss" of its tokens).
func (p *IdP) Issuer() string { return p.issuer }

// ClientID is the registered client's id (the "aud" of its ID tokens).
func (p *IdP) ClientID() string { return p.clientID }

// ClientSecret is the registered client's secret.
func (p *IdP) ClientSecret() string { return p.clientSecret }

// RedirectURI is the client's default redirect URI, served by the IdP itself.
func (p *IdP) RedirectURI() string { return p.redirectURI }

// AddRedirectURI registers another redirect URI for the client, such as
// Sentinel's own callback in proxy-mode tests (known only once Sentinel
// runs). The default one, RedirectURI, stays registered.
func (p *IdP) AddRedirectURI(uri string) { p.store.client.addRedirectURI(uri) }

// JWKSURL is the provider's jwks_uri.
func (p *IdP) JWKSURL() string { return p.provider.KeysEndpoint().Absolute(p.issuer) }

// AddUser creates the user, or replaces the one with the same subject.
func (p *IdP) AddUser(u User) {
	if u.Subject == "" {
		panic("testidp: AddUser needs a Subject")
	}
	p.store.putUser(u)
}

// LoginAs sets the user the login step authenticates when the authorization
// request carries no login_hint, as a browser session would (for flows that
// Sentinel starts, such as proxy-mode login). Empty makes such logins fail.
func (p *IdP) LoginAs(subject string) { p.store.setLoginUser(subject) }

// RotateKey makes a new signing key current and returns its kid. Earlier keys
// stay in the JWKS, as real providers keep them, until DropOldKeys.
func (p *IdP) RotateKey() string {
	k, err := newSigningKey(p.store.currentKey().alg)
	if err != nil {
		panic(fmt.Sprintf("testidp: rotate key: %v", err)) // crypto/rand failing
	}
	p.store.addKey(k)
	return k.id
}

// DropOldKeys removes every key but the current one from the JWKS.
func (p *IdP) DropOldKeys() { p.store.dropOldKeys() }

// CurrentKID is the kid of the key that signs new tokens.
func (p *IdP) CurrentKID() string { return p.store.currentKey().id }

// JWKSFetches is how many times the JWKS endpoint was fetched (GET), so
// cache tests can assert caching and refresh on an unknown kid.
func (p *IdP) JWKSFetches() int { return int(p.jwksFetches.Load()) }

// SetJWKSUnavailable makes the JWKS endpoint answer 503 (still counted as a
// fetch) until switched back, to test verifiers when the IdP is down.
func (p *IdP) SetJWKSUnavailable(down bool) { p.jwksDown.Store(down) }
