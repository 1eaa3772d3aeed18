package sentinel_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

// anne is the authz grant most tests use.
func anne() sentineltest.Grant {
	return sentineltest.Grant{Subject: "u-anne", IdpSub: "idp-anne", Service: "notes", WorkspaceID: "w1",
		WorkspaceSlug: "acme", WorkspaceRole: "editor", Groups: []string{"g1"}, Actions: []string{"notes:export"}}
}

// newVerifier returns a verifier of is on is's clock.
func newVerifier(t testing.TB, is *sentineltest.Issuer, opts sentinel.VerifierOptions) *sentinel.Verifier {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = is.Now
	}
	v, err := sentinel.NewVerifier(context.Background(), is.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claimsOf decodes a token's payload (unverified) for tests to alter.
func claimsOf(t testing.TB, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(decodeB64(t, strings.Split(raw, ".")[1])), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeB64(t testing.TB, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
