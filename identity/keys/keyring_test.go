package keys

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/sentinel-auth/sentinel/identity/keys/keystest"
	"github.com/sentinel-auth/sentinel/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func newMaster(t testing.TB) MasterKey {
	t.Helper()
	m, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openRing(t testing.TB, st Store, m MasterKey, opts Options) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), st, m, opts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwksKeys decodes a JWKS into its members as generic maps.
func jwksKeys(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("JWKS %s: %v", b, err)
	}
	return set.Keys
}

func jwksKIDs(t testing.TB, k *Keyring, now time.Time) []string {
	t.Helper()
	b, err := k.JWKS(now)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, m := range jwksKeys(t, b) {
		kids = append(kids, m["kid"].(string))
	}
	return kids
}

// rfc7638 computes the thumbprint from a published JWK's members, written
// out from the RFC rather than with jwx.
func rfc7638(t testing.TB, m map[string]any) string {
	t.Helper()
	var members []string
	switch m["kty"] {
	case "EC":
		members = []string{"crv", "kty", "x", "y"}
	case "RSA":
		members = []string{"e", "kty", "n"}
	case "OKP":
		members = []string{"crv", "kty", "x"}
	default:
		t.Fatalf("unexpected kty %v", m["kty"])
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + name + `":"` + m[name].(string) + `"`)
	}
	b.WriteByte('}')
	sum := sha256.Sum256([]byte(b.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestOpenCreatesFirstKey(t *testing.T) {
	for _, tt := range []struct {
		alg        jwa.SignatureAlgorithm
		kty        string
		publicOnly []string // members that must be present
	}{
		{ES256, "EC", []string{"crv", "x", "y"}},
		{RS256, "RSA", []string{"n", "e"}},
		{EdDSA, "OKP", []string{"crv", "x"}},
	} {
		t.Run(tt.alg.String(), func(t *testing.T) {
			st := &keystest.MemStore{}
			c := &clock{now: t0}
			k := openRing(t, st, newMaster(t), Options{Alg: tt.alg, Now: c.Now})

			rows := st.Rows()
			if len(rows) != 1 {
				t.Fatalf("store holds %d keys, want 1", len(rows))
			}
			if !rows[0].SignFrom.Equal(t0) || rows[0].Alg != tt.alg.String() {
				t.Fatalf("row SignFrom %v alg %s, want %v %s", rows[0].SignFrom, rows[0].Alg, t0, tt.alg)
			}
			b, _ := k.JWKS(t0)
			set := jwksKeys(t, b)
			if len(set) != 1 {
				t.Fatalf("JWKS has %d keys: %s", len(set), b)
			}
			pub := set[0]
			if pub["kty"] != tt.kty || pub["alg"] != tt.alg.String() || pub["use"] != "sig" {
				t.Fatalf("JWK %v: want kty %s alg %s use sig", pub, tt.kty, tt.alg)
			}
			for _, name := range tt.publicOnly {
				if _, ok := pub[name]; !ok {
					t.Fatalf("JWK lacks %q: %v", name, pub)
				}
			}
			for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth"} {
				if _, ok := pub[private]; ok {
					t.Fatalf("JWKS publishes private member %q", private)
				}
			}
			if want := rfc7638(t, pub); pub["kid"] != want || rows[0].KID != want {
				t.Fatalf("kid %v (row %s), want RFC 7638 thumbprint %s", pub["kid"], rows[0].KID, want)
			}
			if strings.Contains(string(rows[0].PrivateSealed), `"d"`) {
				t.Fatal("sealed private key looks like clear JSON")
			}

			// A token signed by the keyring verifies with the published key.
			signed, err := k.Sign(t0, []byte(`{"sub":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			set2, err := jwk.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := jws.Verify(signed, jws.WithKeySet(set2, jws.WithRequireKid(true)))
			if err != nil || string(payload) != `{"sub":"x"}` {
				t.Fatalf("verify with JWKS: %q, %v", payload, err)
			}
			msg, _ := jws.Parse(signed)
			h := msg.Signatures()[0].ProtectedHeaders()
			if h.KeyID() != pub["kid"] || h.Algorithm() != tt.alg || h.Type() != "JWT" {
				t.Fatalf("header kid %q alg %q typ %q", h.KeyID(), h.Algorithm(), h.Type())
			}

			// Opening again (a restart, another replica) adds no key.
			k2 := openRing(t, st, k.master, Options{Alg: ES256, Now: c.Now})
			if len(st.Rows()) != 1 || len(k2.Keys()) != 1 || k2.Keys()[0].KID != rows[0].KID {
				t.Fatalf("second Open changed the keys: %v", k2.Keys())
			}
		})
	}
}

func TestThumbprintRFC7638Vector(t *testing.T) {
	// RFC 7638 section 3.1.
	n, _ := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	_, kid, err := publicJWK(RS256, pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; kid != want {
		t.Fatalf("kid %s, want %s", kid, want)
	}
}

func TestOpenWithWrongMasterKey(t *testing.T) {
	st := &keystest.MemStore{}
	k := openRing(t, st, newMaster(t), Options{})
	kid := k.Keys()[0].KID
	_, err := Open(context.Background(), st, newMaster(t), Options{})
	if !errors.Is(err, ErrWrongMasterKey) || !strings.Contains(err.Error(), "master key does not open signing key "+kid) {
		t.Fatalf("err = %v, want a wrong-master-key error naming %s", err, kid)
	}
	if len(st.Rows()) != 1 {
		t.Fatal("a failed Open added a key")
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		master  MasterKey
		opts    Options
		st      *keystest.MemStore
		wantErr string
	}{
		{"zero master key", MasterKey{}, Options{}, &keystest.MemStore{}, "master key is not set"},
		{"HS256", newMaster(t), Options{Alg: jwa.HS256}, &keystest.MemStore{}, `unsupported signing algorithm "HS256"`},
		{"none", newMaster(t), Options{Alg: jwa.NoSignature}, &keystest.MemStore{}, `unsupported signing algorithm "none"`},
		{"negative TTL", newMaster(t), Options{MaxTokenTTL: -time.Hour}, &keystest.MemStore{}, "must not be negative"},
		{"store down", newMaster(t), Options{}, failing(errors.New("connection refused")), "load signing keys: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.st, tt.master, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestRotateRefusesShortDelayAndBadAlg(t *testing.T) {
	st := &keystest.MemStore{}
	k := openRing(t, st, newMaster(t), Options{JWKSCacheTTL: time.Hour})
	if _, err := k.Rotate(context.Background(), ES256, 59*time.Minute); err == nil || !strings.Contains(err.Error(), "shorter than the JWKS cache TTL 1h0m0s") {
		t.Fatalf("short delay: err = %v", err)
	}
	if _, err := k.Rotate(context.Background(), jwa.HS256, time.Hour); err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("HS256: err = %v", err)
	}
	if len(st.Rows()) != 1 {
		t.Fatalf("refused rotations stored keys: %d", len(st.Rows()))
	}
}

// TestRotationTimeline walks one rotation: A signs from t0, B is added at
// t0 with delay D. Retention is MaxTokenTTL + Grace.
func TestRotationTimeline(t *testing.T) {
	const (
		D         = time.Hour
		maxTTL    = 24 * time.Hour
		grace     = time.Minute
		retention = maxTTL + grace
	)
	st := &keystest.MemStore{}
	c := &clock{now: t0}
	k := openRing(t, st, newMaster(t), Options{JWKSCacheTTL: D, MaxTokenTTL: maxTTL, Grace: grace, Now: c.Now})
	a := k.Keys()[0].KID
	info, err := k.Rotate(context.Background(), EdDSA, D)
	if err != nil {
		t.Fatal(err)
	}
	b := info.KID
	if !info.SignFrom.Equal(t0.Add(D)) || info.Alg != EdDSA || !info.CreatedAt.Equal(t0) {
		t.Fatalf("rotated key info %+v", info)
	}

	tests := []struct {
		name     string
		at       time.Time
		signer   string
		jwks     []string // newest first
		verifyA  bool
		prunable bool
	}{
		{"at rotation", t0, a, []string{b, a}, true, false},
		{"just before delay", t0.Add(D - time.Nanosecond), a, []string{b, a}, true, false},
		{"new key signs", t0.Add(D), b, []string{b, a}, true, false},
		{"old key's tokens may live", t0.Add(D + retention - time.Nanosecond), b, []string{b, a}, true, false},
		{"old key leaves", t0.Add(D + retention), b, []string{b}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := k.Signer(tt.at)
			if err != nil || s.KID != tt.signer {
				t.Fatalf("Signer = %s, %v; want %s", s.KID, err, tt.signer)
			}
			if got := jwksKIDs(t, k, tt.at); !slices.Equal(got, tt.jwks) {
				t.Fatalf("JWKS kids %v, want %v", got, tt.jwks)
			}
			_, err = k.VerificationKey(a, tt.at)
			if (err == nil) != tt.verifyA {
				t.Fatalf("VerificationKey(A) err = %v, want usable %v", err, tt.verifyA)
			}
			if err != nil && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("err = %v, want ErrUnknownKey", err)
			}
			if pk, err := k.VerificationKey(b, tt.at); err != nil || pk.Alg != EdDSA {
				t.Fatalf("VerificationKey(B) = %+v, %v", pk, err)
			}
		})
	}
	if s, err := k.Signer(t0.Add(-time.Second)); err != nil || s.KID != a {
		t.Fatalf("Signer before the first key's SignFrom = %s, %v; want the first key (clocks of replicas differ)", s.KID, err)
	}
	empty := &Keyring{}
	empty.ring.Store(&ring{byKID: map[string]int{}})
	if _, err := empty.Signer(t0); !errors.Is(err, ErrNoSigner) {
		t.Fatalf("Signer of an empty keyring: err = %v, want ErrNoSigner", err)
	}
	if _, err := empty.Sign(t0, []byte("{}")); !errors.Is(err, ErrNoSigner) {
		t.Fatalf("Sign with an empty keyring: err = %v, want ErrNoSigner", err)
	}
	keys := k.Keys()
	if len(keys) != 2 || !keys[0].SignUntil.Equal(t0.Add(D)) || !keys[1].SignUntil.IsZero() {
		t.Fatalf("Keys() = %+v", keys)
	}
	if got := k.Algorithms(); !slices.Equal(got, []string{"ES256", "EdDSA"}) {
		t.Fatalf("Algorithms() = %v", got)
	}

	// Prune removes A only once it left the JWKS.
	if pruned, err := k.Prune(context.Background(), t0.Add(D+retention-time.Second)); err != nil || len(pruned) != 0 {
		t.Fatalf("early Prune = %v, %v", pruned, err)
	}
	pruned, err := k.Prune(context.Background(), t0.Add(D+retention))
	if err != nil || !slices.Equal(pruned, []string{a}) {
		t.Fatalf("Prune = %v, %v; want [%s]", pruned, err, a)
	}
	if rows := st.Rows(); len(rows) != 1 || rows[0].KID != b {
		t.Fatalf("store after prune: %d rows", len(rows))
	}
	if _, err := k.VerificationKey(a, t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("pruned key still verifies: %v", err)
	}
	// The newest key is never pruned, however late.
	if pruned, err := k.Prune(context.Background(), t0.Add(1000*24*time.Hour)); err != nil || len(pruned) != 0 {
		t.Fatalf("Prune of the only key = %v, %v", pruned, err)
	}
}

func TestRefreshSeesRotationByAnotherProcess(t *testing.T) {
	st := &keystest.MemStore{}
	m := newMaster(t)
	c := &clock{now: t0}
	opts := Options{JWKSCacheTTL: time.Minute, Now: c.Now}
	replica := openRing(t, st, m, opts)
	cli := openRing(t, st, m, opts)
	info, err := cli.Rotate(context.Background(), RS256, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.VerificationKey(info.KID, t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("replica knows the key before refreshing: %v", err)
	}
	if err := replica.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := jwksKIDs(t, replica, t0); len(got) != 2 || got[0] != info.KID {
		t.Fatalf("replica JWKS after refresh: %v", got)
	}
	if s, _ := replica.Signer(t0.Add(time.Minute)); s.KID != info.KID {
		t.Fatalf("replica signer after delay: %s, want %s", s.KID, info.KID)
	}
}

// TestRefreshRefusesTamperedRows changes one stored row in ways a broken
// or hostile store could, and checks Refresh fails and keeps the old view.
func TestRefreshRefusesTamperedRows(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		tamper  func(a, b store.SigningKey) store.SigningKey // returns the new version of b
		wantErr string
	}{
		{"sealed blob swapped", func(a, b store.SigningKey) store.SigningKey {
			b.PrivateSealed = a.PrivateSealed
			return b
		}, "master key does not open signing key"},
		{"public JWK of another key", func(a, b store.SigningKey) store.SigningKey {
			b.PublicJWK = a.PublicJWK
			return b
		}, "stored public JWK has thumbprint"},
		{"algorithm changed", func(a, b store.SigningKey) store.SigningKey {
			b.Alg = "RS256"
			return b
		}, "is not a RS256 key"},
		{"algorithm HS256", func(a, b store.SigningKey) store.SigningKey {
			b.Alg = "HS256"
			return b
		}, "unsupported signing algorithm"},
		{"public JWK garbage", func(a, b store.SigningKey) store.SigningKey {
			b.PublicJWK = []byte("{")
			return b
		}, "parse public JWK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &keystest.MemStore{}
			m := newMaster(t)
			c := &clock{now: t0}
			k := openRing(t, st, m, Options{JWKSCacheTTL: time.Minute, Now: c.Now})
			// A second keyring writes B, so k has not loaded it yet.
			other := openRing(t, st, m, Options{JWKSCacheTTL: time.Minute, Now: c.Now})
			if _, err := other.Rotate(ctx, ES256, time.Minute); err != nil {
				t.Fatal(err)
			}
			rows := st.Rows()
			st.Replace(tt.tamper(rows[0], rows[1]))
			before := jwksKIDs(t, k, t0)
			err := k.Refresh(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := jwksKIDs(t, k, t0); !slices.Equal(got, before) {
				t.Fatalf("failed Refresh changed the view: %v -> %v", before, got)
			}
			if _, err := k.Sign(t0, []byte("{}")); err != nil {
				t.Fatalf("signing after a failed Refresh: %v", err)
			}
			if _, err := Open(ctx, st, m, Options{}); err == nil {
				t.Fatal("Open accepted the tampered store")
			}
		})
	}
}

// TestConcurrentUse signs and reads while rotations and refreshes run (go
// test -race checks the synchronization).
func TestConcurrentUse(t *testing.T) {
	st := &keystest.MemStore{}
	c := &clock{now: t0}
	k := openRing(t, st, newMaster(t), Options{JWKSCacheTTL: time.Minute, Now: c.Now})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				now := t0.Add(time.Duration(i) * time.Minute)
				if _, err := k.Sign(now, []byte(`{}`)); err != nil {
					errs <- err
					return
				}
				if _, err := k.JWKS(now); err != nil {
					errs <- err
					return
				}
				s, _ := k.Signer(now)
				if _, err := k.VerificationKey(s.KID, now); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		if _, err := k.Rotate(context.Background(), ES256, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := k.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(k.Keys()); n != 4 {
		t.Fatalf("%d keys, want 4", n)
	}
}

func TestWatchPicksUpRotations(t *testing.T) {
	st := &keystest.MemStore{}
	m := newMaster(t)
	c := &clock{now: t0}
	opts := Options{JWKSCacheTTL: time.Minute, Now: c.Now}
	replica := openRing(t, st, m, opts)
	cli := openRing(t, st, m, opts)
	errs := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		replica.Watch(ctx, time.Millisecond, func(err error) { errs <- err })
		close(done)
	}()
	info, err := cli.Rotate(context.Background(), ES256, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Wait (bounded, as a hang guard only) until the replica has it.
	deadline := time.After(30 * time.Second)
	for {
		if _, err := replica.VerificationKey(info.KID, t0); err == nil {
			break
		}
		select {
		case <-deadline:
			t.Fatal("Watch never loaded the rotated key")
		case err := <-errs:
			t.Fatalf("Watch reported %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	// A failing store is reported, and the last good view stays.
	st.Fail(errors.New("store down"))
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "store down") {
			t.Fatalf("reported %v", err)
		}
	case <-deadline:
		t.Fatal("Watch never reported the store failure")
	}
	if _, err := replica.Sign(t0, []byte("{}")); err != nil {
		t.Fatalf("signing while the store is down: %v", err)
	}
	cancel()
	<-done
}

func failing(err error) *keystest.MemStore {
	st := &keystest.MemStore{}
	st.Fail(err)
	return st
}
