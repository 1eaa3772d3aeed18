package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testgithub"
	"github.com/sentinel-auth/sentinel/internal/testidp"
)

// loginServer is a sentinel binary whose providers "corp" and "partner"
// (real OpenID providers on loopback, through the oidc plugin) have login
// blocks, with Redis for the denylist, a service and a client app.
type loginServer struct {
	srv           *testenv.Server
	corp, partner *testidp.IdP
	key           string // service "notes"'s key
	app           string // the client app's id
	redirect      string // its redirect URI
}

// appRedirect is the client app's redirect URI: never fetched, the test
// browser stops there.
const appRedirect = "https://app.example/callback"

// startLoginServer starts it; with gh, a "github" provider (the github
// plugin against that fake GitHub) has a login block too.
func startLoginServer(t *testing.T, gh *testgithub.GitHub, extra ...string) *loginServer {
	t.Helper()
	redis := requireRedis(t)
	plugin, sum := testenv.PluginBinary(t, "oidc")
	s := &loginServer{corp: testidp.Start(t), partner: testidp.Start(t), redirect: appRedirect}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("providers:\n")
	for _, p := range []struct {
		name string
		idp  *testidp.IdP
	}{{"corp", s.corp}, {"partner", s.partner}} {
		fmt.Fprintf(&b, "  - name: %s\n    plugin: %s\n    sha256: %s\n    settings:\n      issuer: %s\n      client_ids: [%s]\n"+
			"    login:\n      client_id: %s\n      client_secret_env: %s_SECRET\n      issuer: %s\n",
			p.name, plugin, sum, p.idp.Issuer(), p.idp.ClientID(), p.idp.ClientID(), strings.ToUpper(p.name), p.idp.Issuer())
	}
	if gh != nil {
		ghPlugin, ghSum := testenv.PluginBinary(t, "github")
		b.WriteString(gh.Provider(ghPlugin, ghSum, "GITHUB_SECRET"))
		extra = append(extra, "GITHUB_SECRET="+gh.Secret)
	}
	providers := filepath.Join(dir, "providers.yaml")
	if err := os.WriteFile(providers, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.srv = testenv.StartServer(t, append([]string{"SENTINEL_ADMIN_KEY=" + e2eAdmin, "SENTINEL_DATA_DIR=" + dir,
		"SENTINEL_PROVIDERS_FILE=" + providers, "SENTINEL_REDIS_URL=" + redis,
		"CORP_SECRET=" + s.corp.ClientSecret(), "PARTNER_SECRET=" + s.partner.ClientSecret()}, extra...)...)
	for _, p := range []struct {
		name string
		idp  *testidp.IdP
	}{{"corp", s.corp}, {"partner", s.partner}} {
		p.idp.AddRedirectURI(s.srv.URL + "/auth/callback/" + p.name)
		p.idp.AddRedirectURI(s.srv.URL + "/auth/admin/callback/" + p.name)
	}
	r := testenv.Must(t, 201, testenv.Do(t, "POST", s.srv.URL+"/v1/admin/services", e2eAdmin, map[string]any{"name": "notes"}))
	s.key = r.Body["secret"].(string)
	r = testenv.Must(t, 201, s.admin(t, "POST", "/admin/client-apps", map[string]any{"name": "Web", "redirect_uris": []string{appRedirect}}))
	s.app = r.Body["id"].(string)
	return s
}

// admin calls an /admin route with the admin key and X-Requested-With.
func (s *loginServer) admin(t *testing.T, method, path string, body any) testenv.Response {
	t.Helper()
	return testenv.DoHeaders(t, method, s.srv.URL+path, map[string]string{
		"Authorization": "Bearer " + e2eAdmin, "X-Requested-With": "XMLHttpRequest"}, body)
}

// browser follows redirects like a browser, with cookies, and stops at a
// URL for which stop says so (the client app's redirect URI, say): that
// redirect's response is what it returns.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T, stop func(u *url.URL) bool) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if stop(req.URL) || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// with is the same browser (its cookies) stopping where stop says.
func (b *browser) with(stop func(u *url.URL) bool) *browser {
	return &browser{t: b.t, c: &http.Client{Jar: b.c.Jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if stop(req.URL) || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// cookie is the browser's cookie of that name for u, or nil.
func (b *browser) cookie(u, name string) *http.Cookie {
	at, err := url.Parse(u)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range b.c.Jar.Cookies(at) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// get fetches u and returns the status, the Location (of a stopped
// redirect) and the body.
func (b *browser) get(u string) (int, string, string) {
	b.t.Helper()
	res, err := b.c.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

// atApp stops at the client app's redirect URI.
func atApp(u *url.URL) bool { return u.Host == "app.example" }

// pkce is a client's PKCE pair.
type pkce struct{ verifier, challenge string }

func newPKCE() pkce {
	v := oauth2.GenerateVerifier()
	return pkce{verifier: v, challenge: oauth2.S256ChallengeFromVerifier(v)}
}

// loginURL is GET /auth/login/{provider} of the client app.
func (s *loginServer) loginURL(provider, clientID, redirect string, p pkce, extra url.Values) string {
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "code_challenge": {p.challenge},
		"code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return s.srv.URL + "/auth/login/" + provider + "?" + q.Encode()
}

// login runs the whole browser side of a proxy-mode login as subject and
// returns the client app's redirect, parsed.
func (s *loginServer) login(t *testing.T, idp *testidp.IdP, provider, subject string, p pkce) url.Values {
	t.Helper()
	idp.LoginAs(subject)
	status, loc, body := newBrowser(t, atApp).get(s.loginURL(provider, s.app, s.redirect, p, url.Values{"state": {"app-state"}}))
	if status != http.StatusFound || !strings.HasPrefix(loc, appRedirect+"?") {
		t.Fatalf("login as %s: status %d, location %q: %.300s", subject, status, loc, body)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

// code logs subject in and returns the one-time code.
func (s *loginServer) code(t *testing.T, subject string, p pkce) string {
	t.Helper()
	q := s.login(t, s.corp, "corp", subject, p)
	if q.Get("code") == "" || q.Get("state") != "app-state" {
		t.Fatalf("login as %s: redirect %v", subject, q)
	}
	return q.Get("code")
}

// post sends JSON to a route without credentials.
func (s *loginServer) post(t *testing.T, path string, body any) testenv.Response {
	t.Helper()
	return testenv.Do(t, "POST", s.srv.URL+path, "", body)
}

// tokens redeems a code for a workspace.
func (s *loginServer) tokens(t *testing.T, code, workspace string, p pkce) (access, refresh string) {
	t.Helper()
	r := testenv.Must(t, 200, s.post(t, "/auth/token", map[string]any{"code": code, "workspace_id": workspace, "code_verifier": p.verifier}))
	if r.Body["token_type"] != "bearer" || r.Body["expires_in"] != float64(900) {
		t.Fatalf("token answer: %s", r.Raw)
	}
	return r.Body["access_token"].(string), r.Body["refresh_token"].(string)
}

// claims introspects a token with the service key.
func (s *loginServer) claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	r := testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/tokens/introspect", s.key, map[string]any{"token": tok}))
	c, _ := r.Body["claims"].(map[string]any)
	return c
}

// rawJSON sends a request with headers and a cookie and returns the raw
// response (for Set-Cookie).
func rawJSON(t *testing.T, method, u string, headers map[string]string, cookie *http.Cookie, body any) (*http.Response, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		buf, _ := json.Marshal(body)
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res, out
}
