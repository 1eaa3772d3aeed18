package testidp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestSignedBaseClaimsVerify(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			p := Start(t, WithAlgorithm(alg))
			p.AddUser(alice)
			raw := p.Sign(t, p.BaseClaims(alice.Subject))
			tok, err := verifier(t, p).Verify(context.Background(), raw)
			if err != nil {
				t.Fatalf("verify Sign(BaseClaims): %v", err)
			}
			var c map[string]any
			if err := tok.Claims(&c); err != nil {
				t.Fatal(err)
			}
			if c["email"] != alice.Email || c["tid"] != "tenant-1" || tok.Subject != alice.Subject {
				t.Fatalf("claims %v", c)
			}
			h := decodePart(t, raw, 0)
			if h["alg"] != alg || h["kid"] != p.CurrentKID() || h["typ"] != "JWT" {
				t.Fatalf("header %v", h)
			}
		})
	}
}

func TestSignAttacks(t *testing.T) {
	p := Start(t)
	p.AddUser(alice)
	with := func(k string, v any) map[string]any {
		c := p.BaseClaims(alice.Subject)
		c[k] = v
		return c
	}
	hour := time.Hour
	tests := []struct {
		name    string
		claims  map[string]any
		opts    []SignOption
		header  map[string]any // expected header fields (nil value: absent)
		wantErr string         // go-oidc's refusal
	}{
		{"expired", with("exp", time.Now().Add(-hour).Unix()), nil, nil, "expired"},
		{"not yet valid", with("nbf", time.Now().Add(hour).Unix()), nil, nil, "before"},
		{"wrong audience", with("aud", "someone-else"), nil, nil, "audience"},
		{"wrong issuer", with("iss", "http://evil.example"), nil, nil, "different provider"},
		{"unknown kid", p.BaseClaims(alice.Subject), []SignOption{WithKID("no-such-key")},
			map[string]any{"kid": "no-such-key"}, "signature"},
		{"forged signature", p.BaseClaims(alice.Subject), []SignOption{WithForeignKey()},
			map[string]any{"kid": p.CurrentKID()}, "signature"},
		{"alg none", p.BaseClaims(alice.Subject), []SignOption{WithAlg("none")},
			map[string]any{"alg": "none"}, "signature algorithm"},
		{"alg PS256 not advertised", p.BaseClaims(alice.Subject), []SignOption{WithAlg("PS256")},
			map[string]any{"alg": "PS256"}, "signature algorithm"},
		{"HS256 confusion", p.BaseClaims(alice.Subject), []SignOption{WithAlg("HS256")},
			map[string]any{"alg": "HS256"}, "signature algorithm"},
		{"no kid, extra header", p.BaseClaims(alice.Subject), []SignOption{WithoutKID(), WithHeader("jku", "http://evil.example/jwks")},
			map[string]any{"kid": nil, "jku": "http://evil.example/jwks"}, ""},
	}
	v := verifier(t, p)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := p.Sign(t, tt.claims, tt.opts...)
			h := decodePart(t, raw, 0)
			for k, want := range tt.header {
				if got, ok := h[k]; want == nil && ok || want != nil && got != want {
					t.Errorf("header %s = %v, want %v", k, got, want)
				}
			}
			payload := decodePart(t, raw, 1)
			for k, want := range tt.claims {
				if k == "aud" || k == "exp" || k == "iat" || k == "nbf" || k == "auth_time" {
					continue // JSON turns these into []any / float64
				}
				if payload[k] != want {
					t.Errorf("claim %s = %v, want %v", k, payload[k], want)
				}
			}
			_, err := v.Verify(context.Background(), raw)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("verify: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("verify error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestSignHMACAndNoneEncoding(t *testing.T) {
	p := Start(t)
	claims := map[string]any{"sub": "x"}

	none := p.Sign(t, claims, WithAlg("none"))
	if !strings.HasSuffix(none, ".") || strings.Count(none, ".") != 2 {
		t.Fatalf("alg none token %q should end with an empty signature", none)
	}

	secret := []byte("shared")
	raw := p.Sign(t, claims, WithAlg("HS256"), WithHMACKey(secret))
	i := strings.LastIndex(raw, ".")
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(raw[:i]))
	if got := base64.RawURLEncoding.EncodeToString(m.Sum(nil)); got != raw[i+1:] {
		t.Fatalf("HS256 signature %s, want %s", raw[i+1:], got)
	}

	pem, err := publicPEM(p.store.currentKey().priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	raw = p.Sign(t, claims, WithAlg("HS256"))
	i = strings.LastIndex(raw, ".")
	m = hmac.New(sha256.New, pem)
	m.Write([]byte(raw[:i]))
	if got := base64.RawURLEncoding.EncodeToString(m.Sum(nil)); got != raw[i+1:] {
		t.Fatal("default HS256 key is not the provider's public key in PEM")
	}
}
