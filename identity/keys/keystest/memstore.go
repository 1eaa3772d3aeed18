// Package keystest provides an in-memory signing-key store for tests of
// packages that use identity/keys.
package keystest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/sentinel-auth/sentinel/store"
)

// MemStore keeps signing keys in memory with the store contract's
// semantics: a duplicate kid is store.ErrAlreadyExists, deleting a missing
// one store.ErrNotFound, listing is oldest SignFrom first. The zero value
// is an empty store.
type MemStore struct {
	mu   sync.Mutex
	rows []store.SigningKey
	err  error
}

// Fail makes every later call return err (nil: work again), to test
// failure paths.
func (s *MemStore) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// AddSigningKey stores a copy of k.
func (s *MemStore) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	for _, r := range s.rows {
		if r.KID == k.KID {
			return fmt.Errorf("signing key %s: %w", k.KID, store.ErrAlreadyExists)
		}
	}
	k.PrivateSealed = slices.Clone(k.PrivateSealed)
	k.PublicJWK = slices.Clone(k.PublicJWK)
	s.rows = append(s.rows, k)
	return nil
}

// SigningKeys returns copies of the stored keys, oldest SignFrom first.
func (s *MemStore) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	out := make([]store.SigningKey, len(s.rows))
	for i, r := range s.rows {
		r.PrivateSealed = slices.Clone(r.PrivateSealed)
		r.PublicJWK = slices.Clone(r.PublicJWK)
		out[i] = r
	}
	slices.SortStableFunc(out, func(a, b store.SigningKey) int { return a.SignFrom.Compare(b.SignFrom) })
	return out, nil
}

// DeleteSigningKey removes the key with that kid.
func (s *MemStore) DeleteSigningKey(ctx context.Context, kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	for i, r := range s.rows {
		if r.KID == kid {
			s.rows = slices.Delete(s.rows, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("signing key %s: %w", kid, store.ErrNotFound)
}

// Rows returns the raw stored rows (for tests that tamper with them).
func (s *MemStore) Rows() []store.SigningKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rows)
}

// Replace overwrites the stored row with r's kid (for tampering tests).
func (s *MemStore) Replace(r store.SigningKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.rows {
		if s.rows[i].KID == r.KID {
			s.rows[i] = r
		}
	}
}
