package main

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
)

// loginWorld is a workspace owned by Bob (signed in through AuthZ mode)
// who invited Anne, not yet a user, as an editor.
type loginWorld struct {
	*loginServer
	ws string // the workspace's id
}

func newLoginWorld(t *testing.T) *loginWorld {
	t.Helper()
	s := startLoginServer(t, nil)
	s.corp.AddUser(testidp.User{Subject: "bob", Email: "bob@example.com", EmailVerified: true, Name: "Bob"})
	s.corp.AddUser(testidp.User{Subject: "anne", Email: "anne@example.com", EmailVerified: true, Name: "Anne"})
	// Bob signs in through AuthZ mode and creates the workspace.
	r := testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/authz/token", s.key,
		map[string]any{"provider": "corp", "idp_token": s.corp.IDToken(t, "bob")}))
	bob := r.Body["authz_token"].(string)
	r = testenv.Must(t, 201, testenv.Do(t, "POST", s.srv.URL+"/workspaces", bob, map[string]any{"name": "Acme", "slug": "acme"}))
	w := &loginWorld{loginServer: s, ws: r.Body["id"].(string)}
	r = testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/authz/token", s.key,
		map[string]any{"provider": "corp", "idp_token": s.corp.IDToken(t, "bob"), "workspace_id": w.ws}))
	bob = r.Body["authz_token"].(string)
	r = testenv.Do(t, "POST", s.srv.URL+"/workspaces/"+w.ws+"/members/invite", bob, map[string]any{"email": "anne@example.com", "role": "editor"})
	if r.Status >= 300 {
		t.Fatalf("invite: %d %s", r.Status, r.Raw)
	}
	return w
}

// TestProxyLoginEndToEnd drives proxy-mode login through the binary with
// a real OpenID provider doing the authorization-code flow: login →
// workspaces → token → an API call with the access token → refresh →
// reuse of the spent refresh token kills the family → logout → the
// access token is refused.
func TestProxyLoginEndToEnd(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	s := w.loginServer

	r := testenv.Must(t, 200, testenv.Do(t, "GET", s.srv.URL+"/auth/providers", "", nil))
	if got, _ := r.Body["providers"].([]any); len(got) != 2 || got[0] != "corp" || got[1] != "partner" {
		t.Fatalf("providers: %s", r.Raw)
	}

	// Anne's first sign-in: she becomes a user and her invitation a
	// membership.
	p := newPKCE()
	code := s.code(t, "anne", p)
	for range 2 { // listing the workspaces does not use the code up
		r = testenv.Must(t, 200, s.post(t, "/auth/workspaces", map[string]any{"code": code, "code_verifier": p.verifier}))
		if !strings.Contains(r.Raw, `"id":"`+w.ws+`"`) || !strings.Contains(r.Raw, `"role":"editor"`) || !strings.Contains(r.Raw, `"slug":"acme"`) {
			t.Fatalf("workspaces: %s", r.Raw)
		}
	}
	wrong := newPKCE()
	r = s.post(t, "/auth/token", map[string]any{"code": code, "workspace_id": w.ws, "code_verifier": wrong.verifier})
	if r.Status != 400 || !strings.Contains(r.Body["detail"].(string), "code_verifier") {
		t.Fatalf("wrong code_verifier: %d %s", r.Status, r.Raw)
	}
	access, refresh := s.tokens(t, code, w.ws, p) // the wrong verifier did not burn the code
	r = s.post(t, "/auth/token", map[string]any{"code": code, "workspace_id": w.ws, "code_verifier": p.verifier})
	if r.Status != 400 || !strings.Contains(r.Raw, "invalid or expired code") {
		t.Fatalf("code reused: %d %s", r.Status, r.Raw)
	}

	c := s.claims(t, access)
	if c["type"] != "access" || c["aud"] != "sentinel:access" || c["wid"] != w.ws || c["wslug"] != "acme" || c["wrole"] != "editor" ||
		c["email"] != "anne@example.com" || c["name"] != "Anne" || c["iss"] != s.srv.URL || c["groups"] == nil {
		t.Fatalf("access claims: %v", c)
	}
	rc := s.claims(t, refresh)
	if rc["type"] != "refresh" || rc["sub"] != c["sub"] || rc["fid"] == "" {
		t.Fatalf("refresh claims: %v", rc)
	}

	// The access token works on the original's user routes.
	me := testenv.Must(t, 200, testenv.Do(t, "GET", s.srv.URL+"/users/me", access, nil))
	if me.Body["email"] != "anne@example.com" {
		t.Fatalf("/users/me: %s", me.Raw)
	}
	testenv.Must(t, 200, testenv.Do(t, "GET", s.srv.URL+"/workspaces/"+w.ws, access, nil))

	// Rotation: the new pair works, the spent refresh token comes back
	// and the whole family dies, the newest refresh token with it.
	r = testenv.Must(t, 200, s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh}))
	access2, refresh2 := r.Body["access_token"].(string), r.Body["refresh_token"].(string)
	if refresh2 == refresh || s.claims(t, refresh2)["fid"] != rc["fid"] || s.claims(t, access2)["wrole"] != "editor" {
		t.Fatalf("refresh did not rotate within the family: %s", r.Raw)
	}
	testenv.Must(t, 200, testenv.Do(t, "GET", s.srv.URL+"/users/me", access2, nil))
	r = s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh})
	if r.Status != 401 || !strings.Contains(r.Raw, "used already") {
		t.Fatalf("spent refresh token: %d %s", r.Status, r.Raw)
	}
	if r = s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh2}); r.Status != 401 {
		t.Fatalf("refresh token of a revoked family: %d %s", r.Status, r.Raw)
	}

	// A new login, then logout: its access token and its family end.
	p = newPKCE()
	access3, refresh3 := s.tokens(t, s.code(t, "anne", p), w.ws, p)
	testenv.Must(t, 200, testenv.Do(t, "GET", s.srv.URL+"/users/me", access3, nil))
	r = testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/auth/logout", access3, nil))
	if r.Raw != `{"ok":true}` {
		t.Fatalf("logout: %s", r.Raw)
	}
	if r = testenv.Do(t, "GET", s.srv.URL+"/users/me", access3, nil); r.Status != 401 {
		t.Fatalf("access token after logout: %d %s", r.Status, r.Raw)
	}
	if r = s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh3}); r.Status != 401 {
		t.Fatalf("refresh token after logout: %d %s", r.Status, r.Raw)
	}
	if r = testenv.Do(t, "POST", s.srv.URL+"/auth/logout", "", nil); r.Status != 401 {
		t.Fatalf("logout without a token: %d %s", r.Status, r.Raw)
	}
	if r = testenv.Do(t, "POST", s.srv.URL+"/auth/logout", refresh3, nil); r.Status != 401 {
		t.Fatalf("logout with a refresh token: %d %s", r.Status, r.Raw)
	}
}

