// Package servicekey creates, rotates, revokes and authenticates service
// keys: the credentials an application uses to call Sentinel for its own
// service.
//
// A key is "sk_" followed by 43 URL-safe base64 characters (32 random
// bytes). Only its SHA-256 (hex) is stored, the form the original Sentinel
// used, so imported keys keep working. The first characters are kept as a
// display prefix.
package servicekey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// Prefix starts every service key.
const Prefix = "sk_"

// ErrInvalid is returned for a credential that does not authenticate.
var ErrInvalid = errors.New("invalid service key")

// Generate returns a new random key, its hash and its display prefix.
func Generate() (secret, hash, display string, err error) {
	return generate(Prefix)
}

// NewKey is a key generated but not stored yet: the secret its owner is
// shown once, the hash that is stored, and the display prefix.
type NewKey struct{ Secret, Hash, Display string }

// New generates a NewKey.
func New() (NewKey, error) {
	secret, hash, display, err := Generate()
	return NewKey{Secret: secret, Hash: hash, Display: display}, err
}

func generate(prefix string) (secret, hash, display string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", fmt.Errorf("generate key: %w", err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret), secret[:len(prefix)+4] + "****", nil
}

// Hash returns the stored form of a key: hex SHA-256.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s looks like a service key (cheap pre-check
// before any lookup).
func WellFormed(s string) bool {
	return strings.HasPrefix(s, Prefix) && len(s) == len(Prefix)+43
}

// Keys is the part of the store that key management uses.
type Keys interface {
	CreateService(ctx context.Context, name string) (store.Service, error)
	ServiceByName(ctx context.Context, name string) (store.Service, error)
	CreateKey(ctx context.Context, serviceID, hash, prefix string, graceOthers *time.Duration) (store.Key, error)
	RevokeKey(ctx context.Context, serviceID, keyID string) error
	ListKeys(ctx context.Context, serviceID string) ([]store.Key, error)
}

// Issued is a key as shown to its owner, once.
type Issued struct {
	Service store.Service
	Key     store.Key
	Secret  string
}

// CreateService creates a service and its first key (see
// CreateServiceWith).
func CreateService(ctx context.Context, ks Keys, name string) (Issued, error) {
	k, err := New()
	if err != nil {
		return Issued{}, err
	}
	return CreateServiceWith(ctx, ks, name, k)
}

// CreateServiceWith creates a service and its first key, k. They are two
// writes, and the activity attached to ctx (store.WithActivity) is
// recorded by the first, the service's: a service is never kept without
// its entry, which can name the key by k.Display, known beforehand. If the
// key's write fails the service stays, recorded and without a key; the
// error says so, and rotating gives it one.
func CreateServiceWith(ctx context.Context, ks Keys, name string, k NewKey) (Issued, error) {
	svc, err := ks.CreateService(ctx, name)
	if err != nil {
		return Issued{}, fmt.Errorf("create service %q: %w", name, err)
	}
	return storeKey(ctx, ks, svc, k, nil)
}

// Rotate issues a new key for the named service; the service's other keys
// stop working after grace (at once if grace is 0).
func Rotate(ctx context.Context, ks Keys, name string, grace time.Duration) (Issued, error) {
	k, err := New()
	if err != nil {
		return Issued{}, err
	}
	return RotateWith(ctx, ks, name, grace, k)
}

// RotateWith is Rotate issuing k, generated beforehand (so that an entry
// attached to ctx can name it by its prefix).
func RotateWith(ctx context.Context, ks Keys, name string, grace time.Duration, k NewKey) (Issued, error) {
	if grace < 0 {
		return Issued{}, fmt.Errorf("rotate key of %q: grace %s is negative", name, grace)
	}
	svc, err := ks.ServiceByName(ctx, name)
	if err != nil {
		return Issued{}, fmt.Errorf("rotate key of %q: %w", name, err)
	}
	return storeKey(ctx, ks, svc, k, &grace)
}

// storeKey stores k as a key of svc (rotating the others if grace is set).
func storeKey(ctx context.Context, ks Keys, svc store.Service, k NewKey, grace *time.Duration) (Issued, error) {
	key, err := ks.CreateKey(ctx, svc.ID, k.Hash, k.Display, grace)
	if err != nil {
		return Issued{}, fmt.Errorf("create key for %q: %w", svc.Name, err)
	}
	return Issued{Service: svc, Key: key, Secret: k.Secret}, nil
}

// Revoke revokes one key (by id) of the named service, at once.
func Revoke(ctx context.Context, ks Keys, name, keyID string) error {
	svc, err := ks.ServiceByName(ctx, name)
	if err != nil {
		return fmt.Errorf("revoke key of %q: %w", name, err)
	}
	if err := ks.RevokeKey(ctx, svc.ID, keyID); err != nil {
		return fmt.Errorf("revoke key %s of %q: %w", keyID, name, err)
	}
	return nil
}

// List returns the keys of the named service.
func List(ctx context.Context, ks Keys, name string) (store.Service, []store.Key, error) {
	svc, err := ks.ServiceByName(ctx, name)
	if err != nil {
		return store.Service{}, nil, fmt.Errorf("list keys of %q: %w", name, err)
	}
	keys, err := ks.ListKeys(ctx, svc.ID)
	if err != nil {
		return store.Service{}, nil, fmt.Errorf("list keys of %q: %w", name, err)
	}
	return svc, keys, nil
}
