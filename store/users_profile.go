package store

import "context"

// UserProfileStore changes what a user says about themselves: the
// original's PATCH /users/me.
type UserProfileStore interface {
	// UpdateUserProfile sets the fields that are non-nil (name, avatar
	// URL; "" clears the avatar) and returns the user as stored, with an
	// OpUser change so every replica drops what it cached about the user.
	// Nothing to set returns the user unchanged and appends no change. The
	// values are stored as given: validating them is the caller's job (a
	// provisioned user may have an empty name). An unknown id is
	// ErrNotFound.
	UpdateUserProfile(ctx context.Context, id string, name, avatarURL *string) (User, error)
}
