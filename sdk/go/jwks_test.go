package sentinel_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

func verifyOK(t *testing.T, v *sentinel.Verifier, raw, what string) {
	t.Helper()
	if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func fetchesNow(t *testing.T, is *sentineltest.Issuer, want int64, when string) {
	t.Helper()
	if got := int64(is.Fetches()); got != want {
		t.Fatalf("%s: %d JWKS fetches, want %d", when, got, want)
	}
}

// TestVerifierFollowsKeyRotation: a key rotated in on the server is
// fetched on its first unknown kid, with no restart, and tokens of the
// old key verify while it is published.
func TestVerifierFollowsKeyRotation(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	v := newVerifier(t, is, sentinel.VerifierOptions{})
	fetchesNow(t, is, 1, "after NewVerifier")
	old := is.Authz(t, anne())
	verifyOK(t, v, old, "token of the first key")

	next := is.Rotate(t)
	is.Advance(sentineltest.RotationDelay + time.Second) // the new key signs from now on
	fresh := is.Authz(t, anne())
	if !strings.Contains(mustDecode(t, strings.Split(fresh, ".")[0]), next) {
		t.Fatalf("the new token is not signed by the rotated key %s", next)
	}
	verifyOK(t, v, fresh, "token of the rotated key")
	fetchesNow(t, is, 2, "after the first token of the new key")
	verifyOK(t, v, old, "token of the old key, still published")
	verifyOK(t, v, fresh, "token of the rotated key, cached")
	fetchesNow(t, is, 2, "after more verifications")
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(decodeB64(t, s)), &m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestUnknownKidRefetchIsRateLimited: made-up kids cause at most one
// fetch per refresh interval, and concurrent misses share one fetch.
func TestUnknownKidRefetchIsRateLimited(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	v := newVerifier(t, is, sentinel.VerifierOptions{RefreshInterval: 30 * time.Second})
	bogus := func(kid string) string {
		return forge(map[string]any{"alg": "ES256", "kid": kid}, claimsOf(t, is.Authz(t, anne())), make([]byte, 64))
	}
	refused := func(raw string) {
		t.Helper()
		_, err := v.VerifyAuthz(context.Background(), raw, "notes")
		if !errors.Is(err, sentinel.ErrInvalidToken) || !strings.Contains(err.Error(), "no published key") {
			t.Fatalf("unknown kid: %v, want refused as unknown", err)
		}
	}
	refused(bogus("k1"))
	fetchesNow(t, is, 1, "unknown kid right after the first fetch")
	is.Advance(31 * time.Second)
	refused(bogus("k2"))
	fetchesNow(t, is, 2, "unknown kid 31 s later")
	for i := range 20 {
		refused(bogus("k3-" + string(rune('a'+i))))
	}
	fetchesNow(t, is, 2, "20 more unknown kids within the interval")

	// Concurrent misses after the interval: one fetch between them all.
	is.Advance(31 * time.Second)
	next := is.Rotate(t)
	is.Advance(sentineltest.RotationDelay)
	fresh := is.Authz(t, anne())
	if !strings.Contains(mustDecode(t, strings.Split(fresh, ".")[0]), next) {
		t.Fatal("fresh token not signed by the new key")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := v.VerifyAuthz(context.Background(), fresh, "notes"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent verification of the new key: %v", err)
	}
	fetchesNow(t, is, 3, "16 concurrent misses")
}

// TestJWKSCacheExpiryAndOutage: the set is refetched after its max-age;
// while the issuer is down an expired set is used for MaxStale, then
// every token is refused with ErrKeysUnavailable (fail closed).
func TestJWKSCacheExpiryAndOutage(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	v := newVerifier(t, is, sentinel.VerifierOptions{MaxStale: 10 * time.Minute})
	verifyOK(t, v, is.Authz(t, anne()), "fresh set")
	is.Advance(sentineltest.JWKSMaxAge - time.Second)
	verifyOK(t, v, is.Authz(t, anne()), "set 299 s old")
	fetchesNow(t, is, 1, "within max-age")
	is.Advance(2 * time.Second)
	verifyOK(t, v, is.Authz(t, anne()), "set past max-age")
	fetchesNow(t, is, 2, "past max-age")

	is.ServeJWKS(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	is.Advance(sentineltest.JWKSMaxAge + time.Second)
	verifyOK(t, v, is.Authz(t, anne()), "expired set while the issuer is down")
	fetchesNow(t, is, 3, "first verification after expiry")
	verifyOK(t, v, is.Authz(t, anne()), "expired set, refetch rate-limited")
	fetchesNow(t, is, 3, "second verification after expiry")

	is.Advance(10 * time.Minute)
	_, err := v.VerifyAuthz(context.Background(), is.Authz(t, anne()), "notes")
	if !errors.Is(err, sentinel.ErrKeysUnavailable) || errors.Is(err, sentinel.ErrInvalidToken) {
		t.Fatalf("set stale past MaxStale: %v, want ErrKeysUnavailable", err)
	}
	is.ServeJWKS(nil)
	is.Advance(31 * time.Second)
	verifyOK(t, v, is.Authz(t, anne()), "issuer back")
}

// TestJWKSKeysAreVetted: a published key is used only with its own
// allowed alg; keys without one, symmetric keys and keys of a kind that
// does not fit their alg are ignored.
func TestJWKSKeysAreVetted(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	raw := is.Authz(t, anne())
	kid := is.KID(t)
	jwks := is.JWKS(t)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	key := set.Keys[0]
	alter := func(f func(k map[string]any)) []map[string]any {
		k := map[string]any{}
		for n, v := range key {
			k[n] = v
		}
		f(k)
		return []map[string]any{k}
	}
	for _, tc := range []struct {
		name string
		keys []map[string]any
	}{
		{"no alg", alter(func(k map[string]any) { delete(k, "alg") })},
		{"alg HS256", alter(func(k map[string]any) { k["alg"] = "HS256" })},
		{"alg ES384", alter(func(k map[string]any) { k["alg"] = "ES384" })},
		{"alg RS256 on an EC key", alter(func(k map[string]any) { k["alg"] = "RS256" })},
		{"use enc", alter(func(k map[string]any) { k["use"] = "enc" })},
		{"symmetric key under the kid", []map[string]any{{"kty": "oct", "kid": kid, "alg": "HS256", "k": "c2VjcmV0"}}},
		{"kid listed twice", append(alter(func(map[string]any) {}), alter(func(map[string]any) {})...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"keys": tc.keys})
			is.ServeJWKS(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) })
			v := newVerifier(t, is, sentinel.VerifierOptions{})
			if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); !errors.Is(err, sentinel.ErrInvalidToken) {
				t.Fatalf("verified with a %s JWKS: %v", tc.name, err)
			}
		})
	}
	is.ServeJWKS(nil)
	verifyOK(t, newVerifier(t, is, sentinel.VerifierOptions{}), raw, "the unaltered JWKS")
}

