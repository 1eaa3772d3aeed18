package login_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sentinel-auth/sentinel/cache"
	"github.com/sentinel-auth/sentinel/identity"
	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/identity/userstatus"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// The flows in process, on a clock the test moves: a real store (SQLite),
// a real OpenID provider and the real oidc verifier plugin, Sentinel's
// real token issuer and verifier. The end-to-end tests through the binary
// are in cmd/sentinel (login_e2e_test.go); these cover what needs time to
// pass: expired login states and codes.

const issuerURL = "http://sentinel.test"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// members answers workspace questions from the store (app's membership
// without the RBAC actions, which proxy-mode tokens do not carry).
type members struct{ st store.Store }

func (m members) WorkspacesOf(ctx context.Context, _, userID string) ([]exchange.Workspace, error) {
	ws, err := m.st.WorkspacesOf(ctx, userID)
	out := []exchange.Workspace{}
	for _, w := range ws {
		out = append(out, exchange.Workspace{ID: w.ID, Name: w.Name, Slug: w.Slug, Role: string(w.Role)})
	}
	return out, err
}

func (m members) Grant(ctx context.Context, _, userID, workspaceID string) (exchange.Workspace, []string, []string, error) {
	mem, err := m.st.Membership(ctx, workspaceID, userID)
	if errors.Is(err, store.ErrNotMember) || errors.Is(err, store.ErrNotFound) {
		return exchange.Workspace{}, nil, nil, exchange.ErrNotMember
	}
	if err != nil {
		return exchange.Workspace{}, nil, nil, err
	}
	w, err := m.st.Workspace(ctx, workspaceID)
	if err != nil {
		return exchange.Workspace{}, nil, nil, err
	}
	groups, err := m.st.GroupsOfUser(ctx, workspaceID, userID)
	return exchange.Workspace{ID: w.ID, Name: w.Name, Slug: w.Slug, Role: string(mem.Role)}, groups, nil, err
}

type world struct {
	svc   *login.Service
	st    store.Store
	idp   *testidp.IdP
	clock *clock
}

