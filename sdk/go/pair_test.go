package sentinel_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

// pairEnv is AuthZ mode end to end: a real OpenID provider the users log
// in to, and Sentinel's issuer minting authz tokens bound to their IdP
// subjects.
type pairEnv struct {
	idp *testidp.IdP
	is  *sentineltest.Issuer
	v   *sentinel.Verifier
}

func newPairEnv(t *testing.T) *pairEnv {
	t.Helper()
	idp := testidp.Start(t)
	for _, sub := range []string{"idp-anne", "idp-bob"} {
		idp.AddUser(testidp.User{Subject: sub, Email: sub + "@example.com", EmailVerified: true, Name: sub})
	}
	is := sentineltest.NewIssuer(t, "ES256")
	// The IdP's tokens carry real time; the issuer's clock starts at it.
	v := newVerifier(t, is, sentinel.VerifierOptions{IdPIssuer: idp.Issuer(), IdPClientID: idp.ClientID()})
	return &pairEnv{idp: idp, is: is, v: v}
}

func TestVerifyPair(t *testing.T) {
	e := newPairEnv(t)
	ctx := context.Background()
	anneIDP := e.idp.IDToken(t, "idp-anne")
	bobIDP := e.idp.IDToken(t, "idp-bob")
	anneAuthz := e.is.Authz(t, anne())

	c, err := e.v.VerifyPair(ctx, anneIDP, anneAuthz, "notes")
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "u-anne" || c.IdpSub != "idp-anne" {
		t.Fatalf("claims %+v", c)
	}

	base := e.idp.BaseClaims("idp-anne")
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for n, x := range base {
			m[n] = x
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name       string
		idp, authz string
		want       string
	}{
		{"authz token bound to another IdP subject", bobIDP, anneAuthz, "bound to another IdP subject"},
		{"tokens swapped", anneAuthz, anneIDP, "IdP token"},
		{"no IdP token", "", anneAuthz, "IdP token is empty"},
		{"IdP token for another client", e.idp.Sign(t, with("aud", []string{"another-app"})), anneAuthz, "IdP token"},
		{"expired IdP token", e.idp.Sign(t, with("exp", time.Now().Add(-time.Hour).Unix())), anneAuthz, "IdP token"},
		{"IdP token from another issuer", e.idp.Sign(t, with("iss", "https://evil.example.com")), anneAuthz, "IdP token"},
		{"IdP token signed by a foreign key", e.idp.Sign(t, base, testidp.WithForeignKey()), anneAuthz, "IdP token"},
		{"IdP token with alg none", e.idp.Sign(t, base, testidp.WithAlg("none")), anneAuthz, "IdP token"},
		{"authz token of another service", anneIDP, e.is.Authz(t, func() sentineltest.Grant { g := anne(); g.Service = "billing"; return g }()), "service"},
		{"authz token tampered", anneIDP, anneAuthz[:len(anneAuthz)-4] + "AAAA", "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.v.VerifyPair(ctx, tc.idp, tc.authz, "notes")
			if err == nil {
				t.Fatalf("verified %+v; want refused", c)
			}
			if !errors.Is(err, sentinel.ErrInvalidToken) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want ErrInvalidToken mentioning %q", err, tc.want)
			}
		})
	}

	// A verifier without an IdP refuses to verify pairs at all.
	plain := newVerifier(t, e.is, sentinel.VerifierOptions{})
	if _, err := plain.VerifyPair(ctx, anneIDP, anneAuthz, "notes"); err == nil {
		t.Fatal("VerifyPair without an IdP configured succeeded")
	}
}

func TestNewVerifierIdPOptions(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	idp := testidp.Start(t)
	for _, opts := range []sentinel.VerifierOptions{
		{IdPIssuer: idp.Issuer()},                            // no client id
		{IdPClientID: "app"},                                 // no issuer
		{IdPIssuer: is.URL + "/nowhere", IdPClientID: "app"}, // discovery fails
	} {
		if _, err := sentinel.NewVerifier(context.Background(), is.URL, opts); err == nil {
			t.Errorf("NewVerifier(%+v) succeeded", opts)
		}
	}
}
