package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

var _ store.UserRevocationStore = (*Store)(nil)

// RevokeUserTokens moves the user's tokens_valid_after forward to the
// first whole second after at (never back) and appends an OpUser change,
// in one write transaction. When it is at or past that second already
// nothing is written: the tokens it would refuse are refused already.
// updated_at stays: the user's own data did not change.
func (s *Store) RevokeUserTokens(ctx context.Context, userID string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("revoke tokens of user %s: no revocation time", userID)
	}
	after := store.TokensValidAfterFor(at)
	err := s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `UPDATE users SET tokens_valid_after = ?
			WHERE id = ? AND (tokens_valid_after IS NULL OR tokens_valid_after < ?)`, after, userID, after)
		if err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if n == 0 { // an unknown user, or one revoked later already
			var one int
			if err := w.c.queryRow(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one); err != nil {
				return fmt.Errorf("look up user: %w", notFound(err))
			}
			return nil
		}
		_, err = w.appendChanges(ctx, []store.Change{{Op: store.OpUser, UserID: userID, At: now()}})
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke tokens of user %s: %w", userID, err)
	}
	return nil
}