// TestProxyLoginRefusals: each wrong request of a login is refused with
// the original's status and changes nothing the right request needs.
func TestProxyLoginRefusals(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	s := w.loginServer
	s.corp.LoginAs("anne")
	p := newPKCE()

	start := func(name string, u string, want int, detail string) {
		t.Helper()
		status, loc, body := newBrowser(t, func(*url.URL) bool { return true }).get(u)
		if status != want || (detail != "" && !strings.Contains(body, detail)) {
			t.Errorf("%s: status %d (location %q), want %d saying %q: %.300s", name, status, loc, want, detail, body)
		}
	}
	testenv.Must(t, 201, s.admin(t, "POST", "/admin/client-apps", map[string]any{"name": "Other", "redirect_uris": []string{"https://other.example/cb"}}))
	inactive := testenv.Must(t, 201, s.admin(t, "POST", "/admin/client-apps", map[string]any{"name": "Off", "redirect_uris": []string{appRedirect}}))
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/client-apps/"+inactive.Body["id"].(string), map[string]any{"is_active": false}))
	start("control", s.loginURL("corp", s.app, appRedirect, p, nil), 302, "")
	start("unregistered redirect_uri", s.loginURL("corp", s.app, appRedirect+"/x", p, nil), 400, "not registered")
	start("another app's redirect_uri", s.loginURL("corp", s.app, "https://other.example/cb", p, nil), 400, "not registered")
	start("inactive client app", s.loginURL("corp", inactive.Body["id"].(string), appRedirect, p, nil), 400, "inactive client_id")
	start("unknown client app", s.loginURL("corp", "7f1a1f2e-0000-4000-8000-000000000000", appRedirect, p, nil), 400, "client_id")
	start("unknown provider", s.loginURL("nope", s.app, appRedirect, p, nil), 400, "Unsupported provider: nope")
	start("plain PKCE", s.loginURL("corp", s.app, appRedirect, p, url.Values{"code_challenge_method": {"plain"}}), 400, "S256")
	start("no PKCE", s.loginURL("corp", s.app, appRedirect, pkce{}, nil), 400, "PKCE")

	// The IdP's callback: a tampered state, then the genuine one twice.
	toCallback := newBrowser(t, func(u *url.URL) bool { return strings.HasPrefix(u.Path, "/auth/callback/") })
	status, loc, body := toCallback.get(s.loginURL("corp", s.app, appRedirect, p, nil))
	if status != 302 || !strings.HasPrefix(loc, s.srv.URL+"/auth/callback/corp?") {
		t.Fatalf("to the callback: %d %q %.300s", status, loc, body)
	}
	cb, _ := url.Parse(loc)
	q := cb.Query()
	tampered := *cb
	tq := cb.Query()
	tq.Set("state", q.Get("state")+"x")
	tampered.RawQuery = tq.Encode()
	atCallback := toCallback.with(atApp) // the browser that started the login
	if status, _, body := atCallback.get(tampered.String()); status != 400 || !strings.Contains(body, "invalid or expired login state") {
		t.Errorf("tampered state: %d %.300s", status, body)
	}
	// The state belongs to corp's login: partner's callback refuses it
	// (and it is spent then: states are single use).
	if status, _, body := atCallback.get(strings.Replace(loc, "/auth/callback/corp?", "/auth/callback/partner?", 1)); status != 400 {
		t.Errorf("state of another provider: %d %.300s", status, body)
	}
	status, loc, body = toCallback.get(s.loginURL("corp", s.app, appRedirect, p, nil))
	if status != 302 {
		t.Fatalf("to the callback: %d %.300s", status, body)
	}
	if status, to, body := atCallback.get(loc); status != 302 || !strings.HasPrefix(to, appRedirect+"?code=") {
		t.Fatalf("genuine callback: %d %q %.300s", status, to, body)
	}
	if status, _, body := atCallback.get(loc); status != 400 || !strings.Contains(body, "invalid or expired login state") {
		t.Errorf("replayed callback: %d %.300s", status, body)
	}

	// A workspace the user is not a member of is a 403, and the code
	// stays usable.
	code := s.code(t, "anne", p)
	r := s.post(t, "/auth/token", map[string]any{"code": code, "workspace_id": "3b9c1a0e-0000-4000-8000-000000000000", "code_verifier": p.verifier})
	if r.Status != 403 {
		t.Errorf("not a member: %d %s", r.Status, r.Raw)
	}
	if r = s.post(t, "/auth/token", map[string]any{"code": code, "code_verifier": p.verifier}); r.Status != 422 {
		t.Errorf("no workspace_id: %d %s", r.Status, r.Raw)
	}
	if r = s.post(t, "/auth/workspaces", map[string]any{"code": "nope", "code_verifier": p.verifier}); r.Status != 400 {
		t.Errorf("unknown code: %d %s", r.Status, r.Raw)
	}

	// Concurrent redemptions of one code: exactly one gets tokens.
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for range n {
		wg.Go(func() {
			r, err := testenv.DoErr("POST", s.srv.URL+"/auth/token", "", map[string]any{"code": code, "workspace_id": w.ws, "code_verifier": p.verifier})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[0]++
				return
			}
			statuses[r.Status]++
		})
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[400] != n-1 {
		t.Errorf("concurrent redemptions: statuses %v, want one 200 and %d 400", statuses, n-1)
	}
}

