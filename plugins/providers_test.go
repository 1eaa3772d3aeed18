package plugins_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
)

func TestGooglePluginHostedDomainAllowlist(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "bob", Email: "bob@example.com", EmailVerified: true, Claims: map[string]any{"hd": "example.com"}})
	idp.AddUser(testidp.User{Subject: "carol", Email: "carol@other.com", EmailVerified: true, Claims: map[string]any{"hd": "other.com"}})
	idp.AddUser(testidp.User{Subject: "dave", Email: "dave@gmail.com", EmailVerified: true})
	path, sum := buildPlugin(t, "google")
	h := startHost(t, newKeySource(), plugins.ProviderConfig{
		Name: "google", Plugin: path, SHA256: sum,
		Settings: map[string]any{"issuer": idp.Issuer(), "client_ids": []string{idp.ClientID()}, "hd": []string{"Example.com"}},
	})

	id, err := h.Verify(context.Background(), "google", idp.IDToken(t, "bob"))
	if err != nil {
		t.Fatalf("allowed domain: %v", err)
	}
	if id.Provider != "google" || id.Email != "bob@example.com" || !id.EmailVerified {
		t.Fatalf("identity %+v", id)
	}
	for subject, reason := range map[string]string{"carol": `hosted domain "other.com" is not allowed`, "dave": "no hd claim"} {
		_, err := h.Verify(context.Background(), "google", idp.IDToken(t, subject))
		if !errors.Is(err, plugins.ErrInvalidToken) || !strings.Contains(err.Error(), reason) {
			t.Fatalf("%s: %v, want ErrInvalidToken mentioning %q", subject, err, reason)
		}
	}
}

// TestEntraPluginTenant runs the entra plugin against testidp serving a
// tenant's issuer (http://127.0.0.1:port/<tid>/v2.0): the single-tenant
// configuration. The multi-tenant {tenantid} template is covered by
// oidcverify's and entra's own tests.
func TestEntraPluginTenant(t *testing.T) {
	const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	idp := testidp.Start(t, testidp.WithIssuerPath(tid+"/v2.0"))
	idp.AddUser(testidp.User{Subject: "erin", Email: "erin@contoso.com", Name: "Erin", Claims: map[string]any{"tid": tid, "xms_edov": true}})
	idp.AddUser(testidp.User{Subject: "frank", Email: "frank@contoso.com", Claims: map[string]any{"tid": tid}})
	path, sum := buildPlugin(t, "entra")
	h := startHost(t, newKeySource(), plugins.ProviderConfig{
		Name: "entra_id", Plugin: path, SHA256: sum,
		Settings: map[string]any{
			"base_url":         strings.TrimSuffix(idp.Issuer(), "/"+tid+"/v2.0"),
			"discovery_tenant": tid,
			"client_ids":       []string{idp.ClientID()},
		},
	})

	id, err := h.Verify(context.Background(), "entra_id", idp.IDToken(t, "erin"))
	if err != nil {
		t.Fatalf("tenant token: %v", err)
	}
	if id.Provider != "entra_id" || id.Subject != "erin" || id.Email != "erin@contoso.com" || !id.EmailVerified {
		t.Fatalf("identity %+v, want erin with a verified email (xms_edov)", id)
	}
	id, err = h.Verify(context.Background(), "entra_id", idp.IDToken(t, "frank"))
	if err != nil || id.EmailVerified {
		t.Fatalf("frank: (%+v, %v), want an identity whose email is not verified", id, err)
	}

	other := idp.BaseClaims("erin")
	other["tid"] = "11111111-2222-3333-4444-555555555555"
	noTID := idp.BaseClaims("erin")
	delete(noTID, "tid")
	for name, tc := range map[string]struct {
		token, reason string
	}{
		"other tenant": {idp.Sign(t, other), "tenant 11111111-2222-3333-4444-555555555555 is not allowed"},
		"no tid":       {idp.Sign(t, noTID), "no tenant id"},
	} {
		_, err := h.Verify(context.Background(), "entra_id", tc.token)
		if !errors.Is(err, plugins.ErrInvalidToken) || !strings.Contains(err.Error(), tc.reason) {
			t.Fatalf("%s: %v, want ErrInvalidToken mentioning %q", name, err, tc.reason)
		}
	}
}

func TestGitHubPluginThroughHost(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_good" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/user":
			w.Write([]byte(`{"id": 583231, "login": "octocat", "name": "The Octocat", "avatar_url": "https://avatars.example/u/583231"}`))
		case "/user/emails":
			w.Write([]byte(`[{"email":"old@example.com","primary":false,"verified":true},{"email":"octocat@github.com","primary":true,"verified":true}]`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	path, sum := buildPlugin(t, "github")
	h := startHost(t, newKeySource(), plugins.ProviderConfig{
		Name: "github", Plugin: path, SHA256: sum, Settings: map[string]any{"base_url": api.URL},
	})
	id, err := h.Verify(context.Background(), "github", "gho_good")
	if err != nil {
		t.Fatalf("good token: %v", err)
	}
	if id.Provider != "github" || id.Subject != "github|583231" || id.Email != "octocat@github.com" || !id.EmailVerified || id.Name != "The Octocat" {
		t.Fatalf("identity %+v", id)
	}
	if _, err := h.Verify(context.Background(), "github", "gho_revoked"); !errors.Is(err, plugins.ErrInvalidToken) {
		t.Fatalf("revoked token: %v, want ErrInvalidToken", err)
	}
}
