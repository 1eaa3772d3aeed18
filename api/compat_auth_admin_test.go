package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// TestAdminCookieSecure: the admin_token cookie is Secure exactly when the
// server's public URL (the issuer) is https, so a browser sends it only
// over TLS there, and still accepts it on a plain-http development server.
// The login cookie that binds the login to the browser is Secure and
// __Host- prefixed (no sibling subdomain can plant it) on https, HttpOnly
// and SameSite=Lax (the IdP's redirect back must carry it) either way.
// The IdP sends the browser to the issuer's callback URL; the test
// delivers that request to the server itself, with the login cookie.
func TestAdminCookieSecure(t *testing.T) {
	t.Parallel()
	plugin, sum := testenv.PluginBinary(t, "oidc")
	for _, issuer := range []string{"https://sentinel.example", "http://sentinel.example"} {
		t.Run(issuer, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			st := testenv.SQLiteStore(t)
			idp := testidp.Start(t)
			idp.AddRedirectURI(issuer + "/auth/admin/callback/corp")
			id := apptest.Identity(t)
			id.IssuerURL = issuer
			id.Providers = []plugins.ProviderConfig{{Name: "corp", Plugin: plugin, SHA256: sum,
				Settings: map[string]any{"issuer": idp.Issuer(), "client_ids": []string{idp.ClientID()}}}}
			id.Logins = []login.Config{{Provider: "corp", ClientID: idp.ClientID(), ClientSecret: idp.ClientSecret(), Issuer: idp.Issuer()}}
			a, err := app.New(ctx, st, app.Config{AdminKey: adminKey, Identity: id})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(a.Handler)
			t.Cleanup(srv.Close)

			idp.AddUser(testidp.User{Subject: "root", Email: "root@example.test", EmailVerified: true, Name: "Root"})
			u, _, err := st.ProvisionUser(ctx, store.IdentitySighting{Provider: "corp", Subject: "root", Issuer: idp.Issuer(), Email: "root@example.test"})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SetUserAdmin(ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
			idp.LoginAs("root")
			want := strings.HasPrefix(issuer, "https://")
			stop := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := stop.Get(srv.URL + "/auth/admin/login/corp")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			bind := res.Cookies()
			wantName := map[bool]string{true: "__Host-sentinel_login", false: "sentinel_login"}[want]
			if res.StatusCode != http.StatusFound || len(bind) != 1 || bind[0].Name != wantName {
				t.Fatalf("admin login: %d, cookies %v; want a 302 setting %s", res.StatusCode, bind, wantName)
			}
			if b := bind[0]; b.Secure != want || !b.HttpOnly || b.SameSite != http.SameSiteLaxMode || b.Path != "/" || b.Domain != "" || b.MaxAge <= 0 {
				t.Fatalf("login cookie %+v: want Secure=%v, HttpOnly, SameSite=Lax, Path=/, no Domain, a Max-Age", b, want)
			}
			var callback *url.URL
			browser := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
				if strings.HasPrefix(req.URL.String(), issuer) {
					callback = req.URL
					return http.ErrUseLastResponse
				}
				return nil
			}}
			res, err = browser.Get(res.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if callback == nil {
				t.Fatalf("the admin login did not reach %s", issuer)
			}
			req, _ := http.NewRequest("GET", srv.URL+callback.Path+"?"+callback.RawQuery, nil)
			req.AddCookie(bind[0])
			res, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cookies := res.Cookies()
			if res.StatusCode != 200 || len(cookies) != 1 || cookies[0].Name != "admin_token" {
				t.Fatalf("admin callback: %d, cookies %v", res.StatusCode, cookies)
			}
			c := cookies[0]
			if c.Secure != want || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge <= 0 {
				t.Fatalf("cookie %+v: want Secure=%v, HttpOnly, SameSite=Strict, Path=/, a Max-Age", c, want)
			}
		})
	}
}
