package userstatus_test

import (
	"testing"

	"github.com/sentinel-auth/sentinel/identity/userstatus"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

func TestActive(t *testing.T) {
	st := testenv.SQLiteStore(t)
	ctx := t.Context()
	c := userstatus.New(st)
	if a, err := c.Active(ctx, "no-such-user"); err != nil || a {
		t.Fatalf("unknown user: active=%v err=%v, want inactive", a, err)
	}
	u, _, err := st.ProvisionUser(ctx, store.IdentitySighting{Provider: "p", Subject: "s", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.Active(ctx, u.ID); err != nil || !a {
		t.Fatalf("new user: active=%v err=%v", a, err)
	}
	if err := st.SetUserActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	// Cached until datasync reports the change…
	if a, _ := c.Active(ctx, u.ID); !a {
		t.Fatal("the answer was not cached: every verification would hit the store")
	}
	// …then read again.
	c.Invalidate(u.ID)
	if a, err := c.Active(ctx, u.ID); err != nil || a {
		t.Fatalf("after deactivation and invalidation: active=%v err=%v", a, err)
	}
}

func TestStoreErrorIsNotAnAnswer(t *testing.T) {
	st := testenv.SQLiteStore(t)
	c := userstatus.New(st)
	st.Close()
	if a, err := c.Active(t.Context(), "someone"); err == nil || a {
		t.Fatalf("closed store: active=%v err=%v, want an error", a, err)
	}
}
