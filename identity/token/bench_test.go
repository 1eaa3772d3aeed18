package token

import (
	"context"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/identity/keys"
)

// benchEnv is a keyring-backed env whose clock stands still at the time
// the benchmark starts, so tokens never expire during a long run.
func benchEnv(b *testing.B, alg string) *env {
	a, err := keys.ParseAlg(alg)
	if err != nil {
		b.Fatal(err)
	}
	return newEnvAt(b, a, keys.Options{}, time.Now())
}

func BenchmarkIssueAuthz(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			e := benchEnv(b, alg)
			ctx, c := context.Background(), sampleClaims()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.iss.Issue(ctx, Authz, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyAuthz(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			e := benchEnv(b, alg)
			ctx := context.Background()
			tok, err := e.iss.Issue(ctx, Authz, sampleClaims())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.ver.Verify(ctx, tok.Token, Authz); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