func TestNewVerifierFailsWithoutKeys(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	is.ServeJWKS(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusInternalServerError) })
	if _, err := sentinel.NewVerifier(context.Background(), is.URL, sentinel.VerifierOptions{}); err == nil {
		t.Fatal("NewVerifier succeeded with the JWKS failing")
	}
	is.ServeJWKS(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("not json")) })
	if _, err := sentinel.NewVerifier(context.Background(), is.URL, sentinel.VerifierOptions{}); err == nil {
		t.Fatal("NewVerifier succeeded with a malformed JWKS")
	}
	if _, err := sentinel.NewVerifier(context.Background(), "ftp://x", sentinel.VerifierOptions{}); err == nil {
		t.Fatal("NewVerifier accepted an ftp issuer")
	}
}

func BenchmarkVerifyAuthz(b *testing.B) {
	for _, alg := range []jwa.SignatureAlgorithm{jwa.ES256, jwa.RS256, jwa.EdDSA} {
		b.Run(alg.String(), func(b *testing.B) {
			is := sentineltest.NewIssuer(b, alg.String())
			v := newVerifier(b, is, sentinel.VerifierOptions{})
			raw := is.Authz(b, anne())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.VerifyAuthz(ctx, raw, "notes"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWeakRSAKeyIsIgnored: an RS256 key under 2048 bits is not used, even
// with a correct signature.
func TestWeakRSAKeyIsIgnored(t *testing.T) {
	is := sentineltest.NewIssuer(t, "RS256")
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.FromRaw(&weak.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, "weak")
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS256)
	_ = pub.Set(jwk.KeyUsageKey, "sig")
	body, _ := json.Marshal(map[string]any{"keys": []any{pub}})
	is.ServeJWKS(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) })

	input := b64(map[string]any{"alg": "RS256", "kid": "weak", "typ": "JWT"}) + "." + b64(claimsOf(t, is.Authz(t, anne())))
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, weak, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	raw := input + "." + base64.RawURLEncoding.EncodeToString(sig)
	v := newVerifier(t, is, sentinel.VerifierOptions{})
	if _, err := v.VerifyAuthz(context.Background(), raw, "notes"); !errors.Is(err, sentinel.ErrInvalidToken) || !strings.Contains(err.Error(), "no published key") {
		t.Fatalf("token of a 1024-bit RSA key: %v, want refused", err)
	}
}
