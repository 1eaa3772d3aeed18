package token

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/sentinel-auth/sentinel/identity/keys"
)

// TestVerifyRefusesAttacks builds each malicious token with real jwx
// signing and checks it is refused with the right reason, for each
// algorithm. The verifier's only key is one the test holds, so headers
// can be forged under the genuine key.
func TestVerifyRefusesAttacks(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg.String(), func(t *testing.T) { testAttacks(t, alg) })
	}
}

func testAttacks(t *testing.T, alg jwa.SignatureAlgorithm) {
	ctx := context.Background()
	key := newTestKey(t, alg)
	attacker := newTestKey(t, alg)
	otherAlg := keys.RS256
	if alg == keys.RS256 {
		otherAlg = keys.ES256
	}
	attackerOther := newTestKey(t, otherAlg)
	c := &clock{now: t0}
	deny, us := &denylist{}, &users{inactive: map[string]bool{"inactive-user": true}}
	newVer := func(d Denylist, u UserStatus) *Verifier {
		v, err := NewVerifier(key, d, u, VerifierConfig{Issuer: testIssuer, Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ver := newVer(deny, us)
	iss, err := NewIssuer(key, IssuerConfig{Issuer: testIssuer, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(k Kind, cl Claims) string {
		out, err := iss.Issue(ctx, k, cl)
		if err != nil {
			t.Fatal(err)
		}
		return out.Token
	}
	good := issue(Authz, sampleClaims())

	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		set := jwk.NewSet()
		pub, _ := jwk.FromRaw(attacker.priv.Public())
		_ = pub.Set(jwk.KeyIDKey, attacker.kid)
		_ = set.AddKey(pub)
		_ = json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()

	// sign signs p with k's private key under alg with exactly hdr (plus alg).
	sign := func(k *testKey, a jwa.SignatureAlgorithm, p []byte, hdr map[string]any) string {
		out, err := jws.Sign(p, jws.WithKey(a, k.priv, jws.WithProtectedHeaders(headers(hdr))))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	genuine := func(edits map[string]any) string {
		return sign(key, alg, payload(t, Authz, sampleClaims(), t0, edits), map[string]any{"kid": key.kid, "typ": "JWT"})
	}
	std := map[string]any{"kid": key.kid, "typ": "JWT"}
	authzPayload := payload(t, Authz, sampleClaims(), t0, nil)
	hmacWith := func(secret []byte) string {
		out, err := jws.Sign(authzPayload, jws.WithKey(jwa.HS256, secret, jws.WithProtectedHeaders(headers(std))))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubJWK, _ := jwk.FromRaw(key.priv.Public())
	pubJWKJSON, _ := json.Marshal(pubJWK)
	attackerJWK, _ := jwk.FromRaw(attacker.priv.Public())

	tests := []struct {
		name   string
		token  func() string
		kind   Kind
		at     time.Duration // after t0
		ver    *Verifier     // default ver
		reason string        // "" = accepted
		check  bool          // want ErrCheckFailed instead of ErrInvalidToken
	}{
		{name: "genuine token", token: func() string { return good }},
		{name: "alg none", reason: "unsigned token", token: func() string {
			out, err := jws.Sign(authzPayload, jws.WithInsecureNoSignature(jws.WithProtectedHeaders(headers(std))))
			if err != nil {
				t.Fatal(err)
			}
			return string(out)
		}},
		{name: "alg none, signature of a genuine token kept", reason: "unsigned token", token: func() string {
			none, _ := jws.Sign(authzPayload, jws.WithInsecureNoSignature(jws.WithProtectedHeaders(headers(std))))
			return string(none) + strings.Split(good, ".")[2]
		}},
		{name: "HS256 keyed with the PEM public key", reason: "algorithm HS256 does not match key", token: func() string { return hmacWith(pubPEM) }},
		{name: "HS256 keyed with the public JWK", reason: "algorithm HS256 does not match key", token: func() string { return hmacWith(pubJWKJSON) }},
		{name: "another asymmetric algorithm", reason: "algorithm " + otherAlg.String() + " does not match key", token: func() string {
			return sign(attackerOther, otherAlg, authzPayload, std)
		}},
		{name: "unknown kid", reason: "unknown kid", token: func() string {
			return sign(attacker, alg, authzPayload, map[string]any{"kid": attacker.kid, "typ": "JWT"})
		}},
		{name: "no kid", reason: "no kid", token: func() string {
			return sign(key, alg, authzPayload, map[string]any{"typ": "JWT"})
		}},
		{name: "embedded jwk under the genuine kid", reason: "bad signature", token: func() string {
			return sign(attacker, alg, authzPayload, map[string]any{"kid": key.kid, "typ": "JWT", "jwk": attackerJWK})
		}},
		{name: "embedded jwk under its own kid", reason: "unknown kid", token: func() string {
			return sign(attacker, alg, authzPayload, map[string]any{"kid": attacker.kid, "typ": "JWT", "jwk": attackerJWK})
		}},
		{name: "jku to the attacker's JWKS", reason: "unknown kid", token: func() string {
			return sign(attacker, alg, authzPayload, map[string]any{"kid": attacker.kid, "typ": "JWT", "jku": srv.URL})
		}},
		{name: "jku under the genuine kid", reason: "bad signature", token: func() string {
			return sign(attacker, alg, authzPayload, map[string]any{"kid": key.kid, "typ": "JWT", "jku": srv.URL})
		}},
		{name: "x5u to the attacker", reason: "unknown kid", token: func() string {
			return sign(attacker, alg, authzPayload, map[string]any{"kid": attacker.kid, "typ": "JWT", "x5u": srv.URL})
		}},
		{name: "tampered payload", reason: "bad signature", token: func() string {
			parts := strings.Split(good, ".")
			_, cl := segments(t, good)
			cl["wrole"] = "owner"
			b, _ := json.Marshal(cl)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		}},
		{name: "tampered header", reason: "bad signature", token: func() string {
			parts := strings.Split(good, ".")
			h, _ := segments(t, good)
			h["x"] = 1
			b, _ := json.Marshal(h)
			return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1] + "." + parts[2]
		}},
		{name: "typ not JWT", reason: `typ is "at+jwt"`, token: func() string {
			return sign(key, alg, authzPayload, map[string]any{"kid": key.kid, "typ": "at+jwt"})
		}},
		{name: "crit header", reason: "unsupported critical header", token: func() string {
			return sign(key, alg, authzPayload, map[string]any{"kid": key.kid, "typ": "JWT", "crit": []string{"exp"}, "exp": 1})
		}},
		{name: "nested token", reason: "nested token", token: func() string {
			return sign(key, alg, authzPayload, map[string]any{"kid": key.kid, "typ": "JWT", "cty": "JWT"})
		}},
		{name: "b64 header", reason: "unencoded payload", token: func() string {
			return sign(key, alg, authzPayload, map[string]any{"kid": key.kid, "typ": "JWT", "b64": true})
		}},
		{name: "JSON serialization", reason: "not a compact JWS", token: func() string {
			out, err := jws.Sign(authzPayload, jws.WithJSON(), jws.WithKey(alg, key.priv, jws.WithProtectedHeaders(headers(std))))
			if err != nil {
				t.Fatal(err)
			}
			return string(out)
		}},
		{name: "garbage", reason: "malformed token", token: func() string { return "a.b.c" }},
		{name: "too large", reason: "token too large", token: func() string { return good + strings.Repeat("A", 20000) }},
		{name: "expired", at: 5*time.Minute + 30*time.Second, reason: "expired", token: func() string { return good }},
		{name: "expired less than the skew ago", at: 5*time.Minute + 29*time.Second, token: func() string { return good }},
		{name: "not yet valid", reason: "not yet valid", token: func() string { return genuine(map[string]any{"nbf": t0.Add(time.Hour).Unix()}) }},
		{name: "nbf within the skew", token: func() string { return genuine(map[string]any{"nbf": t0.Add(20 * time.Second).Unix()}) }},
		{name: "issued in the future", reason: "issued in the future", token: func() string {
			return genuine(map[string]any{"iat": t0.Add(time.Hour).Unix(), "exp": t0.Add(2 * time.Hour).Unix()})
		}},
		{name: "no exp", reason: "no exp", token: func() string { return genuine(map[string]any{"exp": nil}) }},
		{name: "no iat", reason: "no iat", token: func() string { return genuine(map[string]any{"iat": nil}) }},
		{name: "exp as a string", reason: "malformed claims", token: func() string { return genuine(map[string]any{"exp": "9999999999"}) }},
		{name: "exp absurd", reason: "malformed time claim", token: func() string { return genuine(map[string]any{"exp": 1e300}) }},
		{name: "wrong audience", reason: "wrong audience", token: func() string { return genuine(map[string]any{"aud": "sentinel:access"}) }},
		{name: "audience array without ours", reason: "wrong audience", token: func() string {
			return genuine(map[string]any{"aud": []string{"sentinel:access", "other"}})
		}},
		{name: "audience array with ours", token: func() string { return genuine(map[string]any{"aud": []string{"other", "sentinel:authz"}}) }},
		{name: "wrong issuer", reason: "wrong issuer", token: func() string { return genuine(map[string]any{"iss": "https://evil.example.com"}) }},
		{name: "access token used as authz", reason: `token type "access", want "authz"`, token: func() string { return issue(Access, sampleClaims()) }},
		{name: "refresh token used as access", kind: Access, reason: `token type "refresh", want "access"`, token: func() string { return issue(Refresh, sampleClaims()) }},
		{name: "authz type with access audience", kind: Access, reason: `token type "authz", want "access"`, token: func() string {
			return genuine(map[string]any{"aud": "sentinel:access"})
		}},
		{name: "no type", reason: `token type "", want "authz"`, token: func() string { return genuine(map[string]any{"type": nil}) }},
		{name: "no idp_sub", reason: "authz token without idp_sub", token: func() string { return genuine(map[string]any{"idp_sub": nil}) }},
		{name: "no jti", reason: "no jti", token: func() string { return genuine(map[string]any{"jti": ""}) }},
		{name: "no sub", reason: "authz token without sub", token: func() string { return genuine(map[string]any{"sub": nil}) }},
		{name: "denylisted jti", reason: "revoked", token: func() string {
			out, err := iss.Issue(ctx, Authz, sampleClaims())
			if err != nil {
				t.Fatal(err)
			}
			deny.add(out.Claims.ID)
			return out.Token
		}},
		{name: "inactive user", reason: "user inactive", token: func() string {
			cl := sampleClaims()
			cl.Subject = "inactive-user"
			return issue(Authz, cl)
		}},
		{name: "denylist unavailable", check: true, reason: "denylist: redis down", ver: newVer(&denylist{err: errors.New("redis down")}, us),
			token: func() string { return good }},
		{name: "user status unavailable", check: true, reason: "user status: db down", ver: newVer(deny, &users{err: errors.New("db down")}),
			token: func() string { return good }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = Authz
			}
			v := tt.ver
			if v == nil {
				v = ver
			}
			raw := tt.token()
			c.Set(t0.Add(tt.at))
			defer c.Set(t0)
			got, err := v.Verify(ctx, raw, kind)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("refused a valid token: %v", err)
				}
				if got.Subject != sampleClaims().Subject || got.Kind != Authz {
					t.Fatalf("claims %+v", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %q, want reason %q", err, tt.reason)
			}
			if errors.Is(err, ErrInvalidToken) == tt.check || errors.Is(err, ErrCheckFailed) != tt.check {
				t.Fatalf("err = %v: ErrInvalidToken %v, ErrCheckFailed %v; want check failure %v",
					err, errors.Is(err, ErrInvalidToken), errors.Is(err, ErrCheckFailed), tt.check)
			}
			if got.Subject != "" || got.ID != "" {
				t.Fatalf("refusal returned claims %+v", got)
			}
		})
	}
	if n := fetches.Load(); n != 0 {
		t.Fatalf("the verifier fetched a URL from a token header %d times", n)
	}
}

func TestNewVerifierRequiresHooks(t *testing.T) {
	key := newTestKey(t, keys.ES256)
	tests := []struct {
		name    string
		k       KeySource
		d       Denylist
		u       UserStatus
		cfg     VerifierConfig
		wantErr string
	}{
		{"no keys", nil, &denylist{}, &users{}, VerifierConfig{Issuer: testIssuer}, "no key source"},
		{"no denylist", key, nil, &users{}, VerifierConfig{Issuer: testIssuer}, "no denylist"},
		{"no user status", key, &denylist{}, nil, VerifierConfig{Issuer: testIssuer}, "no user status"},
		{"no issuer", key, &denylist{}, &users{}, VerifierConfig{}, "issuer"},
		{"negative skew", key, &denylist{}, &users{}, VerifierConfig{Issuer: testIssuer, Skew: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewVerifier(tt.k, tt.d, tt.u, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	v, _ := NewVerifier(key, &denylist{}, &users{}, VerifierConfig{Issuer: testIssuer})
	if _, err := v.Verify(context.Background(), "x.y.z", "session"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown kind: %v", err)
	}
}
