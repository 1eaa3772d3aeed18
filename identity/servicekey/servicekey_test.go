package servicekey

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

func openStore(t *testing.T) store.Store { return testenv.SQLiteStore(t) }

func TestGenerate(t *testing.T) {
	t.Parallel()
	secret, hash, display, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if !WellFormed(secret) || len(secret) != 46 {
		t.Fatalf("secret %q is not sk_ + 43 characters", secret)
	}
	if hash != Hash(secret) || len(hash) != 64 {
		t.Fatalf("hash %q is not the hex SHA-256 of the secret", hash)
	}
	if !strings.HasPrefix(display, secret[:7]) || strings.Contains(display, secret[7:]) {
		t.Fatalf("display prefix %q reveals too much or too little of %q", display, secret)
	}
	other, _, _, _ := Generate()
	if other == secret {
		t.Fatal("two keys are equal")
	}
	// The original Sentinel stored hex SHA-256 of the key; an imported key must verify.
	if got := Hash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Hash(abc) = %s, want the hex SHA-256 test vector", got)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	auth := NewAuthenticator(st, time.Hour) // a long TTL: staleness must come only from Invalidate
	now := time.Now()
	auth.now = func() time.Time { return now }

	first, err := CreateService(ctx, st, "notes")
	if err != nil {
		t.Fatal(err)
	}
	other, err := CreateService(ctx, st, "billing")
	if err != nil {
		t.Fatal(err)
	}
	svc, _, err := auth.Authenticate(ctx, first.Secret)
	if err != nil || svc.Name != "notes" {
		t.Fatalf("Authenticate(first) = %v, %v", svc.Name, err)
	}
	if svc, _, err := auth.Authenticate(ctx, other.Secret); err != nil || svc.Name != "billing" {
		t.Fatalf("Authenticate(other) = %v, %v", svc.Name, err)
	}

	// Rotation with a grace period: both keys work until it ends, then only the new one.
	second, err := Rotate(ctx, st, "notes", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	auth.Invalidate(first.Service.ID) // what datasync does on the key change
	for _, k := range []string{first.Secret, second.Secret} {
		if _, _, err := auth.Authenticate(ctx, k); err != nil {
			t.Fatalf("during the grace period: %v", err)
		}
	}
	now = now.Add(2 * time.Minute)
	if _, _, err := auth.Authenticate(ctx, first.Secret); !errors.Is(err, ErrInvalid) {
		t.Fatalf("old key after the grace period: %v", err)
	}
	if _, _, err := auth.Authenticate(ctx, second.Secret); err != nil {
		t.Fatalf("new key after the grace period: %v", err)
	}

	// Revocation is immediate once the cache hears of it.
	if err := Revoke(ctx, st, "notes", second.Key.ID); err != nil {
		t.Fatal(err)
	}
	auth.Invalidate(second.Service.ID)
	if _, _, err := auth.Authenticate(ctx, second.Secret); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked key: %v", err)
	}
	// Revoking through another service's name is not possible.
	if err := Revoke(ctx, st, "billing", first.Key.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke another service's key: %v", err)
	}
	// Other services are unaffected.
	if _, _, err := auth.Authenticate(ctx, other.Secret); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []string{"", "sk_", "sk_short", "xx_" + other.Secret[3:], other.Secret[:45] + "!"} {
		if _, _, err := auth.Authenticate(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Authenticate(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := Rotate(ctx, st, "nope", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rotate unknown service: %v", err)
	}
	if _, err := Rotate(ctx, st, "notes", -time.Second); err == nil {
		t.Fatal("negative grace accepted")
	}
	if _, err := CreateService(ctx, st, "notes"); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate service: %v", err)
	}
	_, keys, err := List(ctx, st, "notes")
	if err != nil || len(keys) != 2 {
		t.Fatalf("List = %d keys, %v", len(keys), err)
	}
}
