// Package adminkey verifies the admin credential: the key that may create
// services and manage their keys. It comes from SENTINEL_ADMIN_KEY, or is
// generated at first start and stored hashed (printed once).
package adminkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Prefix starts every generated admin key.
const Prefix = "sa_"

// Store is where generated admin keys are kept (hashed).
type Store interface {
	AdminKeyHashes(ctx context.Context) ([]string, error)
	AddAdminKey(ctx context.Context, hash string) error
}

// Verifier checks admin credentials against the configured key and the
// stored ones.
type Verifier struct {
	hashes [][]byte
}

func hash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// Bootstrap returns a Verifier for the configured key (if any) and the
// stored ones. If neither exists it generates a key, stores its hash and
// returns the secret so the caller can print it once.
func Bootstrap(ctx context.Context, st Store, configured string) (*Verifier, string, error) {
	stored, err := st.AdminKeyHashes(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("read admin keys: %w", err)
	}
	v := &Verifier{}
	if configured != "" {
		v.hashes = append(v.hashes, hash(configured))
	}
	for _, h := range stored {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, "", fmt.Errorf("stored admin key hash %q is not hex: %w", h, err)
		}
		v.hashes = append(v.hashes, b)
	}
	if len(v.hashes) > 0 {
		return v, "", nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", fmt.Errorf("generate admin key: %w", err)
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	if err := st.AddAdminKey(ctx, hex.EncodeToString(hash(secret))); err != nil {
		return nil, "", fmt.Errorf("store admin key: %w", err)
	}
	v.hashes = append(v.hashes, hash(secret))
	return v, secret, nil
}

// Verify reports whether secret is an admin credential, in constant time
// per stored key.
func (v *Verifier) Verify(secret string) bool {
	if secret == "" {
		return false
	}
	h := hash(secret)
	ok := 0
	for _, want := range v.hashes {
		ok |= subtle.ConstantTimeCompare(h, want)
	}
	return ok == 1
}
