package sentinel_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/sentinel-auth/sentinel/identity/token"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

func TestVerifyAuthzAcceptsSentinelTokens(t *testing.T) {
	for _, alg := range []jwa.SignatureAlgorithm{jwa.ES256, jwa.RS256, jwa.EdDSA} {
		t.Run(alg.String(), func(t *testing.T) {
			is := newIssuer(t, alg)
			v := is.verifier(t, sentinel.VerifierOptions{})
			raw := is.mint(t, token.Authz, anne())
			c, err := v.VerifyAuthz(context.Background(), raw, "notes")
			if err != nil {
				t.Fatal(err)
			}
			want := anne()
			if c.Subject != want.Subject || c.IdpSub != want.IdpSub || c.Svc != "notes" || c.Wid != "w1" ||
				c.Wslug != "acme" || c.Wrole != "editor" || !slices.Equal(c.Groups, want.Groups) ||
				!slices.Equal(c.Actions, want.Actions) || c.JTI == "" {
				t.Fatalf("claims %+v, want those of %+v", c, want)
			}
			if !c.ExpiresAt.Equal(is.clock.now().Add(5*time.Minute)) || !c.IssuedAt.Equal(is.clock.now()) {
				t.Fatalf("iat %s exp %s, want %s and 5 min later", c.IssuedAt, c.ExpiresAt, is.clock.now())
			}
			if !c.HasAction("notes:export") || c.HasAction("notes:delete") {
				t.Fatalf("HasAction wrong for actions %v", c.Actions)
			}

			access := is.mint(t, token.Access, token.Claims{Subject: "u-anne", Email: "anne@example.com", Name: "Anne",
				WorkspaceID: "w1", WorkspaceSlug: "acme", WorkspaceRole: "viewer", Groups: []string{"g2"}})
			ac, err := v.VerifyAccess(context.Background(), access)
			if err != nil {
				t.Fatal(err)
			}
			if ac.Subject != "u-anne" || ac.Email != "anne@example.com" || ac.Wrole != "viewer" || !slices.Equal(ac.Groups, []string{"g2"}) {
				t.Fatalf("access claims %+v", ac)
			}
			if _, err := v.VerifyAccess(context.Background(), raw); !errors.Is(err, sentinel.ErrInvalidToken) {
				t.Fatalf("VerifyAccess(authz token) = %v, want refused", err)
			}
		})
	}
}

