package testidp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// decodePart decodes the header (0) or payload (1) of a compact JWS.
func decodePart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("decode part %d: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal part %d: %v", i, err)
	}
	return m
}

func getJSON(t *testing.T, u string, into any) http.Header {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("GET %s: decode: %v", u, err)
	}
	return resp.Header
}

// verifier is a fresh go-oidc verifier (with its own JWKS cache) for p.
func verifier(t *testing.T, p *IdP) *oidc.IDTokenVerifier {
	t.Helper()
	prov, err := oidc.NewProvider(context.Background(), p.Issuer())
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	return prov.Verifier(&oidc.Config{ClientID: p.ClientID()})
}

var alice = User{
	Subject: "alice-123", Email: "alice@example.com", EmailVerified: true,
	Name: "Alice Doe", Picture: "https://example.com/alice.png",
	Claims: map[string]any{"hd": "example.com", "tid": "tenant-1"},
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		alg     string
		pathEnd string
	}{
		{"default", nil, "RS256", ""},
		{"es256", []Option{WithAlgorithm("ES256")}, "ES256", ""},
		{"issuer path", []Option{WithIssuerPath("tenant-1/v2.0")}, "RS256", "/tenant-1/v2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, tt.opts...)
			if !strings.HasPrefix(p.Issuer(), "http://127.0.0.1:") || !strings.HasSuffix(p.Issuer(), tt.pathEnd) {
				t.Fatalf("issuer %q", p.Issuer())
			}
			var doc struct {
				Issuer  string   `json:"issuer"`
				JWKSURI string   `json:"jwks_uri"`
				Algs    []string `json:"id_token_signing_alg_values_supported"`
				Token   string   `json:"token_endpoint"`
			}
			getJSON(t, p.Issuer()+"/.well-known/openid-configuration", &doc)
			if doc.Issuer != p.Issuer() || doc.JWKSURI != p.JWKSURL() {
				t.Fatalf("discovery issuer %q jwks_uri %q, want %q %q", doc.Issuer, doc.JWKSURI, p.Issuer(), p.JWKSURL())
			}
			if len(doc.Algs) != 1 || doc.Algs[0] != tt.alg {
				t.Fatalf("id_token_signing_alg_values_supported %v, want [%s]", doc.Algs, tt.alg)
			}
			var jwks struct {
				Keys []struct{ Kid, Alg, Use, Kty string } `json:"keys"`
			}
			getJSON(t, doc.JWKSURI, &jwks)
			if n := p.JWKSFetches(); n != 1 {
				t.Fatalf("JWKSFetches %d after one fetch", n)
			}
			if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != p.CurrentKID() || jwks.Keys[0].Alg != tt.alg || jwks.Keys[0].Use != "sig" {
				t.Fatalf("jwks %+v, want one %s sig key %s", jwks.Keys, tt.alg, p.CurrentKID())
			}
		})
	}
}

func TestIDTokenVerifiesWithGoOIDC(t *testing.T) {
	bob := User{Subject: "bob", Email: "bob@example.com", Name: "Bob"} // email not verified
	tests := []struct {
		name string
		opts []Option
		user User
	}{
		{"RS256", nil, alice},
		{"ES256", []Option{WithAlgorithm("ES256")}, alice},
		{"issuer path", []Option{WithIssuerPath("/common/v2.0")}, alice},
		{"unverified email", nil, bob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, append(tt.opts, WithIDTokenLifetime(10*time.Minute))...)
			p.AddUser(tt.user)
			raw := p.IDToken(t, tt.user.Subject, WithNonce("n-0S6"))

			tok, err := verifier(t, p).Verify(context.Background(), raw)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if tok.Subject != tt.user.Subject || tok.Issuer != p.Issuer() || tok.Nonce != "n-0S6" {
				t.Fatalf("sub %q iss %q nonce %q", tok.Subject, tok.Issuer, tok.Nonce)
			}
			if life := tok.Expiry.Sub(tok.IssuedAt); life != 10*time.Minute {
				t.Fatalf("lifetime %v, want 10m", life)
			}
			claims := decodePart(t, raw, 1)
			want := map[string]any{
				"email": tt.user.Email, "email_verified": tt.user.EmailVerified, "name": tt.user.Name,
			}
			if tt.user.Picture != "" {
				want["picture"] = tt.user.Picture
			}
			for k, v := range tt.user.Claims {
				want[k] = v
			}
			for k, v := range want {
				if claims[k] != v {
					t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
				}
			}
			h := decodePart(t, raw, 0)
			if h["kid"] != p.CurrentKID() {
				t.Errorf("kid %v, want %s", h["kid"], p.CurrentKID())
			}
		})
	}
}

