package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

func grant(idpSub string) sentineltest.Grant {
	return sentineltest.Grant{Subject: "u-anne", IdpSub: idpSub, Service: "notes", WorkspaceID: "w1",
		WorkspaceSlug: "acme", WorkspaceRole: "editor", Groups: []string{"g1"}, Actions: []string{"notes:export"}}
}

// verify runs the command and decodes what it printed.
func verify(t *testing.T, args ...string) (result, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	var r result
	if err == nil {
		if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
			t.Fatalf("output is not JSON: %v\n%s", jerr, out.String())
		}
	}
	return r, err
}

// TestVerifyAuthz verifies tokens minted by Sentinel's real issuing code
// (identity/keys, identity/token) served over loopback, and refuses the
// ones an app must refuse.
func TestVerifyAuthz(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	other := sentineltest.NewIssuer(t, "ES256")
	tok := is.Authz(t, grant("idp-anne"))

	r, err := verify(t, "--issuer", is.URL, "--service", "notes", tok)
	if err != nil {
		t.Fatalf("a valid token was refused: %v", err)
	}
	want := result{Verified: "authz token", KID: is.KID(t), Sub: "u-anne", IdpSub: "idp-anne", Svc: "notes",
		Wid: "w1", Wslug: "acme", Wrole: "editor", Groups: []string{"g1"}, Actions: []string{"notes:export"}}
	if r.JTI == "" || r.IssuedAt == "" || r.ExpiresAt <= r.IssuedAt {
		t.Fatalf("jti/times missing: %+v", r)
	}
	r.JTI, r.IssuedAt, r.ExpiresAt = "", "", ""
	if got, _ := json.Marshal(r); string(got) != string(must(json.Marshal(want))) {
		t.Fatalf("claims\n got %s\nwant %s", got, must(json.Marshal(want)))
	}

	g := grant("idp-anne")
	g.Service = "billing"
	for _, tc := range []struct {
		name, token, want string
	}{
		{"another service's token", is.Authz(t, g), `issued to service "billing", not "notes"`},
		{"an access token", is.Access(t, sentineltest.AccessGrant{Subject: "u-anne", WorkspaceID: "w1", WorkspaceRole: "editor"}), "aud"},
		{"another issuer's token", other.Authz(t, grant("idp-anne")), ""},
		{"tampered signature", tok[:len(tok)-4] + "AAAA", "signature"},
		{"tampered payload", tamper(tok), ""},
		{"not a JWT", "not-a-token", "compact JWS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := verify(t, "--issuer", is.URL, "--service", "notes", tc.token)
			if err == nil {
				t.Fatalf("verified %+v; want refused", r)
			}
			if !errors.Is(err, sentinel.ErrInvalidToken) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want ErrInvalidToken mentioning %q", err, tc.want)
			}
		})
	}

	t.Run("JWKS unreachable", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		defer down.Close()
		if _, err := verify(t, "--issuer", down.URL, "--service", "notes", tok); err == nil {
			t.Fatal("verified without keys")
		}
	})
	t.Run("JWKS at another URL", func(t *testing.T) {
		// The issuer URL names the iss; the keys come from --jwks-url.
		if _, err := verify(t, "--issuer", is.URL, "--jwks-url", is.URL+"/.well-known/jwks.json", "--service", "notes", tok); err != nil {
			t.Fatal(err)
		}
		if _, err := verify(t, "--issuer", is.URL, "--jwks-url", other.URL+"/.well-known/jwks.json", "--service", "notes", tok); err == nil {
			t.Fatal("verified with another issuer's keys")
		}
	})
}

// TestVerifyPair verifies AuthZ mode's two tokens: a genuine ID token from
// a real OpenID provider and an authz token bound to its subject.
func TestVerifyPair(t *testing.T) {
	idp := testidp.Start(t)
	for _, sub := range []string{"idp-anne", "idp-bob"} {
		idp.AddUser(testidp.User{Subject: sub, Email: sub + "@example.com", EmailVerified: true})
	}
	is := sentineltest.NewIssuer(t, "RS256")
	anne := is.Authz(t, grant("idp-anne"))
	pair := func(idpToken, authz string) (result, error) {
		return verify(t, "--issuer", is.URL, "--service", "notes",
			"--idp-issuer", idp.Issuer(), "--idp-client-id", idp.ClientID(), "--idp-token", idpToken, authz)
	}

	r, err := pair(idp.IDToken(t, "idp-anne"), anne)
	if err != nil {
		t.Fatalf("a bound pair was refused: %v", err)
	}
	if r.IdpSub != "idp-anne" || !strings.Contains(r.Verified, "IdP ID token") {
		t.Fatalf("result %+v", r)
	}
	if _, err := pair(idp.IDToken(t, "idp-bob"), anne); err == nil || !strings.Contains(err.Error(), "bound to another IdP subject") {
		t.Fatalf("bob's ID token with anne's authz token: %v", err)
	}
	if _, err := pair(idp.Sign(t, idp.BaseClaims("idp-anne"), testidp.WithForeignKey()), anne); err == nil || !strings.Contains(err.Error(), "IdP token") {
		t.Fatalf("a forged ID token: %v", err)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no token", []string{"--service", "notes"}},
		{"two tokens", []string{"--service", "notes", "a", "b"}},
		{"no service", []string{"tok"}},
		{"IdP token without its issuer", []string{"--service", "notes", "--idp-token", "x", "--idp-client-id", "c", "tok"}},
		{"IdP issuer without a token", []string{"--service", "notes", "--idp-issuer", "http://127.0.0.1:1", "--idp-client-id", "c", "tok"}},
		{"unknown flag", []string{"--nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u usageError
			if _, err := verify(t, tc.args...); !errors.As(err, &u) {
				t.Fatalf("error %v, want a usage error", err)
			}
		})
	}
}

// tamper changes the payload of a signed token without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	p := []byte(parts[1])
	if p[5] == 'A' {
		p[5] = 'B'
	} else {
		p[5] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
