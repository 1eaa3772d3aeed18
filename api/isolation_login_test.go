package api_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testgithub"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the login routes: proxy-mode login (/auth/login,
// /auth/callback, /auth/workspaces, /auth/token, /auth/refresh,
// /auth/logout), the admin login (/auth/admin/…) and the GitHub login
// (/authz/idp/github/…). They run the real flows against the world's IdP
// (and a fake GitHub): a client app's redirect URI is the server's own
// /health, so a login that succeeds ends there with 200. A user of A
// reaches nothing of B: a code or refresh token only ever yields the
// user's own workspaces, and another's code, state or session is refused.
// None of them writes a row the digest reads (logins write login states,
// codes and refresh families only).

// isoLoginWorld is what the login cases need besides the world.
type isoLoginWorld struct {
	gh *testgithub.GitHub
	// app is an active client app whose redirect URI is <url>/health; off
	// an inactive one with the same URI.
	app, off store.ClientApp
	// admin is an administrator with an identity at the IdP.
	admin isoUser
	// browser is the world's login cookie (api/login_browser.go): every
	// request of the world carries it, as one browser's would, so a
	// login's callback is accepted in a later request; a login started
	// elsewhere is refused (TestLoginCSRF in cmd/sentinel).
	browser string
}

// cookieHeader is the Cookie header of an isoReq: the world's login
// cookie and the admin_token cookie it names.
func (w *isoWorld) cookieHeader(req isoReq) string {
	var cs []string
	if w.login != nil && w.login.browser != "" {
		cs = append(cs, "sentinel_login="+w.login.browser)
	}
	if req.cookie != "" {
		cs = append(cs, "admin_token="+req.cookie)
	}
	return strings.Join(cs, "; ")
}

// isoLoginConfig gives the world's IdP a login block and adds a "github"
// provider (the github plugin against a fake GitHub) with one. The issuer
// URL must be the server's own.
func isoLoginConfig(t *testing.T, idp *testidp.IdP, id *app.IdentityConfig) *isoLoginWorld {
	t.Helper()
	gh := testgithub.Start(t)
	gh.LoginAs(&testgithub.User{ID: 7, Login: "octo", Name: "Octo", Email: "octo@example.test"})
	plugin, sum := testenv.PluginBinary(t, "github")
	id.Providers = append(id.Providers, plugins.ProviderConfig{Name: login.GitHubProvider, Plugin: plugin, SHA256: sum,
		Settings: map[string]any{"base_url": gh.URL()}})
	id.Logins = []login.Config{
		{Provider: isoProvider, ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), Issuer: idp.Issuer()},
		{Provider: login.GitHubProvider, ClientID: gh.ClientID, ClientSecret: gh.Secret, AuthURL: gh.AuthURL(), TokenURL: gh.TokenURL()},
	}
	idp.AddRedirectURI(id.IssuerURL + "/auth/callback/" + isoProvider)
	idp.AddRedirectURI(id.IssuerURL + "/auth/admin/callback/" + isoProvider)
	return &isoLoginWorld{gh: gh, browser: rand.Text()}
}

// loginSetup creates the client apps and the administrator.
func (w *isoWorld) loginSetup() {
	w.t.Helper()
	l := w.login
	var err error
	uris := []string{w.url + "/health"}
	if l.app, err = w.st.CreateClientApp(w.ctx, store.ClientAppSpec{Name: "iso web", RedirectURIs: uris}); err != nil {
		w.t.Fatal(err)
	}
	if l.off, err = w.st.CreateClientApp(w.ctx, store.ClientAppSpec{Name: "iso off", RedirectURIs: uris}); err != nil {
		w.t.Fatal(err)
	}
	off := false
	if l.off, err = w.st.UpdateClientApp(w.ctx, l.off.ID, store.ClientAppUpdate{Active: &off}); err != nil {
		w.t.Fatal(err)
	}
	l.admin = w.user("admin")
	w.must(nil, w.st.SetUserAdmin(w.ctx, l.admin.id, true))
}

// isoPKCE is a client's PKCE pair.
type isoPKCE struct{ verifier, challenge string }

