package storetest

import (
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// RunUserRevoke runs the conformance tests of RevokeUserTokens. open must
// return a new, empty store for each call and release it when t ends.
func RunUserRevoke(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"MovesForward", testUserRevokeMovesForward},
		{"Refused", testUserRevokeRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// testUserRevokeMovesForward revokes one user's tokens again and again:
// the time kept is the first whole second after the revocation, it never
// moves back, each move is one OpUser change of that user, every read of
// the user returns it, and nothing else of the user or of another user
// changes.
func testUserRevokeMovesForward(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	other, _ := provision(t, s, sighting("google", "g-2", "bob@example.com"))
	if u.TokensValidAfter != nil {
		t.Fatalf("a new user has TokensValidAfter %v", u.TokensValidAfter)
	}
	base := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	steps := []struct {
		name     string
		at       time.Time
		want     time.Time
		wantMove bool
	}{
		{"first", base.Add(400 * time.Millisecond), base.Add(time.Second), true},
		{"same second", base.Add(900 * time.Millisecond), base.Add(time.Second), false},
		{"earlier", base.Add(-time.Hour), base.Add(time.Second), false},
		// A whole second is not its own boundary: a token issued in it may
		// predate the revocation.
		{"on a whole second", base.Add(time.Second), base.Add(2 * time.Second), true},
		{"later, another zone", base.Add(time.Minute).In(time.FixedZone("x", 3600)), base.Add(time.Minute + time.Second), true},
	}
	for _, st := range steps {
		rev := head(t, s)
		wantErrIs(t, st.name, s.RevokeUserTokens(ctx, u.ID, st.at), nil)
		got := userOf(t, s, u.ID)
		if got.TokensValidAfter == nil || !got.TokensValidAfter.Equal(st.want) || got.TokensValidAfter.Location() != time.UTC {
			t.Fatalf("%s: TokensValidAfter = %v, want %v (UTC)", st.name, got.TokensValidAfter, st.want)
		}
		if got.ID != u.ID || got.Email != u.Email || got.Name != u.Name || got.AvatarURL != u.AvatarURL ||
			got.Active != u.Active || got.Admin != u.Admin || !got.CreatedAt.Equal(u.CreatedAt) || !got.UpdatedAt.Equal(u.UpdatedAt) {
			t.Fatalf("%s: user = %+v, was %+v", st.name, got, u)
		}
		cs := allChanges(t, s, "", rev)
		if st.wantMove {
			if len(cs) != 1 || cs[0].Op != store.OpUser || cs[0].UserID != u.ID || cs[0].ServiceID != "" {
				t.Fatalf("%s: changes %+v, want one OpUser change of %s", st.name, cs, u.ID)
			}
		} else if len(cs) != 0 {
			t.Fatalf("%s: changes %+v, want none", st.name, cs)
		}
	}
	want := base.Add(time.Minute + time.Second)
	byEmail, err := s.UserByEmail(ctx, "ANNE@example.com")
	wantErrIs(t, "UserByEmail", err, nil)
	again, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	for name, got := range map[string]store.User{"UserByEmail": byEmail, "ProvisionUser": again} {
		if got.TokensValidAfter == nil || !got.TokensValidAfter.Equal(want) {
			t.Fatalf("%s: TokensValidAfter = %v, want %v", name, got.TokensValidAfter, want)
		}
	}
	if got := userOf(t, s, other.ID); got != other {
		t.Fatalf("another user changed: %+v, want %+v", got, other)
	}
}

// testUserRevokeRefused: an unknown user is ErrNotFound, a zero time an
// error; neither writes anything.
func testUserRevokeRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	rev := head(t, s)
	unknown := "00000000-0000-4000-8000-000000000000"
	wantErrIs(t, "RevokeUserTokens of an unknown user", s.RevokeUserTokens(ctx, unknown, time.Now()), store.ErrNotFound)
	if err := s.RevokeUserTokens(ctx, u.ID, time.Time{}); err == nil {
		t.Fatal("RevokeUserTokens at the zero time succeeded")
	}
	if got := userOf(t, s, u.ID); got != u {
		t.Fatalf("a refused revocation changed the user: %+v, was %+v", got, u)
	}
	if h := head(t, s); h != rev {
		t.Fatalf("a refused revocation appended changes: head %d, was %d", h, rev)
	}
}
