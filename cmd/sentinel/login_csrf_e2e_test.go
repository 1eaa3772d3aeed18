package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testgithub"
	"github.com/sentinel-auth/sentinel/internal/testidp"
)

// TestLoginCSRF: a login's state is bound to the browser that started it
// (RFC 6749 §10.12). Mallory starts a login in her own browser, logs in
// at the IdP as herself and stops before Sentinel's callback; she then
// gets Victor's browser to open that callback URL (a link, an img tag).
// Unbound, Sentinel would finish Mallory's login in Victor's browser:
// his app would receive her one-time code or her GitHub token, or his
// browser her admin_token cookie, and he would work inside her account.
// Each flow refuses the callback in any browser but the one that started
// the login, before redeeming anything at the IdP; the control is the
// same callback in Mallory's own browser.
func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	gh := testgithub.Start(t)
	s := startLoginServer(t, gh)
	s.corp.AddUser(testidp.User{Subject: "mallory", Email: "mallory@example.com", EmailVerified: true, Name: "Mallory"})
	mallory := s.userID(t, "mallory")
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/users/"+mallory, map[string]any{"is_admin": true}))
	gh.LoginAs(&testgithub.User{ID: 66, Login: "mallory", Name: "Mallory", Email: "mallory@example.org"})
	s.corp.LoginAs("mallory")

	// upTo runs the login in Mallory's browser up to Sentinel's callback
	// and returns her browser and the callback URL.
	upTo := func(start, callbackPath string) (*browser, string) {
		t.Helper()
		b := newBrowser(t, func(u *url.URL) bool { return u.Path == callbackPath })
		status, loc, body := b.get(start)
		if status != http.StatusFound || !strings.HasPrefix(loc, s.srv.URL+callbackPath+"?") {
			t.Fatalf("to %s: %d %q %.300s", callbackPath, status, loc, body)
		}
		return b, loc
	}
	// victor is a browser that never started that login; it has a
	// login of its own under way, so it has its own binding.
	victor := func() *browser {
		b := newBrowser(t, func(u *url.URL) bool { return u.Host != strings.TrimPrefix(s.srv.URL, "http://") })
		if status, _, _ := b.get(s.loginURL("partner", s.app, appRedirect, newPKCE(), nil)); status != http.StatusFound {
			t.Fatalf("Victor's own login did not start: %d", status)
		}
		return b
	}
	refused := func(name string, b *browser, callback string) {
		t.Helper()
		status, loc, body := b.get(callback)
		if status != http.StatusBadRequest || loc != "" || !strings.Contains(body, "another browser") {
			t.Errorf("%s in Victor's browser: %d, location %q: %.300s", name, status, loc, body)
		}
	}

	// Proxy-mode login: no code reaches Victor's app.
	start := s.loginURL("corp", s.app, appRedirect, newPKCE(), url.Values{"state": {"mallory-state"}})
	_, cb := upTo(start, "/auth/callback/corp")
	refused("proxy-mode callback", victor(), cb)
	_, cb = upTo(start, "/auth/callback/corp")
	refused("proxy-mode callback, no cookie at all", newBrowser(t, atApp), cb)
	mb, cb := upTo(start, "/auth/callback/corp")
	if status, loc, body := mb.with(atApp).get(cb); status != http.StatusFound || !strings.HasPrefix(loc, appRedirect+"?code=") {
		t.Errorf("control, Mallory's own browser: %d %q %.300s", status, loc, body)
	}

	// Admin login: Victor's browser gets no admin_token cookie.
	_, cb = upTo(s.srv.URL+"/auth/admin/login/corp", "/auth/admin/callback/corp")
	v := victor()
	refused("admin callback", v, cb)
	u, _ := url.Parse(s.srv.URL)
	for _, c := range v.c.Jar.Cookies(u) {
		if c.Name == "admin_token" {
			t.Errorf("Victor's browser got Mallory's admin_token cookie")
		}
	}
	mb, cb = upTo(s.srv.URL+"/auth/admin/login/corp", "/auth/admin/callback/corp")
	if status, _, body := mb.get(cb); status != http.StatusOK || !strings.Contains(body, mallory) {
		t.Errorf("control, Mallory's own admin login: %d %.300s", status, body)
	}

	// GitHub login (AuthZ mode): Mallory's GitHub token never reaches
	// Victor's app, and her code is not redeemed at GitHub.
	ghStart := s.srv.URL + "/authz/idp/github/login?" + url.Values{"redirect_uri": {appRedirect}, "nonce": {"n"}}.Encode()
	_, cb = upTo(ghStart, "/authz/idp/github/callback")
	redeemed := gh.Redeemed()
	refused("GitHub callback", victor(), cb)
	if gh.Redeemed() != redeemed {
		t.Errorf("Victor's refused callback redeemed Mallory's code at GitHub")
	}
	mb, cb = upTo(ghStart, "/authz/idp/github/callback")
	if status, loc, body := mb.with(atApp).get(cb); status != http.StatusFound || !strings.HasPrefix(loc, appRedirect+"#access_token=") {
		t.Errorf("control, Mallory's own GitHub login: %d %q %.300s", status, loc, body)
	}
}