func TestLoginRefusals(t *testing.T) {
	p := Start(t)
	p.AddUser(alice)
	ctx := context.Background()

	if _, err := p.login(ctx, "nobody"); err == nil || !strings.Contains(err.Error(), "unknown user") {
		t.Fatalf("login of an unknown user: %v", err)
	}

	// Without login_hint the login step uses LoginAs, and fails without it.
	authURL := func(state string) string {
		return p.Issuer() + "/authorize?" + url.Values{
			"response_type": {"code"}, "client_id": {p.ClientID()}, "redirect_uri": {p.RedirectURI()},
			"scope": {"openid email"}, "state": {state},
		}.Encode()
	}
	if _, err := p.authorize(ctx, authURL("s1"), "s1"); err == nil {
		t.Fatal("login without login_hint or LoginAs succeeded")
	}
	p.LoginAs(alice.Subject)
	code, err := p.authorize(ctx, authURL("s2"), "s2")
	if err != nil {
		t.Fatalf("login as alice: %v", err)
	}
	// PKCE was not used here, so no verifier is sent.
	toks, err := p.redeem(ctx, code, "")
	if err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if sub := decodePart(t, toks.IDToken, 1)["sub"]; sub != alice.Subject {
		t.Fatalf("sub %v", sub)
	}
	if _, err := p.redeem(ctx, code, ""); err == nil {
		t.Fatal("a code was redeemed twice")
	}

	// A redirect URI the client did not register is refused.
	bad := strings.Replace(authURL("s3"), url.QueryEscape(p.RedirectURI()), url.QueryEscape("http://127.0.0.1:1/evil"), 1)
	if _, err := p.authorize(ctx, bad, "s3"); err == nil {
		t.Fatal("unregistered redirect_uri accepted")
	}
	p.AddRedirectURI("http://127.0.0.1:1/cb")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		Get(strings.Replace(authURL("s4"), url.QueryEscape(p.RedirectURI()), url.QueryEscape("http://127.0.0.1:1/cb"), 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/login?id=") {
		t.Fatalf("added redirect URI: %s, Location %q", resp.Status, loc)
	}
}

func TestWrongClientSecretIsRefused(t *testing.T) {
	p := Start(t, WithClient("app", "right"))
	p.AddUser(alice)
	ctx := context.Background()
	state := "st"
	code, err := p.authorize(ctx, p.Issuer()+"/authorize?"+url.Values{
		"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {p.RedirectURI()},
		"scope": {"openid"}, "state": {state}, "login_hint": {alice.Subject},
	}.Encode(), state)
	if err != nil {
		t.Fatal(err)
	}
	p.clientSecret = "wrong"
	if _, err := p.redeem(ctx, code, ""); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("redeem with a wrong secret: %v", err)
	}
}

func TestAccessTokenAtUserinfoAndIntrospection(t *testing.T) {
	p := Start(t)
	p.AddUser(alice)
	toks := p.Login(t, alice.Subject)
	req, _ := http.NewRequest(http.MethodGet, p.Issuer()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+toks.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var info map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &info) != nil {
		t.Fatalf("userinfo: %s %s", resp.Status, body)
	}
	if info["sub"] != alice.Subject || info["email"] != alice.Email || info["hd"] != "example.com" {
		t.Fatalf("userinfo %v", info)
	}

	for _, tc := range []struct {
		token  string
		active bool
	}{{toks.AccessToken, true}, {"not-a-token", false}} {
		req, _ = http.NewRequest(http.MethodPost, p.Issuer()+"/oauth/introspect",
			strings.NewReader(url.Values{"token": {tc.token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(p.ClientID(), p.ClientSecret())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Active bool   `json:"active"`
			Sub    string `json:"sub"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || got.Active != tc.active || tc.active && got.Sub != alice.Subject {
			t.Fatalf("introspect %q: %+v, %v", tc.token, got, err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	p := Start(t)
	p.AddUser(alice)
	ctx := context.Background()
	v := verifier(t, p)
	if n := p.JWKSFetches(); n != 0 {
		t.Fatalf("JWKS fetched %d times before any verification", n)
	}

	old := p.IDToken(t, alice.Subject)
	oldKID := p.CurrentKID()
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatalf("verify before rotation: %v", err)
	}
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	if n := p.JWKSFetches(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (go-oidc caches)", n)
	}

	newKID := p.RotateKey()
	if newKID == oldKID || p.CurrentKID() != newKID {
		t.Fatalf("rotation: old %s new %s current %s", oldKID, newKID, p.CurrentKID())
	}
	fresh := p.IDToken(t, alice.Subject)
	if kid := decodePart(t, fresh, 0)["kid"]; kid != newKID {
		t.Fatalf("new token kid %v, want %s", kid, newKID)
	}
	for name, tok := range map[string]string{"new": fresh, "old": old} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("verify %s token after rotation: %v", name, err)
		}
	}
	if n := p.JWKSFetches(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (one refresh for the unknown kid)", n)
	}

	p.DropOldKeys()
	v = verifier(t, p) // a cache that never saw the old key
	if _, err := v.Verify(ctx, old); err == nil {
		t.Fatal("token of a dropped key still verifies")
	}
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Fatalf("current token after dropping old keys: %v", err)
	}
}

func TestJWKSCacheControlAndOutage(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"default", nil, "public, max-age=300"},
		{"configured", []Option{WithJWKSMaxAge(time.Minute)}, "public, max-age=60"},
		{"none", []Option{WithJWKSMaxAge(-1)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, tt.opts...)
			var jwks map[string]any
			if got := getJSON(t, p.JWKSURL(), &jwks).Get("Cache-Control"); got != tt.want {
				t.Fatalf("Cache-Control %q, want %q", got, tt.want)
			}
			p.SetJWKSUnavailable(true)
			resp, err := http.Get(p.JWKSURL())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || p.JWKSFetches() != 2 {
				t.Fatalf("while unavailable: %s, %d fetches", resp.Status, p.JWKSFetches())
			}
		})
	}
}