// TestProxyLoginIdentityRules: proxy-mode login provisions users by the
// exchange's rules: an unverified email and an email that belongs to an
// account of another provider come back to the app as access_denied.
func TestProxyLoginIdentityRules(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	s := w.loginServer
	s.code(t, "anne", newPKCE()) // Anne exists, through corp
	s.partner.AddUser(testidp.User{Subject: "anne-p", Email: "Anne@example.com", EmailVerified: true})
	q := s.login(t, s.partner, "partner", "anne-p", newPKCE())
	if q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), "another identity provider") ||
		q.Get("code") != "" || q.Get("state") != "app-state" {
		t.Fatalf("email of another provider's account: %v", q)
	}
	s.corp.AddUser(testidp.User{Subject: "eve", Email: "eve@example.com", EmailVerified: false})
	q = s.login(t, s.corp, "corp", "eve", newPKCE())
	if q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), "verif") {
		t.Fatalf("unverified email: %v", q)
	}
}

// TestProxyLoginMembershipChanges: a refresh reads the membership again:
// a removed member and a deactivated user cannot refresh.
func TestProxyLoginMembershipChanges(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	s := w.loginServer
	s.corp.AddUser(testidp.User{Subject: "carl", Email: "carl@example.com", EmailVerified: true, Name: "Carl"})
	p := newPKCE()
	_, anneRefresh := s.tokens(t, s.code(t, "anne", p), w.ws, p)
	anne := s.claims(t, anneRefresh)["sub"].(string)

	// Carl joins as a viewer, logs in, and is removed.
	testenv.Must(t, 201, s.admin(t, "POST", "/admin/workspaces/"+w.ws+"/members", map[string]any{"user_id": s.userID(t, "carl"), "role": "viewer"}))
	p = newPKCE()
	_, carlRefresh := s.tokens(t, s.code(t, "carl", p), w.ws, p)
	carl := s.claims(t, carlRefresh)["sub"].(string)
	testenv.Must(t, 204, s.admin(t, "DELETE", "/admin/workspaces/"+w.ws+"/members/"+carl, nil))
	if r := s.post(t, "/auth/refresh", map[string]any{"refresh_token": carlRefresh}); r.Status != 401 && r.Status != 403 {
		t.Errorf("removed member's refresh: %d %s", r.Status, r.Raw)
	}

	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+anne, map[string]any{"is_active": false}))
	if r := s.post(t, "/auth/refresh", map[string]any{"refresh_token": anneRefresh}); r.Status != 401 {
		t.Errorf("deactivated user's refresh: %d %s", r.Status, r.Raw)
	}
}

// userID signs subject in through AuthZ mode (provisioning them) and
// returns their id.
func (s *loginServer) userID(t *testing.T, subject string) string {
	t.Helper()
	r := testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/authz/token", s.key,
		map[string]any{"provider": "corp", "idp_token": s.corp.IDToken(t, subject)}))
	return r.Body["user"].(map[string]any)["id"].(string)
}
