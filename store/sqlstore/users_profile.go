package sqlstore

import (
	"context"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
)

var _ store.UserProfileStore = (*Store)(nil)

// UpdateUserProfile sets the user's name and/or avatar URL (the non-nil
// ones) and updated_at, with an OpUser change, in one write transaction.
// With nothing to set it only reads the user.
func (s *Store) UpdateUserProfile(ctx context.Context, id string, name, avatarURL *string) (store.User, error) {
	if name == nil && avatarURL == nil {
		return s.UserByID(ctx, id)
	}
	var u store.User
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		if u, err = userByID(ctx, w.c, id); err != nil {
			return err
		}
		if name != nil {
			u.Name = *name
		}
		if avatarURL != nil {
			u.AvatarURL = *avatarURL
		}
		u.UpdatedAt = at
		if _, err := w.c.exec(ctx, `UPDATE users SET name = ?, avatar_url = ?, updated_at = ? WHERE id = ?`,
			u.Name, u.AvatarURL, u.UpdatedAt, id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		w.produce(u)
		_, err = w.appendChanges(ctx, []store.Change{{Op: store.OpUser, UserID: id, At: at}})
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("update profile of user %s: %w", id, err)
	}
	return u, nil
}