// forge builds a compact JWS from a header, a payload and a signature.
func forge(header, payload map[string]any, sig []byte) string {
	return b64(header) + "." + b64(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestVerifyAuthzRefuses(t *testing.T) {
	type tc struct {
		name string
		alg  jwa.SignatureAlgorithm
		// token returns the token to verify; it may move the clock.
		token   func(t *testing.T, is *issuer) string
		service string // default "notes"
		want    string // in the error
	}
	now := func(is *issuer) float64 { return float64(is.clock.now().Unix()) }
	kid := func(t *testing.T, is *issuer) string {
		info, err := is.ring.Signer(is.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		return info.KID
	}
	valid := func(t *testing.T, is *issuer) map[string]any { return claimsOf(t, is.mint(t, token.Authz, anne())) }
	with := func(k string, v any) func(t *testing.T, is *issuer) string {
		return func(t *testing.T, is *issuer) string {
			c := valid(t, is)
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
			return is.signClaims(t, c)
		}
	}
	cases := []tc{
		{name: "expired", want: "expired", token: func(t *testing.T, is *issuer) string {
			raw := is.mint(t, token.Authz, anne())
			is.clock.advance(5*time.Minute + 30*time.Second)
			return raw
		}},
		{name: "wrong audience (an access token)", want: "audience", token: func(t *testing.T, is *issuer) string {
			return is.mint(t, token.Access, token.Claims{Subject: "u-anne", WorkspaceID: "w1", WorkspaceRole: "owner"})
		}},
		{name: "wrong type", want: "type", token: with("type", "access")},
		{name: "wrong service", service: "billing", want: `issued to service "notes", not "billing"`,
			token: func(t *testing.T, is *issuer) string { return is.mint(t, token.Authz, anne()) }},
		{name: "no expected service", service: "-", want: "no expected service",
			token: func(t *testing.T, is *issuer) string { return is.mint(t, token.Authz, anne()) }},
		{name: "wrong issuer", want: "issuer", token: with("iss", "https://evil.example.com")},
		{name: "no exp", want: "no exp", token: with("exp", nil)},
		{name: "no iat", want: "no iat", token: with("iat", nil)},
		{name: "no idp_sub", want: "idp_sub", token: with("idp_sub", nil)},
		{name: "no jti", want: "jti", token: with("jti", nil)},
		{name: "nbf in the future", want: "not valid before", token: func(t *testing.T, is *issuer) string {
			return with("nbf", now(is)+120)(t, is)
		}},
		{name: "iat in the future", want: "future", token: func(t *testing.T, is *issuer) string {
			return with("iat", now(is)+120)(t, is)
		}},
		{name: "groups not a list", want: "claims", token: with("groups", "g1")},
		{name: "alg none", want: `alg "none"`, token: func(t *testing.T, is *issuer) string {
			return forge(map[string]any{"alg": "none", "kid": kid(t, is), "typ": "JWT"}, valid(t, is), nil)
		}},
		{name: "HS256 keyed with the RSA public key", alg: jwa.RS256, want: `alg "HS256"`, token: func(t *testing.T, is *issuer) string {
			pub, err := is.ring.VerificationKey(kid(t, is), is.clock.now())
			if err != nil {
				t.Fatal(err)
			}
			der, err := x509.MarshalPKIXPublicKey(pub.Key)
			if err != nil {
				t.Fatal(err)
			}
			secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			h := map[string]any{"alg": "HS256", "kid": kid(t, is), "typ": "JWT"}
			input := b64(h) + "." + b64(valid(t, is))
			mac := hmac.New(sha256.New, secret)
			mac.Write([]byte(input))
			return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
		}},
		{name: "tampered payload", want: "signature does not verify", token: func(t *testing.T, is *issuer) string {
			parts := strings.Split(is.mint(t, token.Authz, anne()), ".")
			c := claimsOf(t, strings.Join(parts, "."))
			c["wrole"] = "owner"
			return parts[0] + "." + b64(c) + "." + parts[2]
		}},
		{name: "signature of another key", want: "signature does not verify", token: func(t *testing.T, is *issuer) string {
			other := newIssuer(t, jwa.ES256)
			parts := strings.Split(other.mint(t, token.Authz, anne()), ".")
			mine := strings.Split(is.mint(t, token.Authz, anne()), ".")
			return mine[0] + "." + parts[1] + "." + parts[2]
		}},
		{name: "no kid", want: "no kid", token: func(t *testing.T, is *issuer) string {
			return forge(map[string]any{"alg": "ES256"}, valid(t, is), make([]byte, 64))
		}},
		{name: "crit header", want: "crit", token: func(t *testing.T, is *issuer) string {
			return forge(map[string]any{"alg": "ES256", "kid": kid(t, is), "crit": []string{"exp"}}, valid(t, is), make([]byte, 64))
		}},
		{name: "not compact", want: "compact", token: func(t *testing.T, is *issuer) string { return "a.b" }},
		{name: "four parts", want: "compact", token: func(t *testing.T, is *issuer) string {
			return is.mint(t, token.Authz, anne()) + ".x"
		}},
		{name: "empty", want: "empty", token: func(t *testing.T, is *issuer) string { return "" }},
		{name: "huge", want: "longer", token: func(t *testing.T, is *issuer) string { return strings.Repeat("a", 20000) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alg := c.alg
			if alg == "" {
				alg = jwa.ES256
			}
			is := newIssuer(t, alg)
			v := is.verifier(t, sentinel.VerifierOptions{})
			raw := c.token(t, is)
			svc := c.service
			switch svc {
			case "":
				svc = "notes"
			case "-":
				svc = ""
			}
			claims, err := v.VerifyAuthz(context.Background(), raw, svc)
			if err == nil {
				t.Fatalf("verified %+v; want refused", claims)
			}
			if !errors.Is(err, sentinel.ErrInvalidToken) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q; want ErrInvalidToken mentioning %q", err, c.want)
			}
		})
	}
}

func TestVerifyAuthzLeeway(t *testing.T) {
	is := newIssuer(t, jwa.ES256)
	v := is.verifier(t, sentinel.VerifierOptions{Leeway: 10 * time.Second})
	raw := is.mint(t, token.Authz, anne())
	is.clock.advance(5*time.Minute + 9*time.Second)
	if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); err != nil {
		t.Fatalf("9 s past exp with a 10 s leeway: %v", err)
	}
	is.clock.advance(time.Second)
	if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); !errors.Is(err, sentinel.ErrInvalidToken) {
		t.Fatalf("10 s past exp with a 10 s leeway: %v, want refused", err)
	}
	// A token issued by a server whose clock runs ahead, within the leeway.
	ahead := is.signClaims(t, func() map[string]any {
		c := claimsOf(t, is.mint(t, token.Authz, anne()))
		c["iat"] = float64(is.clock.now().Unix() + 8)
		return c
	}())
	if _, err := v.VerifyAuthz(context.Background(), ahead, "notes"); err != nil {
		t.Fatalf("iat 8 s ahead with a 10 s leeway: %v", err)
	}
}
