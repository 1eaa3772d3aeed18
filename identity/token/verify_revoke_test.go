package token

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/identity/keys"
)

// TestVerifyRevokedUser: a token issued before the user's revocation time
// is refused as "revoked", for every kind. iat has whole seconds, so a
// token issued in the second of a revocation is refused even when it was
// issued after it, and a token of the next second passes.
func TestVerifyRevokedUser(t *testing.T) {
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := []struct {
		name       string
		validAfter time.Time // zero: never revoked
		issuedAt   time.Time
		revoked    bool
	}{
		{"never revoked", time.Time{}, sec(5), false},
		// What the store keeps: whole seconds (the second after the
		// revocation).
		{"whole: the second before", sec(11), sec(10.9), true},
		{"whole: the second itself", sec(11), sec(11), false},
		{"whole: later", sec(11), sec(12.5), false},
		// A time with a fraction: iat has whole seconds, so the whole second
		// of the revocation is refused.
		{"fraction: earlier second", sec(10.3), sec(9.999), true},
		{"fraction: same second, before the revocation", sec(10.3), sec(10.1), true},
		{"fraction: same second, after the revocation", sec(10.3), sec(10.5), true},
		{"fraction: next second", sec(10.3), sec(11), false},
		{"fraction: sub-microsecond", sec(10).Add(time.Nanosecond), sec(10.9), true},
		{"long ago", sec(-3600), sec(0), false},
	}
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, keys.ES256, keys.Options{})
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					cl := sampleClaims()
					cl.Subject = "user-" + strings.ReplaceAll(tt.name, " ", "-")
					e.users.revoke(cl.Subject, tt.validAfter)
					e.clock.Set(tt.issuedAt)
					raw := e.issue(t, kind, cl).Token
					e.clock.Set(tt.issuedAt.Add(2 * time.Second))
					got, err := e.ver.Verify(context.Background(), raw, kind)
					if !tt.revoked {
						if err != nil || got.Subject != cl.Subject {
							t.Fatalf("refused: %v", err)
						}
						return
					}
					if !errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrCheckFailed) || !strings.HasSuffix(err.Error(), ": revoked") {
						t.Fatalf("err = %v, want invalid token: revoked", err)
					}
					if got.Subject != "" {
						t.Fatalf("refusal returned claims %+v", got)
					}
				})
			}
		})
	}
}

// TestVerifyRevokedUserIsPerUser: one user's revocation leaves another's
// tokens of the same second alone.
func TestVerifyRevokedUserIsPerUser(t *testing.T) {
	e := newEnv(t, keys.EdDSA, keys.Options{})
	a, b := sampleClaims(), sampleClaims()
	b.Subject = "someone-else"
	ta, tb := e.issue(t, Access, a).Token, e.issue(t, Access, b).Token
	e.users.revoke(a.Subject, t0.Add(time.Second))
	if _, err := e.ver.Verify(context.Background(), ta, Access); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("the revoked user's token: %v", err)
	}
	if _, err := e.ver.Verify(context.Background(), tb, Access); err != nil {
		t.Fatalf("another user's token: %v", err)
	}
}
