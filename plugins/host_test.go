package plugins_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
)

func TestNewHostRefusesBadConfig(t *testing.T) {
	path, sum := buildPlugin(t, "oidc")
	good := plugins.ProviderConfig{Name: "corp", Plugin: path, SHA256: sum}
	cases := []struct {
		name    string
		configs []plugins.ProviderConfig
		want    string
	}{
		{"no checksum", []plugins.ProviderConfig{{Name: "corp", Plugin: path}}, "sha256 of the plugin binary is required"},
		{"short checksum", []plugins.ProviderConfig{{Name: "corp", Plugin: path, SHA256: "abcd"}}, "not 64 hex digits"},
		{"no plugin path", []plugins.ProviderConfig{{Name: "corp", SHA256: sum}}, "plugin path is required"},
		{"bad name", []plugins.ProviderConfig{{Name: "Corp IdP", Plugin: path, SHA256: sum}}, "provider name"},
		{"negative timeout", []plugins.ProviderConfig{{Name: "corp", Plugin: path, SHA256: sum, Timeout: -1}}, "negative timeout"},
		{"duplicate", []plugins.ProviderConfig{good, good}, "configured twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := plugins.NewHost(context.Background(), tc.configs, newKeySource(), nil)
			if err == nil {
				h.Close()
				t.Fatal("NewHost accepted the config")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestNewHostRefusesWrongChecksum(t *testing.T) {
	idp := testidp.Start(t)
	cfg := oidcProvider(t, "corp", idp)
	cfg.SHA256 = strings.Repeat("ab", 32)
	h, err := plugins.NewHost(context.Background(), []plugins.ProviderConfig{cfg}, newKeySource(), nil)
	if err == nil {
		h.Close()
		t.Fatal("a binary with the wrong checksum was started")
	}
	if !strings.Contains(err.Error(), "does not match the configured") {
		t.Fatalf("error %q does not say the checksum is wrong", err)
	}
}

func TestNewHostRefusesBadSettings(t *testing.T) {
	idp := testidp.Start(t)
	cases := []struct {
		name     string
		settings map[string]any
		want     string
	}{
		{"no issuer", map[string]any{"client_ids": []string{"x"}}, "issuer is required"},
		{"no client id", map[string]any{"issuer": idp.Issuer()}, "client id"},
		{"alg none", map[string]any{"issuer": idp.Issuer(), "client_ids": []string{"x"}, "algs": []string{"none"}}, `"none" is not allowed`},
		{"alg HS256", map[string]any{"issuer": idp.Issuer(), "client_ids": []string{"x"}, "algs": []string{"HS256"}}, `"HS256" is not allowed`},
		{"cleartext issuer", map[string]any{"issuer": "http://idp.example.com", "client_ids": []string{"x"}}, "only allowed to a loopback host"},
		{"misspelt setting", map[string]any{"issuer": idp.Issuer(), "client_id": "x"}, "unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oidcProvider(t, "corp", idp)
			cfg.Settings = tc.settings
			h, err := plugins.NewHost(context.Background(), []plugins.ProviderConfig{cfg}, newKeySource(), nil)
			if err == nil {
				h.Close()
				t.Fatal("NewHost accepted the settings")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestVerifyValidTokenAndUnknownProvider(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice", Picture: "https://example.com/a.png"})
	h := startHost(t, newKeySource(), oidcProvider(t, "corp", idp))

	id, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice"))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := plugins.Identity{Provider: "corp", Issuer: idp.Issuer(), Subject: "alice",
		Email: "alice@example.com", EmailVerified: true, Name: "Alice", Picture: "https://example.com/a.png"}
	got := id
	got.Claims = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("identity %+v, want %+v", got, want)
	}
	if id.Claims["sub"] != "alice" {
		t.Fatalf("claims %v lack sub", id.Claims)
	}

	_, err = h.Verify(context.Background(), "google", idp.IDToken(t, "alice"))
	if !errors.Is(err, plugins.ErrUnknownProvider) {
		t.Fatalf("unconfigured provider: %v, want ErrUnknownProvider", err)
	}
	for _, tok := range []string{"", strings.Repeat("a", 70<<10)} {
		if _, err := h.Verify(context.Background(), "corp", tok); !errors.Is(err, plugins.ErrInvalidToken) {
			t.Fatalf("token of %d bytes: %v, want ErrInvalidToken", len(tok), err)
		}
	}
}

func TestProvidersAndClose(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "x"})
	a, b := oidcProvider(t, "b-corp", idp), oidcProvider(t, "a-corp", idp)
	h, err := plugins.NewHost(context.Background(), []plugins.ProviderConfig{a, b}, newKeySource(), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := h.Providers(context.Background())
	if len(st) != 2 || st[0].Name != "a-corp" || st[1].Name != "b-corp" {
		t.Fatalf("providers %+v, want a-corp then b-corp", st)
	}
	for _, s := range st {
		if !s.Healthy || s.Error != "" || s.Plugin != a.Plugin {
			t.Fatalf("status %+v, want healthy", s)
		}
	}
	h.Close()
	if _, err := h.Verify(context.Background(), "a-corp", idp.IDToken(t, "x")); err == nil || errors.Is(err, plugins.ErrInvalidToken) {
		t.Fatalf("Verify after Close: %v, want a failure", err)
	}
	if st := h.Providers(context.Background()); st[0].Healthy {
		t.Fatalf("closed host reports %+v", st[0])
	}
}

func TestProvidersUnhealthyWhenDiscoveryFails(t *testing.T) {
	idp := testidp.Start(t)
	cfg := oidcProvider(t, "corp", idp)
	idp.AddUser(testidp.User{Subject: "x"})
	cfg.Settings["issuer"] = idp.Issuer() + "/nowhere"
	h := startHost(t, newKeySource(), cfg)
	st := h.Providers(context.Background())
	if st[0].Healthy || !strings.Contains(st[0].Error, "discover") {
		t.Fatalf("status %+v, want unhealthy because discovery fails", st[0])
	}
	_, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "x"))
	if err == nil || errors.Is(err, plugins.ErrInvalidToken) {
		t.Fatalf("Verify without discovery: %v, want a plain failure", err)
	}
}
