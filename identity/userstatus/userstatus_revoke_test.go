package userstatus_test

import (
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/identity/userstatus"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// TestUserStatusRevocation: Status reports the stored revocation time,
// keeps the cached one until the OpUser change is applied (Invalidate),
// then reads the new one; an unknown user is inactive with no time.
func TestUserStatusRevocation(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{
		"sqlite":   func(t testing.TB) store.Store { return testenv.SQLiteStore(t) },
		"postgres": func(t testing.TB) store.Store { return testenv.PostgresStore(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			ctx := t.Context()
			c := userstatus.New(st)
			if a, va, err := c.Status(ctx, "no-such-user"); err != nil || a || !va.IsZero() {
				t.Fatalf("unknown user: active=%v validAfter=%v err=%v", a, va, err)
			}
			u, _, err := st.ProvisionUser(ctx, store.IdentitySighting{Provider: "p", Subject: "s", Email: "a@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if a, va, err := c.Status(ctx, u.ID); err != nil || !a || !va.IsZero() {
				t.Fatalf("new user: active=%v validAfter=%v err=%v", a, va, err)
			}
			at := time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
			if err := st.RevokeUserTokens(ctx, u.ID, at); err != nil {
				t.Fatal(err)
			}
			if _, va, _ := c.Status(ctx, u.ID); !va.IsZero() {
				t.Fatal("the answer was not cached: every verification would hit the store")
			}
			c.Invalidate(u.ID)
			want := time.Date(2030, 1, 2, 3, 4, 6, 0, time.UTC)
			if a, va, err := c.Status(ctx, u.ID); err != nil || !a || !va.Equal(want) {
				t.Fatalf("after revocation and invalidation: active=%v validAfter=%v err=%v, want active, %v", a, va, err, want)
			}
			// Active still answers, from the same cache entry.
			if a, err := c.Active(ctx, u.ID); err != nil || !a {
				t.Fatalf("Active after revocation: %v %v", a, err)
			}
		})
	}
}
