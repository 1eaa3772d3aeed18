package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
)

const signingKeyColumns = "kid, alg, private_sealed, public_jwk, created_at, sign_from"

// AddSigningKey stores a new signing key. KID, Alg, PrivateSealed and a
// JSON PublicJWK are required; a zero CreatedAt is now and a zero SignFrom
// is CreatedAt. A KID already stored is store.ErrAlreadyExists. Keys are
// not in the changelog: replicas reread them on their own schedule.
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	switch {
	case k.KID == "" || k.Alg == "":
		return fmt.Errorf("add signing key %q: kid and alg are required", k.KID)
	case len(k.PrivateSealed) == 0:
		return fmt.Errorf("add signing key %q: the sealed private key is empty", k.KID)
	case !json.Valid(k.PublicJWK):
		return fmt.Errorf("add signing key %q: the public JWK is not JSON", k.KID)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now()
	}
	if k.SignFrom.IsZero() {
		k.SignFrom = k.CreatedAt
	}
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`,
			k.KID, k.Alg, k.PrivateSealed, string(k.PublicJWK), normTime(k.CreatedAt), normTime(k.SignFrom))
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrAlreadyExists
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add signing key %q: %w", k.KID, err)
	}
	return nil
}

// SigningKeys returns every stored signing key, ordered by SignFrom and
// then KID.
func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.c.query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY sign_from, kid`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	var out []store.SigningKey
	err = scanAll(rows, func(r Rows) error {
		var (
			k   store.SigningKey
			jwk string
		)
		if err := r.Scan(&k.KID, &k.Alg, &k.PrivateSealed, &jwk, &k.CreatedAt, &k.SignFrom); err != nil {
			return err
		}
		k.PublicJWK = []byte(jwk)
		k.CreatedAt, k.SignFrom = k.CreatedAt.UTC(), k.SignFrom.UTC()
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

// DeleteSigningKey removes the key; an unknown KID is store.ErrNotFound.
func (s *Store) DeleteSigningKey(ctx context.Context, kid string) error {
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `DELETE FROM signing_keys WHERE kid = ?`, kid)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete signing key %q: %w", kid, err)
	}
	return nil
}