func newISOPKCE() isoPKCE {
	v := oauth2.GenerateVerifier()
	return isoPKCE{v, oauth2.S256ChallengeFromVerifier(v)}
}

// loginPath is GET /auth/login/{provider} of the client app.
func (w *isoWorld) loginPath(provider, clientID, redirect string, p isoPKCE) string {
	return "/auth/login/" + provider + "?" + url.Values{"client_id": {clientID}, "redirect_uri": {redirect},
		"code_challenge": {p.challenge}, "code_challenge_method": {"S256"}}.Encode()
}

// follow fetches path on the server like a browser, stopping before the
// first URL stop matches, and returns that URL (nil if none matched).
func (w *isoWorld) follow(path string, stop func(u *url.URL) bool) *url.URL {
	w.t.Helper()
	var at *url.URL
	c := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if stop(req.URL) || len(via) > 10 {
			at = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	req, err := http.NewRequest("GET", w.url+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Cookie", w.cookieHeader(isoReq{}))
	res, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	res.Body.Close()
	return at
}

// relative is u's path and query, for an isoReq.
func relative(u *url.URL) string { return u.Path + "?" + u.RawQuery }

// callback logs u in at the IdP for an admin login (admin) or a proxy
// login of the world's client app, and returns Sentinel's callback URL,
// not yet fetched.
func (w *isoWorld) callback(u isoUser, admin bool) *url.URL {
	w.t.Helper()
	w.idp.LoginAs(u.subject)
	start, prefix := w.loginPath(isoProvider, w.login.app.ID, w.url+"/health", newISOPKCE()), "/auth/callback/"
	if admin {
		start, prefix = "/auth/admin/login/"+isoProvider, "/auth/admin/callback/"
	}
	at := w.follow(start, func(x *url.URL) bool { return strings.HasPrefix(x.Path, prefix) })
	if at == nil {
		w.t.Fatalf("the login of %s did not reach %s", u.subject, prefix)
	}
	return at
}

// code logs u in through proxy-mode login and returns the one-time code.
func (w *isoWorld) code(u isoUser, p isoPKCE) string {
	w.t.Helper()
	w.idp.LoginAs(u.subject)
	at := w.follow(w.loginPath(isoProvider, w.login.app.ID, w.url+"/health", p), func(x *url.URL) bool { return x.Path == "/health" })
	if at == nil || at.Query().Get("code") == "" {
		w.t.Fatalf("the login of %s ended at %v without a code", u.subject, at)
	}
	return at.Query().Get("code")
}

// session logs u in and redeems the code for the tenant's workspace.
func (w *isoWorld) session(u isoUser, tn *isoTenant) (access, refresh string) {
	w.t.Helper()
	p := newISOPKCE()
	r := testenv.Must(w.t, 200, testenv.Do(w.t, "POST", w.url+"/auth/token", "",
		map[string]any{"code": w.code(u, p), "workspace_id": tn.ws.ID, "code_verifier": p.verifier}))
	return r.Body["access_token"].(string), r.Body["refresh_token"].(string)
}

// adminCookie runs the admin login of the world's administrator and
// returns the admin_token cookie's value.
func (w *isoWorld) adminCookie() string {
	w.t.Helper()
	req, err := http.NewRequest("GET", w.callback(w.login.admin, true).String(), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Cookie", w.cookieHeader(isoReq{}))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "admin_token" && c.Value != "" {
			return c.Value
		}
	}
	w.t.Fatalf("the admin login answered %d without the cookie", res.StatusCode)
	return ""
}

// jwtClaims reads a token's claims without verifying it (the server did).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		t.Fatalf("JWT claims: %v", err)
	}
	return c
}

// atHealth: a login that ended at the client app's redirect URI.
func atHealth(t *testing.T, _ *isoWorld, r testenv.Response) {
	t.Helper()
	if r.Raw != `{"status":"ok"}` {
		t.Errorf("the login did not end at the redirect URI: %.300s", r.Raw)
	}
}

// tokenIn checks a token answer's access token is for the tenant's
// workspace.
func tokenIn(tn func(w *isoWorld) *isoTenant) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, w *isoWorld, r testenv.Response) {
		t.Helper()
		tok, _ := r.Body["access_token"].(string)
		if c := jwtClaims(t, tok); c["wid"] != tn(w).ws.ID {
			t.Errorf("access token for workspace %v, want %s", c["wid"], tn(w).ws.ID)
		}
	}
}

