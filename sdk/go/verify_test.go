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

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

func TestVerifyAuthzAcceptsSentinelTokens(t *testing.T) {
	for _, alg := range []jwa.SignatureAlgorithm{jwa.ES256, jwa.RS256, jwa.EdDSA} {
		t.Run(alg.String(), func(t *testing.T) {
			is := sentineltest.NewIssuer(t, alg.String())
			v := newVerifier(t, is, sentinel.VerifierOptions{})
			raw := is.Authz(t, anne())
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
			if !c.ExpiresAt.Equal(is.Now().Add(5*time.Minute)) || !c.IssuedAt.Equal(is.Now()) {
				t.Fatalf("iat %s exp %s, want %s and 5 min later", c.IssuedAt, c.ExpiresAt, is.Now())
			}
			if !c.HasAction("notes:export") || c.HasAction("notes:delete") {
				t.Fatalf("HasAction wrong for actions %v", c.Actions)
			}

			access := is.Access(t, sentineltest.AccessGrant{Subject: "u-anne", Email: "anne@example.com", Name: "Anne",
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
		token   func(t *testing.T, is *sentineltest.Issuer) string
		service string // default "notes"
		want    string // in the error
	}
	now := func(is *sentineltest.Issuer) float64 { return float64(is.Now().Unix()) }
	kid := func(t *testing.T, is *sentineltest.Issuer) string { return is.KID(t) }
	valid := func(t *testing.T, is *sentineltest.Issuer) map[string]any { return claimsOf(t, is.Authz(t, anne())) }
	with := func(k string, v any) func(t *testing.T, is *sentineltest.Issuer) string {
		return func(t *testing.T, is *sentineltest.Issuer) string {
			c := valid(t, is)
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
			return is.Sign(t, c)
		}
	}
	cases := []tc{
		{name: "expired", want: "expired", token: func(t *testing.T, is *sentineltest.Issuer) string {
			raw := is.Authz(t, anne())
			is.Advance(5*time.Minute + 30*time.Second)
			return raw
		}},
		{name: "wrong audience (an access token)", want: "audience", token: func(t *testing.T, is *sentineltest.Issuer) string {
			return is.Access(t, sentineltest.AccessGrant{Subject: "u-anne", WorkspaceID: "w1", WorkspaceRole: "owner"})
		}},
		{name: "wrong type", want: "type", token: with("type", "access")},
		{name: "wrong service", service: "billing", want: `issued to service "notes", not "billing"`,
			token: func(t *testing.T, is *sentineltest.Issuer) string { return is.Authz(t, anne()) }},
		{name: "no expected service", service: "-", want: "no expected service",
			token: func(t *testing.T, is *sentineltest.Issuer) string { return is.Authz(t, anne()) }},
		{name: "wrong issuer", want: "issuer", token: with("iss", "https://evil.example.com")},
		{name: "no exp", want: "no exp", token: with("exp", nil)},
		{name: "no iat", want: "no iat", token: with("iat", nil)},
		{name: "no idp_sub", want: "idp_sub", token: with("idp_sub", nil)},
		{name: "no jti", want: "jti", token: with("jti", nil)},
		{name: "nbf in the future", want: "not valid before", token: func(t *testing.T, is *sentineltest.Issuer) string {
			return with("nbf", now(is)+120)(t, is)
		}},
		{name: "iat in the future", want: "future", token: func(t *testing.T, is *sentineltest.Issuer) string {
			return with("iat", now(is)+120)(t, is)
		}},
		{name: "groups not a list", want: "claims", token: with("groups", "g1")},
		{name: "alg none", want: `alg "none"`, token: func(t *testing.T, is *sentineltest.Issuer) string {
			return forge(map[string]any{"alg": "none", "kid": kid(t, is), "typ": "JWT"}, valid(t, is), nil)
		}},
		{name: "HS256 keyed with the RSA public key", alg: jwa.RS256, want: `alg "HS256"`, token: func(t *testing.T, is *sentineltest.Issuer) string {
			der, err := x509.MarshalPKIXPublicKey(is.PublicKey(t))
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
		{name: "tampered payload", want: "signature does not verify", token: func(t *testing.T, is *sentineltest.Issuer) string {
			parts := strings.Split(is.Authz(t, anne()), ".")
			c := claimsOf(t, strings.Join(parts, "."))
			c["wrole"] = "owner"
			return parts[0] + "." + b64(c) + "." + parts[2]
		}},
		{name: "signature of another key", want: "signature does not verify", token: func(t *testing.T, is *sentineltest.Issuer) string {
			other := sentineltest.NewIssuer(t, "ES256")
			parts := strings.Split(other.Authz(t, anne()), ".")
			mine := strings.Split(is.Authz(t, anne()), ".")
			return mine[0] + "." + parts[1] + "." + parts[2]
		}},
		{name: "no kid", want: "no kid", token: func(t *testing.T, is *sentineltest.Issuer) string {
			return forge(map[string]any{"alg": "ES256"}, valid(t, is), make([]byte, 64))
		}},
		{name: "crit header", want: "crit", token: func(t *testing.T, is *sentineltest.Issuer) string {
			return forge(map[string]any{"alg": "ES256", "kid": kid(t, is), "crit": []string{"exp"}}, valid(t, is), make([]byte, 64))
		}},
		{name: "not compact", want: "compact", token: func(t *testing.T, is *sentineltest.Issuer) string { return "a.b" }},
		{name: "four parts", want: "compact", token: func(t *testing.T, is *sentineltest.Issuer) string {
			return is.Authz(t, anne()) + ".x"
		}},
		{name: "empty", want: "empty", token: func(t *testing.T, is *sentineltest.Issuer) string { return "" }},
		{name: "huge", want: "longer", token: func(t *testing.T, is *sentineltest.Issuer) string { return strings.Repeat("a", 20000) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alg := c.alg
			if alg == "" {
				alg = jwa.ES256
			}
			is := sentineltest.NewIssuer(t, alg.String())
			v := newVerifier(t, is, sentinel.VerifierOptions{})
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
	is := sentineltest.NewIssuer(t, "ES256")
	v := newVerifier(t, is, sentinel.VerifierOptions{Leeway: 10 * time.Second})
	raw := is.Authz(t, anne())
	is.Advance(5*time.Minute + 9*time.Second)
	if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); err != nil {
		t.Fatalf("9 s past exp with a 10 s leeway: %v", err)
	}
	is.Advance(time.Second)
	if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); !errors.Is(err, sentinel.ErrInvalidToken) {
		t.Fatalf("10 s past exp with a 10 s leeway: %v, want refused", err)
	}
	// A token issued by a server whose clock runs ahead, within the leeway.
	ahead := is.Sign(t, func() map[string]any {
		c := claimsOf(t, is.Authz(t, anne()))
		c["iat"] = float64(is.Now().Unix() + 8)
		return c
	}())
	if _, err := v.VerifyAuthz(context.Background(), ahead, "notes"); err != nil {
		t.Fatalf("iat 8 s ahead with a 10 s leeway: %v", err)
	}
}
