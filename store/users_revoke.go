package store

import (
	"context"
	"time"
)

// UserRevocationStore ends every token a user holds at once, whatever its
// kind (access, refresh, admin, authz): the original Sentinel revoked a
// user's tokens when their role changed or they were removed from a
// workspace, and an admin may do it at any time.
//
// A revocation is one time per user, User.TokensValidAfter: the verifier
// refuses a token whose iat is before it. Tokens carry iat in whole
// seconds, so the time kept is the first whole second after the
// revocation: a token issued in the same second as the revocation (maybe
// just before it) is refused too, and the user signs in again a second
// later at worst.
type UserRevocationStore interface {
	// RevokeUserTokens refuses from now on every token issued to the user
	// at or before at: it sets TokensValidAfter to the first whole second
	// after at, unless it is later already (a revocation never moves it
	// back), and then appends an OpUser change so every replica drops
	// what it cached about the user. An unknown user is ErrNotFound and a
	// zero at is an error; neither writes anything.
	RevokeUserTokens(ctx context.Context, userID string, at time.Time) error
}

// TokensValidAfterFor is the TokensValidAfter a revocation at at sets: the
// first whole second after it (whole seconds, like a token's iat).
func TokensValidAfterFor(at time.Time) time.Time {
	return at.UTC().Truncate(time.Second).Add(time.Second)
}
