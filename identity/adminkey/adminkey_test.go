package adminkey

import (
	"context"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

func TestBootstrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testenv.SQLiteStore(t)

	v, secret, err := Bootstrap(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, Prefix) || !v.Verify(secret) {
		t.Fatalf("generated key %q does not verify", secret)
	}
	hashes, _ := st.AdminKeyHashes(ctx)
	if len(hashes) != 1 || strings.Contains(hashes[0], secret) {
		t.Fatalf("stored %v: want one hash, not the key", hashes)
	}

	// A second start generates nothing new and still accepts the key.
	v2, again, err := Bootstrap(ctx, st, "")
	if err != nil || again != "" || !v2.Verify(secret) {
		t.Fatalf("second start: %q, %v, verifies=%v", again, err, v2.Verify(secret))
	}
	// A configured key works alongside the stored one.
	v3, _, err := Bootstrap(ctx, st, "my-admin-key")
	if err != nil || !v3.Verify("my-admin-key") || !v3.Verify(secret) {
		t.Fatalf("configured key: %v", err)
	}
	for _, bad := range []string{"", "my-admin-ke", secret + "x", "sk_" + secret[3:]} {
		if v3.Verify(bad) {
			t.Errorf("Verify(%q) = true", bad)
		}
	}
}
