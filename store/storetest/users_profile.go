package storetest

import (
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// RunUserProfile runs the conformance tests of UpdateUserProfile. open must
// return a new, empty store for each call and release it when t ends.
func RunUserProfile(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Updates", testUserProfileUpdates},
		{"Unknown", testUserProfileUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func profileStr(s string) *string { return &s }

// testUserProfileUpdates changes one field at a time and checks the stored
// user, the OpUser change, and that another user is left alone.
func testUserProfileUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, _ := provision(t, s, sighting("google", "g-1", "anne@example.com"))
	other, _ := provision(t, s, sighting("google", "g-2", "bob@example.com"))

	steps := []struct {
		name       string
		setName    *string
		setAvatar  *string
		wantName   string
		wantAvatar string
		wantOpUser bool
	}{
		{"name", profileStr("Anne Smith"), nil, "Anne Smith", u.AvatarURL, true},
		{"avatar", nil, profileStr("https://img.example/new.png"), "Anne Smith", "https://img.example/new.png", true},
		{"both", profileStr("A. Smith"), profileStr(""), "A. Smith", "", true},
		{"nothing", nil, nil, "A. Smith", "", false},
		{"same values", profileStr("A. Smith"), profileStr(""), "A. Smith", "", true},
	}
	prev := u
	for _, st := range steps {
		rev := head(t, s)
		got, err := s.UpdateUserProfile(ctx, u.ID, st.setName, st.setAvatar)
		wantErrIs(t, st.name, err, nil)
		stored := userOf(t, s, u.ID)
		if got != stored {
			t.Fatalf("%s: returned %+v, stored %+v", st.name, got, stored)
		}
		if stored.Name != st.wantName || stored.AvatarURL != st.wantAvatar {
			t.Fatalf("%s: user = %+v, want name %q avatar %q", st.name, stored, st.wantName, st.wantAvatar)
		}
		// Nothing else of the user changes.
		if stored.ID != u.ID || stored.Email != u.Email || stored.Active != u.Active || stored.Admin != u.Admin ||
			!stored.CreatedAt.Equal(u.CreatedAt) {
			t.Fatalf("%s: user = %+v, was %+v", st.name, stored, u)
		}
		// updated_at moves forward with a write (it may keep its value on
		// a coarse clock) and stays without one.
		if stored.UpdatedAt.Before(prev.UpdatedAt) || (!st.wantOpUser && !stored.UpdatedAt.Equal(prev.UpdatedAt)) {
			t.Fatalf("%s: updated_at %v after %v", st.name, stored.UpdatedAt, prev.UpdatedAt)
		}
		cs := allChanges(t, s, "", rev)
		if st.wantOpUser {
			if len(cs) != 1 || cs[0].Op != store.OpUser || cs[0].UserID != u.ID || cs[0].ServiceID != "" {
				t.Fatalf("%s: changes %+v, want one OpUser change of %s", st.name, cs, u.ID)
			}
		} else if len(cs) != 0 {
			t.Fatalf("%s: changes %+v, want none", st.name, cs)
		}
		prev = stored
	}
	if got := userOf(t, s, other.ID); got != other {
		t.Fatalf("another user changed: %+v, want %+v", got, other)
	}
}

// testUserProfileUnknown: an unknown user is ErrNotFound and writes nothing.
func testUserProfileUnknown(t *testing.T, s store.Store) {
	provision(t, s, sighting("google", "g-1", "anne@example.com"))
	rev := head(t, s)
	unknown := "00000000-0000-4000-8000-000000000000"
	_, err := s.UpdateUserProfile(t.Context(), unknown, profileStr("x"), nil)
	wantErrIs(t, "UpdateUserProfile of an unknown user", err, store.ErrNotFound)
	_, err = s.UpdateUserProfile(t.Context(), unknown, nil, nil)
	wantErrIs(t, "UpdateUserProfile of an unknown user, nothing to set", err, store.ErrNotFound)
	if h := head(t, s); h != rev {
		t.Fatalf("a failed update appended changes: head %d, was %d", h, rev)
	}
}
