package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
)

// TestAdminCookieOrigins: the admin_token cookie works only for pages of
// Sentinel's own origin and of --admin-url's. CORS admits every active
// service app's allowed origin with credentials and X-Requested-With (the
// original's browser SDKs need that), and SameSite=Strict does not stop a
// request between two subdomains of one site (notes.example.com and
// auth.example.com are same-site). So a script on a tenant's app page
// (an XSS, a malicious tenant) could read and change everything an
// administrator visiting that page may, cookie and CSRF header included.
// Requests with the admin key are unaffected: no browser sends it by
// itself.
func TestAdminCookieOrigins(t *testing.T) {
	t.Parallel()
	const console = "https://console.example"
	s := startLoginServer(t, nil, "SENTINEL_ADMIN_URL="+console+"/admin")
	s.corp.AddUser(testidp.User{Subject: "root", Email: "root@example.com", EmailVerified: true, Name: "Root"})
	root := s.userID(t, "root")
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+root, map[string]any{"is_admin": true}))
	testenv.Must(t, 201, s.admin(t, "POST", "/admin/service-apps", map[string]any{
		"name": "Notes web", "service_name": "notes-web", "allowed_origins": []string{"https://notes.example"}}))

	s.corp.LoginAs("root")
	b := newBrowser(t, func(u *url.URL) bool { return u.Host == "console.example" })
	if status, loc, body := b.get(s.srv.URL + "/auth/admin/login/corp"); status != http.StatusFound || loc != console+"/admin" {
		t.Fatalf("admin login: %d %q %.300s", status, loc, body)
	}
	cookie := b.cookie(s.srv.URL, "admin_token")
	if cookie == nil {
		t.Fatal("no admin_token cookie")
	}

	srv, _ := url.Parse(s.srv.URL)
	otherPort := "http://" + srv.Hostname() + ":1"
	rename := func(name string) map[string]any { return map[string]any{"name": name} }
	cases := []struct {
		name, origin, method, path string
		body                       any
		want                       int
	}{
		{"a tenant app's page reads", "https://notes.example", "GET", "/admin/users", nil, 403},
		{"a tenant app's page writes", "https://notes.example", "PATCH", "/admin/users/" + root, rename("Pwned"), 403},
		{"a tenant app's page reads the session", "https://notes.example", "GET", "/auth/admin/me", nil, 403},
		{"a tenant app's page logs the admin out", "https://notes.example", "POST", "/auth/admin/logout", nil, 403},
		{"an opaque origin", "null", "GET", "/admin/users", nil, 403},
		{"another port of the server's host", otherPort, "GET", "/admin/users", nil, 403},
		{"control: no Origin (a top-level page load)", "", "GET", "/admin/users", nil, 200},
		{"control: Sentinel's own origin", s.srv.URL, "PATCH", "/admin/users/" + root, rename("Root A"), 200},
		{"control: the admin console's origin", console, "PATCH", "/admin/users/" + root, rename("Root B"), 200},
		{"control: the console reads the session", console, "GET", "/auth/admin/me", nil, 200},
	}
	for _, tc := range cases {
		h := map[string]string{"X-Requested-With": "XMLHttpRequest"}
		if tc.origin != "" {
			h["Origin"] = tc.origin
		}
		res, body := rawJSON(t, tc.method, s.srv.URL+tc.path, h, cookie, tc.body)
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, res.StatusCode, body, tc.want)
		}
	}
	r := testenv.Must(t, 200, s.admin(t, "GET", "/admin/users/"+root, nil))
	if r.Body["name"] != "Root B" {
		t.Errorf("the refused write changed the user: %s", r.Raw)
	}
	// The admin key is judged by itself, whatever the origin.
	res, body := rawJSON(t, "GET", s.srv.URL+"/admin/users", map[string]string{"Origin": "https://notes.example",
		"Authorization": "Bearer " + e2eAdmin}, nil, nil)
	if res.StatusCode != 200 {
		t.Errorf("the admin key from a tenant origin: %d %v", res.StatusCode, body)
	}
	// The refused logout did not end the session.
	if res, body := rawJSON(t, "GET", s.srv.URL+"/auth/admin/me", nil, cookie, nil); res.StatusCode != 200 {
		t.Errorf("the session after a refused logout: %d %v", res.StatusCode, body)
	}
}