func isoLoginRoutes() []isoRoute {
	health := func(w *isoWorld) string { return w.url + "/health" }
	return append(isoProxyLoginRoutes(health), isoAdminLoginRoutes()...)
}

func isoProxyLoginRoutes(health func(w *isoWorld) string) []isoRoute {
	return []isoRoute{
		{method: "GET", pattern: "/auth/login/:provider", cases: []isoCase{
			{name: "a redirect URI the app did not register", req: func(w *isoWorld) isoReq {
				return isoReq{path: w.loginPath(isoProvider, w.login.app.ID, health(w)+"/x", newISOPKCE())}
			}, status: 400, detail: "not registered", foreign: true},
			{name: "an inactive client app", req: func(w *isoWorld) isoReq {
				return isoReq{path: w.loginPath(isoProvider, w.login.off.ID, health(w), newISOPKCE())}
			}, status: 400, detail: "inactive", foreign: true},
			{name: "control: A's viewer logs in", req: func(w *isoWorld) isoReq {
				w.idp.LoginAs(w.a.viewer.subject)
				return isoReq{path: w.loginPath(isoProvider, w.login.app.ID, health(w), newISOPKCE())}
			}, status: 200, check: atHealth},
		}},
		{method: "GET", pattern: "/auth/callback/:provider", cases: []isoCase{
			{name: "a tampered state", req: func(w *isoWorld) isoReq {
				cb := w.callback(w.b.owner, false)
				q := cb.Query()
				q.Set("state", q.Get("state")+"x")
				cb.RawQuery = q.Encode()
				return isoReq{path: relative(cb)}
			}, status: 400, detail: "invalid or expired login state", foreign: true},
			{name: "an admin login's state", req: func(w *isoWorld) isoReq {
				cb := w.callback(w.b.owner, true)
				return isoReq{path: "/auth/callback/" + isoProvider + "?" + cb.RawQuery}
			}, status: 400, detail: "invalid or expired login state", foreign: true},
			{name: "control: A's viewer's callback", req: func(w *isoWorld) isoReq {
				return isoReq{path: relative(w.callback(w.a.viewer, false))}
			}, status: 200, check: atHealth},
		}},
		{method: "POST", pattern: "/auth/workspaces", cases: []isoCase{
			{name: "A's viewer's code lists A only", req: func(w *isoWorld) isoReq {
				p := newISOPKCE()
				return isoReq{path: "/auth/workspaces", body: map[string]any{"code": w.code(w.a.viewer, p), "code_verifier": p.verifier}}
			}, status: 200, foreign: true, check: wantWorkspaces(func(w *isoWorld) []string { return []string{w.a.ws.ID} }, false)},
			{name: "B's owner's code with another verifier", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/workspaces", body: map[string]any{"code": w.code(w.b.owner, newISOPKCE()), "code_verifier": newISOPKCE().verifier}}
			}, status: 400, detail: "code_verifier", foreign: true},
			{name: "control: a member of A and B lists both", req: func(w *isoWorld) isoReq {
				p := newISOPKCE()
				return isoReq{path: "/auth/workspaces", body: map[string]any{"code": w.code(w.dual, p), "code_verifier": p.verifier}}
			}, status: 200, check: wantWorkspaces(func(w *isoWorld) []string { return []string{w.a.ws.ID, w.b.ws.ID} }, false)},
		}},
		{method: "POST", pattern: "/auth/token", cases: []isoCase{
			{name: "A's viewer's code for B's workspace", req: func(w *isoWorld) isoReq {
				p := newISOPKCE()
				return isoReq{path: "/auth/token", body: map[string]any{"code": w.code(w.a.viewer, p), "workspace_id": w.b.ws.ID, "code_verifier": p.verifier}}
			}, status: 403, detail: "Not a member", foreign: true},
			{name: "B's owner's code with another verifier", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/token", body: map[string]any{"code": w.code(w.b.owner, newISOPKCE()), "workspace_id": w.b.ws.ID,
					"code_verifier": newISOPKCE().verifier}}
			}, status: 400, detail: "code_verifier", foreign: true},
			{name: "control: B's owner's code for B", req: func(w *isoWorld) isoReq {
				p := newISOPKCE()
				return isoReq{path: "/auth/token", body: map[string]any{"code": w.code(w.b.owner, p), "workspace_id": w.b.ws.ID, "code_verifier": p.verifier}}
			}, status: 200, check: tokenIn(func(w *isoWorld) *isoTenant { return w.b })},
		}},
		{method: "POST", pattern: "/auth/refresh", cases: []isoCase{
			{name: "A's viewer's access token as the refresh token", req: func(w *isoWorld) isoReq {
				access, _ := w.session(w.a.viewer, w.a)
				return isoReq{path: "/auth/refresh", body: map[string]any{"refresh_token": access}}
			}, status: 401, detail: "invalid token", foreign: true},
			{name: "A's viewer's refresh stays in A", req: func(w *isoWorld) isoReq {
				_, refresh := w.session(w.a.viewer, w.a)
				return isoReq{path: "/auth/refresh", body: map[string]any{"refresh_token": refresh}}
			}, status: 200, foreign: true, check: tokenIn(func(w *isoWorld) *isoTenant { return w.a })},
			{name: "B's owner's spent refresh token", req: func(w *isoWorld) isoReq {
				_, refresh := w.session(w.b.owner, w.b)
				testenv.Must(w.t, 200, testenv.Do(w.t, "POST", w.url+"/auth/refresh", "", map[string]any{"refresh_token": refresh}))
				return isoReq{path: "/auth/refresh", body: map[string]any{"refresh_token": refresh}}
			}, status: 401, detail: "used already", foreign: true},
			{name: "control: B's owner refreshes", req: func(w *isoWorld) isoReq {
				_, refresh := w.session(w.b.owner, w.b)
				return isoReq{path: "/auth/refresh", body: map[string]any{"refresh_token": refresh}}
			}, status: 200, check: tokenIn(func(w *isoWorld) *isoTenant { return w.b })},
		}},
		func() isoRoute {
			var bRefresh, bAccess string
			return isoRoute{method: "POST", pattern: "/auth/logout", cases: []isoCase{
				{name: "no token", req: func(*isoWorld) isoReq { return isoReq{path: "/auth/logout"} },
					status: 401, detail: "Not authenticated", foreign: true},
				{name: "A's viewer's refresh token as the bearer", req: func(w *isoWorld) isoReq {
					_, refresh := w.session(w.a.viewer, w.a)
					return isoReq{path: "/auth/logout", bearer: refresh}
				}, status: 401, detail: "invalid token", foreign: true},
				{name: "A's viewer logs out; B's owner's session lives on", req: func(w *isoWorld) isoReq {
					_, bRefresh = w.session(w.b.owner, w.b)
					access, _ := w.session(w.a.viewer, w.a)
					return isoReq{path: "/auth/logout", bearer: access}
				}, status: 200, foreign: true, check: func(t *testing.T, w *isoWorld, _ testenv.Response) {
					t.Helper()
					testenv.Must(t, 200, testenv.Do(t, "POST", w.url+"/auth/refresh", "", map[string]any{"refresh_token": bRefresh}))
				}},
				{name: "control: B's owner logs out", req: func(w *isoWorld) isoReq {
					bAccess, _ = w.session(w.b.owner, w.b)
					return isoReq{path: "/auth/logout", bearer: bAccess}
				}, status: 200, check: func(t *testing.T, w *isoWorld, _ testenv.Response) {
					t.Helper()
					testenv.Must(t, 401, testenv.Do(t, "GET", w.url+"/users/me", bAccess, nil))
				}},
			}}
		}(),
		{method: "GET", pattern: "/authz/idp/github/login", cases: []isoCase{
			{name: "a redirect URI no app registered", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/authz/idp/github/login?" + url.Values{"redirect_uri": {"https://evil.example/cb"}}.Encode()}
			}, status: 400, detail: "redirect_uri", foreign: true},
			{name: "control: the client app's redirect URI", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/authz/idp/github/login?" + url.Values{"redirect_uri": {health(w)}, "nonce": {"n"}}.Encode()}
			}, status: 200, check: atHealth},
		}},
		{method: "GET", pattern: "/authz/idp/github/callback", cases: []isoCase{
			{name: "a proxy-mode login's state", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/authz/idp/github/callback?" + w.callback(w.b.owner, false).RawQuery}
			}, status: 400, detail: "invalid or expired login state", foreign: true},
			{name: "control: GitHub's callback", req: func(w *isoWorld) isoReq {
				at := w.follow("/authz/idp/github/login?"+url.Values{"redirect_uri": {health(w)}}.Encode(),
					func(x *url.URL) bool { return x.Path == "/authz/idp/github/callback" })
				if at == nil {
					w.t.Fatal("the GitHub login did not reach the callback")
				}
				return isoReq{path: relative(at)}
			}, status: 200, check: atHealth},
		}},
	}
}