// newWorld builds the world; opts may change the service's options
// (another store, more providers) before it starts.
func newWorld(t *testing.T, opts ...func(*login.Options)) *world {
	t.Helper()
	ctx := t.Context()
	st := testenv.SQLiteStore(t)
	idp := testidp.Start(t)
	idp.AddRedirectURI(issuerURL + "/auth/callback/corp")
	idp.AddRedirectURI(issuerURL + "/auth/admin/callback/corp")
	master, _, err := keys.LoadOrCreateMasterKey(filepath.Join(t.TempDir(), "master.key"), "", true)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keys.Open(ctx, st, master, keys.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deny := cache.NewDenylist(nil, cache.DenylistOptions{})
	issuer, err := token.NewIssuer(ring, token.IssuerConfig{Issuer: issuerURL})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := token.NewVerifier(ring, deny, userstatus.New(st), token.VerifierConfig{Issuer: issuerURL})
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := cache.NewJWKS(nil, cache.JWKSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plugin, sum := testenv.PluginBinary(t, "oidc")
	host, err := plugins.NewHost(ctx, []plugins.ProviderConfig{{Name: "corp", Plugin: plugin, SHA256: sum,
		Settings: map[string]any{"issuer": idp.Issuer(), "client_ids": []string{idp.ClientID()}}}}, jwks, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	m := members{st}
	ex := exchange.New(host, st, m, identity.NewTokens(issuer, verifier, deny, 0))
	clk := &clock{t: time.Now()}
	o := login.Options{IssuerURL: issuerURL, Store: st, SignIn: ex, Members: m,
		Issuer: issuer, Verifier: verifier, Deny: deny, Now: clk.Now,
		Providers: []login.Config{{Provider: "corp", ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), Issuer: idp.Issuer()}}}
	for _, f := range opts {
		f(&o)
	}
	svc, err := login.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return &world{svc: svc, st: st, idp: idp, clock: clk}
}

// toCallback follows the IdP's login from an authorization URL to
// Sentinel's callback, which it does not fetch, and returns its query.
func toCallback(t *testing.T, authURL string) url.Values {
	t.Helper()
	var got *url.URL
	c := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), issuerURL) {
			got = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got == nil {
		t.Fatalf("the IdP login ended at %s with %d", res.Request.URL, res.StatusCode)
	}
	return got.Query()
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.idp.AddUser(testidp.User{Subject: "anne", Email: "anne@example.com", EmailVerified: true, Name: "Anne"})
	w.idp.LoginAs("anne")
	app, err := w.st.CreateClientApp(ctx, store.ClientAppSpec{Name: "Web", RedirectURIs: []string{"https://app.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	const browser = "the browser's login cookie"
	req := login.Request{Provider: "corp", ClientID: app.ID, RedirectURI: "https://app.example/cb",
		CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), CodeChallengeMethod: "S256", Browser: browser}
	begin := func() url.Values {
		t.Helper()
		u, err := w.svc.Begin(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return toCallback(t, u)
	}

	// A state past its 10 minutes is refused, and spent.
	q := begin()
	w.clock.Add(10*time.Minute + time.Second)
	if to, err := w.svc.Callback(ctx, "corp", browser, q); to != "" || !errors.Is(err, login.ErrInvalidState) {
		t.Fatalf("expired state: %q, %v", to, err)
	}
	// The control: just within its life, the same flow gives a code.
	q = begin()
	w.clock.Add(10*time.Minute - time.Second)
	to, err := w.svc.Callback(ctx, "corp", browser, q)
	if err != nil || !strings.HasPrefix(to, "https://app.example/cb?code=") {
		t.Fatalf("state within its life: %q, %v", to, err)
	}
	// A proxy-mode state is not an admin login's.
	q = begin()
	if _, err := w.svc.AdminCallback(ctx, "corp", browser, q); !errors.Is(err, login.ErrInvalidState) {
		t.Fatalf("a login state at the admin callback: %v", err)
	}

	// A code past its 5 minutes is refused; within them it lists the
	// (no) workspaces.
	u, _ := url.Parse(to)
	code := u.Query().Get("code")
	w.clock.Add(5*time.Minute - time.Second)
	if ws, err := w.svc.Workspaces(ctx, code, verifier); err != nil || len(ws) != 0 {
		t.Fatalf("code within its life: %v, %v", ws, err)
	}
	w.clock.Add(2 * time.Second)
	if _, err := w.svc.Workspaces(ctx, code, verifier); !errors.Is(err, login.ErrInvalidCode) {
		t.Fatalf("expired code: %v", err)
	}
	if _, err := w.svc.Token(ctx, code, "some-workspace", verifier); !errors.Is(err, login.ErrInvalidCode) {
		t.Fatalf("expired code at /auth/token: %v", err)
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SECRET": "s3cr3t-value"}
	getenv := func(k string) string { return env[k] }
	ok := login.Config{Provider: "corp", ClientID: "id", ClientSecretEnv: "SECRET", Issuer: "https://idp.example"}
	with := func(f func(c *login.Config)) login.Config { c := ok; f(&c); return c }
	cases := []struct {
		name string
		cfg  login.Config
		want string // "" for valid
	}{
		{"valid OIDC", ok, ""},
		{"valid GitHub", with(func(c *login.Config) {
			c.Issuer, c.AuthURL, c.TokenURL = "", "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"
		}), ""},
		{"http loopback issuer", with(func(c *login.Config) { c.Issuer = "http://127.0.0.1:9009" }), ""},
		{"inline secret", with(func(c *login.Config) { c.ClientSecretEnv, c.ClientSecret = "", "inline" }), ""},
		{"no client_id", with(func(c *login.Config) { c.ClientID = " " }), "client_id is required"},
		{"no secret", with(func(c *login.Config) { c.ClientSecretEnv = "" }), "client_secret_env (or client_secret) is required"},
		{"both secrets", with(func(c *login.Config) { c.ClientSecret = "x" }), "not both"},
		{"secret env unset", with(func(c *login.Config) { c.ClientSecretEnv = "NOPE" }), "NOPE, which is not set"},
		{"issuer and auth_url", with(func(c *login.Config) { c.AuthURL = "https://a.example" }), "not both"},
		{"no endpoints", with(func(c *login.Config) { c.Issuer = "" }), "issuer, or auth_url and token_url, is required"},
		{"auth_url without token_url", with(func(c *login.Config) { c.Issuer, c.AuthURL = "", "https://a.example" }), "is required"},
		{"plain http issuer", with(func(c *login.Config) { c.Issuer = "http://idp.example" }), "want https"},
		{"plain http to a host named like loopback", with(func(c *login.Config) { c.Issuer = "http://127.0.0.1.idp.example" }), "want https"},
		{"plain http to a 127. subdomain", with(func(c *login.Config) { c.Issuer = "http://127.idp.example" }), "want https"},
		{"http IPv6 loopback issuer", with(func(c *login.Config) { c.Issuer = "http://[::1]:9009" }), ""},
		{"http 127/8 issuer", with(func(c *login.Config) { c.Issuer = "http://127.0.0.2:9009" }), ""},
		{"relative token_url", with(func(c *login.Config) { c.Issuer, c.AuthURL, c.TokenURL = "", "https://a.example", "/token" }), "token_url"},
		{"OIDC without openid", with(func(c *login.Config) { c.Scopes = []string{"email"} }), "must include openid"},
		{"scope with a space", with(func(c *login.Config) { c.Scopes = []string{"openid", "a b"} }), "one word per scope"},
	}
	for _, tc := range cases {
		err := login.CheckConfigs([]login.Config{tc.cfg}, getenv)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want it to say %q", tc.name, err, tc.want)
		case err != nil && (strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), `"corp"`)):
			t.Errorf("%s: the error must name the provider and never the secret: %v", tc.name, err)
		}
	}
	if err := login.CheckConfigs([]login.Config{ok, ok}, getenv); err == nil || !strings.Contains(err.Error(), "two login blocks") {
		t.Errorf("a provider twice: %v", err)
	}
	shown := with(func(c *login.Config) { c.ClientSecretEnv, c.ClientSecret = "", "inline-secret" })
	if s := shown.String(); strings.Contains(s, "inline-secret") || !strings.Contains(s, "corp") {
		t.Errorf("String() = %q: it must name the provider and hide the secret", s)
	}
}

// TestBrowserBinding: a login's state is redeemed only with the browser
// binding it was started with (login CSRF); a login cannot start without
// one.
func TestBrowserBinding(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.idp.AddUser(testidp.User{Subject: "mallory", Email: "mallory@example.com", EmailVerified: true})
	w.idp.LoginAs("mallory")
	app, err := w.st.CreateClientApp(ctx, store.ClientAppSpec{Name: "Web", RedirectURIs: []string{"https://app.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	req := login.Request{Provider: "corp", ClientID: app.ID, RedirectURI: "https://app.example/cb",
		CodeChallenge: oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()), CodeChallengeMethod: "S256", Browser: "mallory's"}
	if _, err := w.svc.Begin(ctx, login.Request{Provider: req.Provider, ClientID: req.ClientID, RedirectURI: req.RedirectURI,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: "S256"}); !errors.Is(err, login.ErrInvalidRequest) {
		t.Fatalf("a login without a browser binding: %v", err)
	}
	if _, err := w.svc.BeginAdmin(ctx, "corp", ""); !errors.Is(err, login.ErrInvalidRequest) {
		t.Fatalf("an admin login without a browser binding: %v", err)
	}
	for _, tc := range []struct {
		name, browser string
		ok            bool
	}{
		{"no binding", "", false},
		{"another browser's", "victor's", false},
		{"the same browser", "mallory's", true},
	} {
		u, err := w.svc.Begin(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		to, err := w.svc.Callback(ctx, "corp", tc.browser, toCallback(t, u))
		switch {
		case tc.ok && (err != nil || !strings.HasPrefix(to, "https://app.example/cb?code=")):
			t.Errorf("%s: %q, %v", tc.name, to, err)
		case !tc.ok && (to != "" || !errors.Is(err, login.ErrInvalidState) || !strings.Contains(err.Error(), "another browser")):
			t.Errorf("%s: %q, %v; want ErrInvalidState and no redirect", tc.name, to, err)
		}
	}
}
