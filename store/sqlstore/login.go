package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// Proxy-mode login state: rows only, no changelog, no writers' lock. Each
// method is one statement (or a statement and a read that explains why it
// matched nothing), atomic on both engines: single use holds because a
// DELETE … RETURNING or a conditional UPDATE affects a row at most once.

var _ store.LoginStore = (*Store)(nil)

// PutLoginState stores a new login state.
func (s *Store) PutLoginState(ctx context.Context, st store.LoginState) error {
	data := string(st.Data)
	if data == "" {
		data = "{}"
	}
	n, err := s.c.exec(ctx, `INSERT INTO login_states (state_hash, kind, provider, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		st.Hash, st.Kind, st.Provider, data, normTime(st.CreatedAt), normTime(st.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store login state: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store login state: %w", store.ErrAlreadyExists)
	}
	return nil
}

// TakeLoginState deletes the state and returns it if it had not expired.
func (s *Store) TakeLoginState(ctx context.Context, hash string, now time.Time) (store.LoginState, error) {
	var (
		st   store.LoginState
		data string
	)
	err := s.c.queryRow(ctx, `DELETE FROM login_states WHERE state_hash = ?
		RETURNING state_hash, kind, provider, data, created_at, expires_at`, hash).
		Scan(&st.Hash, &st.Kind, &st.Provider, &data, &st.CreatedAt, &st.ExpiresAt)
	if err != nil {
		return store.LoginState{}, fmt.Errorf("take login state: %w", notFound(err))
	}
	if !st.ExpiresAt.After(now) {
		return store.LoginState{}, fmt.Errorf("take login state: expired: %w", store.ErrNotFound)
	}
	st.Data = []byte(data)
	st.CreatedAt, st.ExpiresAt = st.CreatedAt.UTC(), st.ExpiresAt.UTC()
	return st, nil
}

const loginCodeColumns = `code_hash, user_id, provider, client_app_id, redirect_uri, code_challenge, created_at, expires_at`

func scanLoginCode(r Row) (store.LoginCode, error) {
	var c store.LoginCode
	err := r.Scan(&c.Hash, &c.UserID, &c.Provider, &c.ClientAppID, &c.RedirectURI, &c.Challenge, &c.CreatedAt, &c.ExpiresAt)
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	return c, err
}

// PutLoginCode stores a new one-time code.
func (s *Store) PutLoginCode(ctx context.Context, c store.LoginCode) error {
	n, err := s.c.exec(ctx, `INSERT INTO login_codes (`+loginCodeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		c.Hash, c.UserID, c.Provider, c.ClientAppID, c.RedirectURI, c.Challenge, normTime(c.CreatedAt), normTime(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store login code: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store login code: %w", store.ErrAlreadyExists)
	}
	return nil
}

// PeekLoginCode reads a live code and checks its challenge.
func (s *Store) PeekLoginCode(ctx context.Context, hash, challenge string, now time.Time) (store.LoginCode, error) {
	c, err := scanLoginCode(s.c.queryRow(ctx, `SELECT `+loginCodeColumns+` FROM login_codes
		WHERE code_hash = ? AND expires_at > ?`, hash, normTime(now)))
	if err != nil {
		return store.LoginCode{}, fmt.Errorf("login code: %w", notFound(err))
	}
	if c.Challenge != challenge {
		return store.LoginCode{}, fmt.Errorf("login code: %w", store.ErrCodeMismatch)
	}
	return c, nil
}

// TakeLoginCode deletes a live code whose challenge matches and returns
// it; when nothing matched it tells a mismatch from a missing code.
func (s *Store) TakeLoginCode(ctx context.Context, hash, challenge string, now time.Time) (store.LoginCode, error) {
	c, err := scanLoginCode(s.c.queryRow(ctx, `DELETE FROM login_codes
		WHERE code_hash = ? AND code_challenge = ? AND expires_at > ? RETURNING `+loginCodeColumns,
		hash, challenge, normTime(now)))
	if err == nil {
		return c, nil
	}
	if err = notFound(err); !errors.Is(err, store.ErrNotFound) {
		return store.LoginCode{}, fmt.Errorf("take login code: %w", err)
	}
	if _, err := s.PeekLoginCode(ctx, hash, challenge, now); errors.Is(err, store.ErrCodeMismatch) {
		return store.LoginCode{}, fmt.Errorf("take login code: %w", store.ErrCodeMismatch)
	}
	return store.LoginCode{}, fmt.Errorf("take login code: %w", store.ErrNotFound)
}

const refreshFamilyColumns = `id, user_id, workspace_id, client_app_id, current_jti_hash, created_at, rotated_at, expires_at, revoked_at`

// CreateRefreshFamily stores a new family.
func (s *Store) CreateRefreshFamily(ctx context.Context, f store.RefreshFamily) error {
	var revoked *time.Time
	if f.RevokedAt != nil {
		t := normTime(*f.RevokedAt)
		revoked = &t
	}
	n, err := s.c.exec(ctx, `INSERT INTO refresh_families (`+refreshFamilyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		f.ID, f.UserID, f.WorkspaceID, f.ClientAppID, f.CurrentHash, normTime(f.CreatedAt), normTime(f.RotatedAt), normTime(f.ExpiresAt), revoked)
	if err != nil {
		return fmt.Errorf("store refresh family: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store refresh family %s: %w", f.ID, store.ErrAlreadyExists)
	}
	return nil
}

// RefreshFamily returns the family with that id.
func (s *Store) RefreshFamily(ctx context.Context, id string) (store.RefreshFamily, error) {
	var f store.RefreshFamily
	err := s.c.queryRow(ctx, `SELECT `+refreshFamilyColumns+` FROM refresh_families WHERE id = ?`, id).
		Scan(&f.ID, &f.UserID, &f.WorkspaceID, &f.ClientAppID, &f.CurrentHash, &f.CreatedAt, &f.RotatedAt, &f.ExpiresAt, &f.RevokedAt)
	if err != nil {
		return store.RefreshFamily{}, fmt.Errorf("refresh family %s: %w", id, notFound(err))
	}
	f.CreatedAt, f.RotatedAt, f.ExpiresAt, f.RevokedAt = f.CreatedAt.UTC(), f.RotatedAt.UTC(), f.ExpiresAt.UTC(), utcPtr(f.RevokedAt)
	return f, nil
}

// RotateRefresh moves the family to its next token if spentHash is its
// current one; otherwise it finds out why, revoking the family on reuse.
func (s *Store) RotateRefresh(ctx context.Context, id, spentHash, nextHash string, expiresAt, now time.Time) error {
	at := normTime(now)
	n, err := s.c.exec(ctx, `UPDATE refresh_families SET current_jti_hash = ?, rotated_at = ?, expires_at = ?
		WHERE id = ? AND current_jti_hash = ? AND revoked_at IS NULL AND expires_at > ?`,
		nextHash, at, normTime(expiresAt), id, spentHash, at)
	if err != nil {
		return fmt.Errorf("rotate refresh family %s: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	f, err := s.RefreshFamily(ctx, id)
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if f.RevokedAt != nil || !f.ExpiresAt.After(at) {
		return fmt.Errorf("rotate refresh family %s: %w", id, store.ErrRefreshRevoked)
	}
	// Live, but spentHash is not its current token: a spent token came
	// back (stolen, or replayed). Whoever holds the family loses it.
	if err := s.RevokeRefreshFamily(ctx, id, now); err != nil {
		return fmt.Errorf("revoke reused refresh family: %w", err)
	}
	return fmt.Errorf("rotate refresh family %s: %w", id, store.ErrRefreshReused)
}

// RevokeRefreshFamily revokes the family unless it is revoked already.
func (s *Store) RevokeRefreshFamily(ctx context.Context, id string, at time.Time) error {
	n, err := s.c.exec(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, normTime(at), id)
	if err != nil {
		return fmt.Errorf("revoke refresh family %s: %w", id, err)
	}
	if n == 0 {
		if _, err := s.RefreshFamily(ctx, id); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
	}
	return nil
}

// RevokeUserRefreshFamilies revokes every live family of the user.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, userID string, at time.Time) (int, error) {
	t := normTime(at)
	n, err := s.c.exec(ctx, `UPDATE refresh_families SET revoked_at = ?
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`, t, userID, t)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh families of user %s: %w", userID, err)
	}
	return int(n), nil
}

// PruneLogin removes every expired row of the three tables.
func (s *Store) PruneLogin(ctx context.Context, now time.Time) (int64, error) {
	t := normTime(now)
	var total int64
	for _, table := range []string{"login_states", "login_codes", "refresh_families"} {
		n, err := s.c.exec(ctx, `DELETE FROM `+table+` WHERE expires_at <= ?`, t)
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		total += n
	}
	return total, nil
}
