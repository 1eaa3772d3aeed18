package oidcverify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
)

func TestConfigCheck(t *testing.T) {
	base := Config{Issuer: "https://idp.example.com", ClientIDs: []string{"app"}}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	cases := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"defaults", base, ""},
		{"no issuer", with(func(c *Config) { c.Issuer = "" }), "issuer is required"},
		{"no client id", with(func(c *Config) { c.ClientIDs = []string{""} }), "client id"},
		{"none", with(func(c *Config) { c.Algorithms = []string{"none"} }), "not allowed"},
		{"HS256", with(func(c *Config) { c.Algorithms = []string{"RS256", "HS256"} }), "not allowed"},
		{"skew too large", with(func(c *Config) { c.Skew = time.Hour }), "out of range"},
		{"template needs discovery url", with(func(c *Config) { c.Issuer = "https://login.example/{tenantid}/v2.0" }), "discovery URL is required"},
		{"two placeholders", with(func(c *Config) { c.Issuer = "https://x/{tenantid}/{tenantid}" }), "at most one"},
		{"cleartext issuer", with(func(c *Config) { c.Issuer = "http://idp.example.com" }), "loopback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if v.cfg.Skew != DefaultSkew || strings.Join(v.cfg.Algorithms, ",") != "RS256,ES256" {
					t.Fatalf("defaults not applied: %+v", v.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"

func TestExpectedIssuer(t *testing.T) {
	tmpl := "https://login.microsoftonline.com/{tenantid}/v2.0"
	cases := []struct {
		issuer string
		tid    any
		want   string // "" when refused
	}{
		{"https://accounts.google.com", nil, "https://accounts.google.com"},
		{tmpl, tid, "https://login.microsoftonline.com/" + tid + "/v2.0"},
		{tmpl, nil, ""},
		{tmpl, "common", ""},
		{tmpl, tid + "/../evil", ""},
		{tmpl, 7.0, ""},
	}
	for _, tc := range cases {
		got, err := ExpectedIssuer(tc.issuer, map[string]any{"tid": tc.tid})
		if got != tc.want || (tc.want == "") != errors.Is(err, plugins.ErrInvalidToken) {
			t.Errorf("ExpectedIssuer(%q, tid %v) = (%q, %v), want %q", tc.issuer, tc.tid, got, err, tc.want)
		}
	}
}

// TestCheckClaimsTenantTemplate covers the multi-tenant issuer check that
// go-oidc cannot do: iss must be the template filled with the token's tid.
func TestCheckClaimsTenantTemplate(t *testing.T) {
	v, err := New(Config{
		Issuer:       "https://login.microsoftonline.com/{tenantid}/v2.0",
		DiscoveryURL: "https://login.microsoftonline.com/common/v2.0",
		ClientIDs:    []string{"app", "other-app"},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	own := "https://login.microsoftonline.com/" + tid + "/v2.0"
	cases := []struct {
		name   string
		iss    string
		aud    []string
		claims map[string]any
		err    string
	}{
		{"own tenant", own, []string{"app"}, map[string]any{"tid": tid}, ""},
		{"second client id", own, []string{"x", "other-app"}, map[string]any{"tid": tid}, ""},
		{"iss of another tenant", "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0", []string{"app"}, map[string]any{"tid": tid}, "expected"},
		{"literal template as iss", "https://login.microsoftonline.com/{tenantid}/v2.0", []string{"app"}, map[string]any{"tid": tid}, "expected"},
		{"no tid", own, []string{"app"}, map[string]any{}, "tid claim"},
		{"wrong audience", own, []string{"x"}, map[string]any{"tid": tid}, "audience"},
		{"nbf beyond skew", own, []string{"app"}, map[string]any{"tid": tid, "nbf": float64(now.Add(time.Minute).Unix())}, "not valid before"},
		{"nbf within skew", own, []string{"app"}, map[string]any{"tid": tid, "nbf": float64(now.Add(10 * time.Second).Unix())}, ""},
		{"nbf not a number", own, []string{"app"}, map[string]any{"tid": tid, "nbf": "soon"}, "not a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := v.checkClaims(&oidc.IDToken{Issuer: tc.iss, Audience: tc.aud, Subject: "s"}, tc.claims, now)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, plugins.ErrInvalidToken) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want ErrInvalidToken mentioning %q", err, tc.err)
			}
		})
	}
}

func TestPick(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set := jwk.NewSet()
	add := func(raw any, kid, alg, use string) {
		k, err := jwk.FromRaw(raw)
		if err != nil {
			t.Fatal(err)
		}
		k.Set(jwk.KeyIDKey, kid)
		if alg != "" {
			k.Set(jwk.AlgorithmKey, alg)
		}
		if use != "" {
			k.Set(jwk.KeyUsageKey, use)
		}
		set.AddKey(k)
	}
	add(rsaKey.Public(), "rsa", "RS256", "sig")
	add(ecKey.Public(), "ec", "", "")
	add(rsaKey.Public(), "enc", "", "enc")
	cases := []struct {
		h            header
		kid          string // chosen key; "" none
		found, valid bool
	}{
		{header{alg: "RS256", kid: "rsa"}, "rsa", true, true},
		{header{alg: "ES256", kid: "ec"}, "ec", true, true},
		{header{alg: "ES256", kid: "rsa"}, "", true, false}, // key says RS256
		{header{alg: "PS256", kid: "rsa"}, "", true, false}, // key says RS256
		{header{alg: "RS256", kid: "ec"}, "", true, false},  // EC key cannot verify RS256
		{header{alg: "RS256", kid: "enc"}, "", true, false}, // not a signing key
		{header{alg: "RS256", kid: "gone"}, "", false, true},
		{header{alg: "ES256"}, "ec", true, true},  // no kid: the only EC key
		{header{alg: "RS256"}, "rsa", true, true}, // no kid: "enc" does not count
	}
	for _, tc := range cases {
		key, found, err := pick(set, tc.h)
		got := ""
		if key != nil {
			got = key.KeyID()
		}
		if got != tc.kid || found != tc.found || (err == nil) != tc.valid {
			t.Errorf("pick(%+v) = (%q, %v, %v), want (%q, %v, valid %v)", tc.h, got, found, err, tc.kid, tc.found, tc.valid)
		}
	}
}

// fetcher is a KeyFetcher over plain HTTP that counts its calls.
type fetcher struct{ calls, refreshes atomic.Int64 }

func (f *fetcher) Fetch(ctx context.Context, url string, refresh bool) ([]byte, error) {
	f.calls.Add(1)
	if refresh {
		f.refreshes.Add(1)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func TestVerifyInProcess(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice"})
	v, err := New(Config{Issuer: idp.Issuer(), ClientIDs: []string{"someone-else", idp.ClientID()}})
	if err != nil {
		t.Fatal(err)
	}
	keys := &fetcher{}
	id, err := v.Verify(context.Background(), idp.IDToken(t, "alice"), keys)
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != idp.Issuer() || id.Subject != "alice" || id.Email != "alice@example.com" || !id.EmailVerified || id.Name != "Alice" {
		t.Fatalf("identity %+v", id)
	}
	if keys.refreshes.Load() != 0 {
		t.Fatalf("a known kid caused %d refreshes", keys.refreshes.Load())
	}
	if err := v.Health(context.Background()); err != nil {
		t.Fatalf("health after discovery: %v", err)
	}

	// email_verified sent as a string by some IdPs.
	c := idp.BaseClaims("alice")
	c["email_verified"] = "false"
	if id, err := v.Verify(context.Background(), idp.Sign(t, c), keys); err != nil || id.EmailVerified {
		t.Fatalf("email_verified \"false\": (%+v, %v)", id, err)
	}
}

func TestDiscoveryIssuerMustMatch(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	// The document at this URL names idp.Issuer(), not the configured one.
	v, err := New(Config{Issuer: idp.Issuer() + "/other", DiscoveryURL: idp.Issuer(), ClientIDs: []string{idp.ClientID()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), idp.IDToken(t, "alice"), &fetcher{})
	if err == nil || errors.Is(err, plugins.ErrInvalidToken) || !strings.Contains(err.Error(), "names issuer") {
		t.Fatalf("got %v, want a discovery failure naming the issuer mismatch", err)
	}
	if err := v.Health(context.Background()); err == nil {
		t.Fatal("health passed with a failed discovery")
	}
}
