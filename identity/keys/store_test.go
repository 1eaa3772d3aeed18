package keys

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// TestWithRealStores runs the keyring on both SQL engines: keys survive
// the round trip through the store (times, sealed blobs, JWKs), a replica
// sees a rotation on Refresh, and Prune deletes for real.
func TestWithRealStores(t *testing.T) {
	engines := []struct {
		name string
		open func(t *testing.T) Store
	}{
		{"sqlite", func(t *testing.T) Store { return testenv.SQLiteStore(t) }},
		{"postgres", func(t *testing.T) Store { return testenv.PostgresStore(t) }},
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			st := eng.open(t)
			m := newMaster(t)
			c := &clock{now: t0.Add(123456789 * time.Nanosecond)} // sub-microsecond part must not matter
			opts := Options{JWKSCacheTTL: time.Hour, MaxTokenTTL: 24 * time.Hour, Grace: time.Minute, Now: c.Now}

			primary := openRing(t, st, m, opts)
			replica := openRing(t, st, m, opts)
			first := primary.Keys()
			if len(first) != 1 || !slices.Equal(replica.Keys(), first) {
				t.Fatalf("primary %+v, replica %+v: want the same single key", first, replica.Keys())
			}
			if s, err := replica.Signer(c.Now()); err != nil || s.KID != first[0].KID {
				t.Fatalf("replica signer at creation: %+v, %v", s, err)
			}

			c.Set(t0.Add(time.Hour))
			rotated, err := primary.Rotate(ctx, RS256, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if err := replica.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(replica.Keys(), primary.Keys()) {
				t.Fatalf("after refresh replica %+v, primary %+v", replica.Keys(), primary.Keys())
			}
			signAt := rotated.SignFrom
			if s, _ := replica.Signer(signAt.Add(-time.Microsecond)); s.KID != first[0].KID {
				t.Fatalf("replica signs with %s before the delay", s.KID)
			}
			signed, err := replica.Sign(signAt, []byte(`{"n":1}`))
			if err != nil {
				t.Fatal(err)
			}
			pk, err := primary.VerificationKey(rotated.KID, signAt)
			if err != nil || pk.Alg != RS256 {
				t.Fatalf("primary VerificationKey: %+v, %v", pk, err)
			}
			if _, err := jws.Verify(signed, jws.WithKey(pk.Alg, pk.Key)); err != nil {
				t.Fatalf("token signed by the replica does not verify with the primary's key: %v", err)
			}

			if _, err := Open(ctx, st, newMaster(t), opts); !errors.Is(err, ErrWrongMasterKey) {
				t.Fatalf("Open with another master key: %v", err)
			}

			gone := signAt.Add(24*time.Hour + time.Minute)
			pruned, err := replica.Prune(ctx, gone)
			if err != nil || !slices.Equal(pruned, []string{first[0].KID}) {
				t.Fatalf("Prune = %v, %v", pruned, err)
			}
			if err := primary.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if keys := primary.Keys(); len(keys) != 1 || keys[0].KID != rotated.KID {
				t.Fatalf("after prune the store holds %+v", keys)
			}
		})
	}
}
