package plugins_test

import (
	"context"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins/oidcverify"
)

// BenchmarkPluginVerify is a warm verification through the oidc plugin
// process: host → plugin gRPC call, plugin → host KeySource callback (JWKS
// from the cache), signature and claim checks. Compare with
// BenchmarkInProcessVerify for the cost of the process boundary.
func BenchmarkPluginVerify(b *testing.B) {
	idp := testidp.Start(b)
	idp.AddUser(testidp.User{Subject: "alice", Email: "alice@example.com", EmailVerified: true})
	h := startHost(b, newKeySource(), oidcProvider(b, "corp", idp))
	token := idp.IDToken(b, "alice")
	ctx := context.Background()
	if _, err := h.Verify(ctx, "corp", token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Verify(ctx, "corp", token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInProcessVerify is the same warm verification calling
// oidcverify directly.
func BenchmarkInProcessVerify(b *testing.B) {
	idp := testidp.Start(b)
	idp.AddUser(testidp.User{Subject: "alice", Email: "alice@example.com", EmailVerified: true})
	v, err := oidcverify.New(oidcverify.Config{Issuer: idp.Issuer(), ClientIDs: []string{idp.ClientID()}})
	if err != nil {
		b.Fatal(err)
	}
	keys := newKeySource()
	token := idp.IDToken(b, "alice")
	ctx := context.Background()
	if _, err := v.Verify(ctx, token, keys); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, token, keys); err != nil {
			b.Fatal(err)
		}
	}
}
