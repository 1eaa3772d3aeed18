package plugins_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
)

// TestVerifyRefusesBadTokens runs the attack matrix through a real plugin
// process against a real OpenID provider: each token must be refused with
// ErrInvalidToken and a reason naming the failed check.
func TestVerifyRefusesBadTokens(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice", Email: "alice@example.com", EmailVerified: true})
	h := startHost(t, newKeySource(), oidcProvider(t, "corp", idp))

	claims := func(change func(map[string]any)) map[string]any {
		c := idp.BaseClaims("alice")
		change(c)
		return c
	}
	now := time.Now()
	sign := func(change func(map[string]any), opts ...testidp.SignOption) string {
		return idp.Sign(t, claims(change), opts...)
	}
	keep := func(map[string]any) {}

	cases := []struct {
		name   string
		token  string
		reason string
	}{
		{"expired", sign(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }), "expired"},
		{"not yet valid", sign(func(c map[string]any) { c["nbf"] = now.Add(2 * time.Minute).Unix() }), "not valid before"},
		{"issued in the future", sign(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }), "issued in the future"},
		{"wrong audience", sign(func(c map[string]any) { c["aud"] = []string{"someone-else"} }), "audience"},
		{"wrong issuer", sign(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), "different provider"},
		{"no subject", sign(func(c map[string]any) { delete(c, "sub") }), "no subject"},
		{"alg none", sign(keep, testidp.WithAlg("none")), `"none" is not accepted`},
		{"HS256 keyed with the RSA public key", sign(keep, testidp.WithAlg("HS256")), `"HS256" is not accepted`},
		{"unknown kid", sign(keep, testidp.WithKID("no-such-key")), `unknown key id "no-such-key"`},
		{"forged signature", sign(keep, testidp.WithForeignKey()), "signature"},
		{"forged signature with jku and x5u headers", sign(keep, testidp.WithForeignKey(),
			testidp.WithHeader("jku", idp.Issuer()+"/attacker-jwks"),
			testidp.WithHeader("x5u", idp.Issuer()+"/attacker-cert")), "signature"},
		{"tampered payload", tamper(t, idp.IDToken(t, "alice")), "signature"},
		{"not a JWT", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "not a compact JWT"},
		{"JWT with an empty header", "e30.e30.e30", `signing algorithm "" is not accepted`},
		{"JWT with a garbage header", "abc.def.ghi", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := h.Verify(context.Background(), "corp", tc.token)
			if !errors.Is(err, plugins.ErrInvalidToken) {
				t.Fatalf("Verify: %v, want ErrInvalidToken", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("reason %q does not mention %q", err, tc.reason)
			}
			if id.Subject != "" || id.Provider != "" {
				t.Fatalf("refusal came with an identity %+v", id)
			}
		})
	}

	// The same claims, correctly signed, pass: the cases above fail for
	// the reason they name, not because of the test's own setup.
	if _, err := h.Verify(context.Background(), "corp", sign(keep)); err != nil {
		t.Fatalf("control token: %v", err)
	}
	within := sign(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Second).Unix() })
	if _, err := h.Verify(context.Background(), "corp", within); err != nil {
		t.Fatalf("token expired 10 s ago (within the 30 s skew): %v", err)
	}
}

// tamper changes the subject in a signed token's payload, keeping the
// signature.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	c["sub"] = "mallory"
	raw, _ = json.Marshal(c)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestVerifyAfterKeyRotation(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	keys := newKeySource()
	h := startHost(t, keys, oidcProvider(t, "corp", idp))

	if _, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice")); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	if n := keys.refreshes.Load(); n != 0 {
		t.Fatalf("%d refreshes before rotation, want 0", n)
	}
	kid := idp.RotateKey()
	idp.DropOldKeys()
	// The plugin's last document lacks the new kid: it must ask the host
	// to refresh, and accept the token signed with the new key.
	id, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice"))
	if err != nil {
		t.Fatalf("after rotation to %s: %v", kid, err)
	}
	if id.Subject != "alice" {
		t.Fatalf("subject %q", id.Subject)
	}
	if n := keys.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes after rotation, want 1", n)
	}
}

func TestVerifyES256(t *testing.T) {
	idp := testidp.Start(t, testidp.WithAlgorithm("ES256"))
	idp.AddUser(testidp.User{Subject: "alice"})
	h := startHost(t, newKeySource(), oidcProvider(t, "corp", idp))
	if _, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice")); err != nil {
		t.Fatalf("ES256 token: %v", err)
	}
	// An allowlist without ES256 refuses the same IdP's tokens.
	cfg := oidcProvider(t, "rsa-only", idp)
	cfg.Settings["algs"] = []string{"RS256"}
	h2 := startHost(t, newKeySource(), cfg)
	if _, err := h2.Verify(context.Background(), "rsa-only", idp.IDToken(t, "alice")); !errors.Is(err, plugins.ErrInvalidToken) {
		t.Fatalf("ES256 token with an RS256-only allowlist: %v, want ErrInvalidToken", err)
	}
}

func TestVerifyFailsClosedWhenJWKSUnavailable(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	h := startHost(t, newKeySource(), oidcProvider(t, "corp", idp))
	idp.SetJWKSUnavailable(true)
	id, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice"))
	if err == nil || errors.Is(err, plugins.ErrInvalidToken) || id.Subject != "" {
		t.Fatalf("JWKS down: (%+v, %v), want a plain failure and no identity", id, err)
	}
}
