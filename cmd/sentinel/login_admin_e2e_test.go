package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
)

// adminLogin runs the admin login as subject and returns the callback's
// response (status, body) and its admin_token cookie, if any.
func (s *loginServer) adminLogin(t *testing.T, subject string) (int, string, *http.Cookie) {
	t.Helper()
	s.corp.LoginAs(subject)
	b := newBrowser(t, func(*url.URL) bool { return false })
	status, _, body := b.get(s.srv.URL + "/auth/admin/login/corp")
	u, _ := url.Parse(s.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "admin_token" {
			return status, body, c
		}
	}
	return status, body, nil
}

// TestAdminLoginEndToEnd: the admin console's login through the binary:
// only an administrator gets the admin_token cookie (HttpOnly,
// SameSite=Strict, Path=/); the cookie opens the /admin routes, with
// X-Requested-With on mutations, and names the admin in the activity log;
// a demoted or deactivated admin's cookie stops working; logout
// denylists it and clears it.
func TestAdminLoginEndToEnd(t *testing.T) {
	t.Parallel()
	s := startLoginServer(t, nil)
	s.corp.AddUser(testidp.User{Subject: "root", Email: "root@example.com", EmailVerified: true, Name: "Root"})
	root := s.userID(t, "root")

	// Not an administrator yet: 403 and no cookie.
	status, body, cookie := s.adminLogin(t, "root")
	if status != 403 || cookie != nil || !strings.Contains(body, "Admin access required") {
		t.Fatalf("non-admin at the admin callback: %d %q cookie %v", status, body, cookie)
	}
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+root, map[string]any{"is_admin": true}))

	// The cookie's attributes, read off the callback's Set-Cookie.
	s.corp.LoginAs("root")
	toCallback := newBrowser(t, func(u *url.URL) bool { return strings.HasPrefix(u.Path, "/auth/admin/callback/") })
	_, loc, _ := toCallback.get(s.srv.URL + "/auth/admin/login/corp")
	res, me := rawJSON(t, "GET", loc, nil, toCallback.cookie(s.srv.URL, "sentinel_login"), nil)
	setCookie := res.Header.Get("Set-Cookie")
	if res.StatusCode != 200 || me["email"] != "root@example.com" || me["is_admin"] != true {
		t.Fatalf("admin callback: %d %v", res.StatusCode, me)
	}
	for _, want := range []string{"admin_token=", "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age="} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	if strings.Contains(setCookie, "Secure") {
		t.Errorf("Secure on an http issuer would make the browser drop the cookie: %q", setCookie)
	}
	cookie = res.Cookies()[0]

	get := func(path string, c *http.Cookie, headers map[string]string) (int, map[string]any) {
		res, body := rawJSON(t, "GET", s.srv.URL+path, headers, c, nil)
		return res.StatusCode, body
	}
	if st, me := get("/auth/admin/me", cookie, nil); st != 200 || me["id"] != root {
		t.Fatalf("/auth/admin/me: %d %v", st, me)
	}
	if st, _ := get("/auth/admin/me", nil, nil); st != 401 {
		t.Fatalf("/auth/admin/me without the cookie: %d", st)
	}
	if st, _ := get("/admin/users", cookie, nil); st != 200 {
		t.Fatalf("/admin/users with the cookie: %d", st)
	}

	// A mutation needs X-Requested-With; with it, it is logged as root.
	patch := func(c *http.Cookie, xrw bool) int {
		h := map[string]string{}
		if xrw {
			h["X-Requested-With"] = "XMLHttpRequest"
		}
		res, _ := rawJSON(t, "PATCH", s.srv.URL+"/admin/users/"+root, h, c, map[string]any{"name": "Root Admin"})
		return res.StatusCode
	}
	if st := patch(cookie, false); st != 403 {
		t.Fatalf("cookie mutation without X-Requested-With: %d", st)
	}
	if st := patch(cookie, true); st != 200 {
		t.Fatalf("cookie mutation: %d", st)
	}
	act := testenv.Must(t, 200, s.admin(t, "GET", "/admin/activity?action=user.updated", nil))
	if !strings.Contains(act.Raw, `"actor_id":"`+root+`"`) {
		t.Errorf("the cookie's mutation is not logged as root: %.600s", act.Raw)
	}

	// Demoted: the cookie stops at once. Promoted again, it works again
	// (it was never revoked), until root is deactivated.
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+root, map[string]any{"is_admin": false}))
	if st, _ := get("/admin/users", cookie, nil); st != 401 {
		t.Fatalf("a demoted admin's cookie: %d", st)
	}
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+root, map[string]any{"is_admin": true}))
	if st, _ := get("/admin/users", cookie, nil); st != 200 {
		t.Fatalf("a promoted admin's cookie: %d", st)
	}

	// Logout: X-Requested-With required, then the cookie is cleared and
	// its token denylisted.
	res, _ = rawJSON(t, "POST", s.srv.URL+"/auth/admin/logout", nil, cookie, nil)
	if res.StatusCode != 403 {
		t.Fatalf("logout without X-Requested-With: %d", res.StatusCode)
	}
	res, out := rawJSON(t, "POST", s.srv.URL+"/auth/admin/logout", map[string]string{"X-Requested-With": "XMLHttpRequest"}, cookie, nil)
	if res.StatusCode != 200 || out["ok"] != true || !strings.Contains(res.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v %q", res.StatusCode, out, res.Header.Get("Set-Cookie"))
	}
	if st, _ := get("/auth/admin/me", cookie, nil); st != 401 {
		t.Fatalf("the cookie after logout: %d", st)
	}

	// A fresh session of a deactivated admin is refused too.
	_, _, cookie = s.adminLogin(t, "root")
	if cookie == nil {
		t.Fatal("no cookie for the admin")
	}
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+root, map[string]any{"is_active": false}))
	if st, _ := get("/admin/users", cookie, nil); st != 401 {
		t.Fatalf("a deactivated admin's cookie: %d", st)
	}
}
