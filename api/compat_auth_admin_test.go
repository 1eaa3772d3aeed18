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
// The IdP sends the browser to the issuer's callback URL; the test
// delivers that request to the server itself.
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
			var callback *url.URL
			browser := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
				if strings.HasPrefix(req.URL.String(), issuer) {
					callback = req.URL
					return http.ErrUseLastResponse
				}
				return nil
			}}
			res, err := browser.Get(srv.URL + "/auth/admin/login/corp")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if callback == nil {
				t.Fatalf("the admin login did not reach %s", issuer)
			}
			res, err = http.Get(srv.URL + callback.Path + "?" + callback.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cookies := res.Cookies()
			if res.StatusCode != 200 || len(cookies) != 1 || cookies[0].Name != "admin_token" {
				t.Fatalf("admin callback: %d, cookies %v", res.StatusCode, cookies)
			}
			c := cookies[0]
			want := strings.HasPrefix(issuer, "https://")
			if c.Secure != want || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge <= 0 {
				t.Fatalf("cookie %+v: want Secure=%v, HttpOnly, SameSite=Strict, Path=/, a Max-Age", c, want)
			}
		})
	}
}
