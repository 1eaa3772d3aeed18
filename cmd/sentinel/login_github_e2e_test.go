package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testgithub"
)

// TestGitHubAuthzLoginEndToEnd: AuthZ mode's server-side GitHub login
// through the binary against a fake GitHub: the app's redirect URI must be
// under an active service app's allowed origin or a registered client app
// redirect URI; the state is single use; the GitHub token reaches the app
// in the URL fragment, and /authz/resolve accepts it.
func TestGitHubAuthzLoginEndToEnd(t *testing.T) {
	t.Parallel()
	gh := testgithub.Start(t)
	s := startLoginServer(t, gh)
	octo := &testgithub.User{ID: 42, Login: "octocat", Name: "Octo Cat", Email: "octo@example.com"}
	gh.LoginAs(octo)
	r := testenv.Must(t, 201, s.admin(t, "POST", "/admin/service-apps", map[string]any{
		"name": "Notes web", "service_name": "notes-web", "allowed_origins": []string{"https://notes.example"}}))
	svcApp := r.Body["id"].(string)

	loginURL := func(redirect, nonce string) string {
		return s.srv.URL + "/authz/idp/github/login?" + url.Values{"redirect_uri": {redirect}, "nonce": {nonce}}.Encode()
	}
	atApps := func(u *url.URL) bool { return u.Host == "notes.example" || u.Host == "app.example" }

	// Under the service app's origin: the token arrives in the fragment.
	status, loc, body := newBrowser(t, atApps).get(loginURL("https://notes.example/after?x=1", "n-1"))
	if status != 302 || !strings.HasPrefix(loc, "https://notes.example/after?x=1#") {
		t.Fatalf("GitHub login: %d %q %.300s", status, loc, body)
	}
	u, _ := url.Parse(loc)
	frag, _ := url.ParseQuery(u.Fragment)
	if u.Query().Get("access_token") != "" || frag.Get("access_token") == "" || frag.Get("nonce") != "n-1" ||
		frag.Get("provider") != "github" || frag.Get("token_type") != "bearer" {
		t.Fatalf("redirect to the app: %q", loc)
	}
	res := testenv.DoHeaders(t, "POST", s.srv.URL+"/authz/resolve", map[string]string{"X-Service-Key": s.key},
		map[string]any{"provider": "github", "idp_token": frag.Get("access_token")})
	if res.Status != 200 || res.Body["user"].(map[string]any)["email"] != "octo@example.com" {
		t.Fatalf("/authz/resolve with the GitHub token: %d %s", res.Status, res.Raw)
	}

	// A registered client app redirect URI is allowed too, exactly.
	if status, loc, _ := newBrowser(t, atApps).get(loginURL(appRedirect, "")); status != 302 || !strings.HasPrefix(loc, appRedirect+"#access_token=") {
		t.Fatalf("client app redirect URI: %d %q", status, loc)
	}

	stopAll := func(*url.URL) bool { return true }
	refusedIn := func(b *browser, name, u string, want int, detail string) {
		t.Helper()
		status, loc, body := b.get(u)
		if status != want || !strings.Contains(body, detail) {
			t.Errorf("%s: %d (location %q), want %d saying %q: %.300s", name, status, loc, want, detail, body)
		}
	}
	refused := func(name, u string, want int, detail string) {
		t.Helper()
		refusedIn(newBrowser(t, stopAll), name, u, want, detail)
	}
	refused("unknown origin", loginURL("https://evil.example/cb", ""), 400, "redirect_uri")
	refused("a client app URI with a suffix", loginURL(appRedirect+"/more", ""), 400, "redirect_uri")
	refused("an origin's other scheme", loginURL("http://notes.example/after", ""), 400, "redirect_uri")
	refused("no redirect_uri", s.srv.URL+"/authz/idp/github/login", 400, "redirect_uri")

	// The callback: a tampered state, the genuine one, the same again.
	toCallback := newBrowser(t, func(u *url.URL) bool { return strings.HasPrefix(u.Path, "/authz/idp/github/callback") })
	_, cb, _ := toCallback.get(loginURL("https://notes.example/after", "n-2"))
	if !strings.HasPrefix(cb, s.srv.URL+"/authz/idp/github/callback?") {
		t.Fatalf("to the callback: %q", cb)
	}
	cbu, _ := url.Parse(cb)
	q := cbu.Query()
	q.Set("state", "forged-"+q.Get("state"))
	tampered := *cbu
	tampered.RawQuery = q.Encode()
	refusedIn(toCallback.with(stopAll), "tampered state", tampered.String(), 400, "invalid or expired login state")
	redeemed := gh.Redeemed()
	if status, loc, _ := toCallback.with(atApps).get(cb); status != 302 || !strings.Contains(loc, "#access_token=") {
		t.Fatalf("genuine callback: %d %q", status, loc)
	}
	refusedIn(toCallback.with(stopAll), "replayed callback", cb, 400, "invalid or expired login state")
	if gh.Redeemed() != redeemed+1 {
		t.Errorf("codes redeemed at GitHub: %d, want %d (refused callbacks redeem nothing)", gh.Redeemed(), redeemed+1)
	}

	// The user declines at GitHub: the app learns it in the fragment.
	gh.LoginAs(nil)
	if status, loc, _ := newBrowser(t, atApps).get(loginURL("https://notes.example/after", "n-3")); status != 302 ||
		!strings.Contains(loc, "#error=access_denied") || !strings.Contains(loc, "nonce=n-3") {
		t.Errorf("declined at GitHub: %d %q", status, loc)
	}
	gh.LoginAs(octo)

	// A deactivated service app's origin is no longer allowed, even for a
	// login already at GitHub.
	_, cb, _ = toCallback.get(loginURL("https://notes.example/after", ""))
	testenv.Must(t, 200, s.admin(t, "POST", "/admin/service-apps/"+svcApp+"/deactivate", nil))
	refused("deactivated service app, new login", loginURL("https://notes.example/after", ""), 400, "redirect_uri")
	refusedIn(toCallback.with(stopAll), "deactivated service app, login under way", cb, 400, "redirect_uri is neither")
}