func isoAdminLoginRoutes() []isoRoute {
	adminLogin := "/auth/admin/login/" + isoProvider
	return []isoRoute{
		{method: "GET", pattern: "/auth/admin/login/:provider", cases: []isoCase{
			{name: "B's owner is not an administrator", req: func(w *isoWorld) isoReq {
				w.idp.LoginAs(w.b.owner.subject)
				return isoReq{path: adminLogin}
			}, status: 403, detail: "Admin access required", foreign: true},
			{name: "control: the administrator", req: func(w *isoWorld) isoReq {
				w.idp.LoginAs(w.login.admin.subject)
				return isoReq{path: adminLogin}
			}, status: 200, check: wantField("id", func(w *isoWorld) string { return w.login.admin.id })},
		}},
		{method: "GET", pattern: "/auth/admin/callback/:provider", cases: []isoCase{
			{name: "B's owner is not an administrator", req: func(w *isoWorld) isoReq {
				return isoReq{path: relative(w.callback(w.b.owner, true))}
			}, status: 403, detail: "Admin access required", foreign: true},
			{name: "a proxy-mode login's state", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/admin/callback/" + isoProvider + "?" + w.callback(w.login.admin, false).RawQuery}
			}, status: 400, detail: "invalid or expired login state", foreign: true},
			{name: "control: the administrator", req: func(w *isoWorld) isoReq {
				return isoReq{path: relative(w.callback(w.login.admin, true))}
			}, status: 200, check: wantField("id", func(w *isoWorld) string { return w.login.admin.id })},
		}},
		{method: "GET", pattern: "/auth/admin/me", cases: []isoCase{
			{name: "no cookie", req: func(*isoWorld) isoReq { return isoReq{path: "/auth/admin/me"} },
				status: 401, detail: "Not authenticated", foreign: true},
			{name: "B's owner's access token as the cookie", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/admin/me", cookie: w.access(w.b.owner, w.b)}
			}, status: 401, detail: "Invalid admin session", foreign: true},
			{name: "the admin key as the bearer", req: func(*isoWorld) isoReq { return isoReq{path: "/auth/admin/me", bearer: adminKey} },
				status: 401, detail: "Not authenticated", foreign: true},
			{name: "control: the administrator's cookie", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/admin/me", cookie: w.adminCookie()}
			}, status: 200, check: wantField("id", func(w *isoWorld) string { return w.login.admin.id })},
		}},
		{method: "POST", pattern: "/auth/admin/logout", cases: []isoCase{
			{name: "no cookie", req: func(*isoWorld) isoReq { return isoReq{path: "/auth/admin/logout", xrw: true} },
				status: 401, detail: "Not authenticated", foreign: true},
			{name: "B's owner's access token as the cookie", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/admin/logout", cookie: w.access(w.b.owner, w.b), xrw: true}
			}, status: 401, detail: "invalid token", foreign: true},
			{name: "the administrator's cookie without X-Requested-With", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/admin/logout", cookie: w.adminCookie()}
			}, status: 403, detail: "X-Requested-With"},
			{name: "control: the administrator logs out", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/auth/admin/logout", cookie: w.adminCookie(), xrw: true}
			}, status: 200},
		}},
	}
}
