package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Errors of the LoginStore.
var (
	// ErrCodeMismatch: the one-time code exists but the PKCE challenge
	// given does not match the one it was issued for. The code is kept.
	ErrCodeMismatch = errors.New("code verifier does not match the code's challenge")
	// ErrRefreshReused: a refresh token of the family that was already
	// rotated away came back; the family is revoked now.
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrRefreshRevoked: the family was revoked (logout, reuse) or has
	// expired.
	ErrRefreshRevoked = errors.New("refresh token family revoked")
)

// LoginState is a login in progress, between the redirect to the IdP and
// the IdP's callback. Hash is SecretHash of the state parameter; Data is
// the flow's own JSON (redirect URI, PKCE, nonce…), opaque to the store.
type LoginState struct {
	Hash      string
	Kind      string // "login", "admin" or "github_authz"
	Provider  string
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LoginCode is a one-time code handed to a client app's redirect URI at the
// end of a proxy-mode login. Hash is SecretHash of the code; Challenge is
// the client's PKCE S256 challenge.
type LoginCode struct {
	Hash        string
	UserID      string
	Provider    string
	ClientAppID string
	RedirectURI string
	Challenge   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// RefreshFamily is a chain of rotated refresh tokens (the fid claim). Only
// the refresh token whose jti hashes to CurrentHash may still be used;
// ExpiresAt is that token's expiry.
type RefreshFamily struct {
	ID          string
	UserID      string
	WorkspaceID string
	ClientAppID string
	CurrentHash string // SecretHash of the current refresh token's jti
	CreatedAt   time.Time
	RotatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   *time.Time
}

// LoginStore keeps proxy-mode login's short-lived state in the database,
// so every replica shares it and a restart loses no login: login states,
// one-time codes and refresh token families. It stores hashes of the
// secrets (state, code, refresh jti), never the secrets. Nothing here
// touches the changelog. Times are compared with the now the caller gives,
// so expiry is tested without waiting.
type LoginStore interface {
	// PutLoginState stores a new login state (ErrAlreadyExists for a hash
	// stored already).
	PutLoginState(ctx context.Context, s LoginState) error
	// TakeLoginState removes and returns the state: single use. An
	// unknown, taken or expired (ExpiresAt not after now) state is
	// ErrNotFound; an expired one is removed too.
	TakeLoginState(ctx context.Context, hash string, now time.Time) (LoginState, error)

	// PutLoginCode stores a new one-time code.
	PutLoginCode(ctx context.Context, c LoginCode) error
	// PeekLoginCode returns the code without using it up: ErrNotFound for
	// an unknown, used or expired code, ErrCodeMismatch for a challenge
	// other than the code's.
	PeekLoginCode(ctx context.Context, hash, challenge string, now time.Time) (LoginCode, error)
	// TakeLoginCode is PeekLoginCode that also removes the code, at most
	// once even under concurrency: of several calls with the same code one
	// gets it, the others ErrNotFound. A mismatched challenge leaves the
	// code in place (ErrCodeMismatch).
	TakeLoginCode(ctx context.Context, hash, challenge string, now time.Time) (LoginCode, error)

	// CreateRefreshFamily stores a new family.
	CreateRefreshFamily(ctx context.Context, f RefreshFamily) error
	// RefreshFamily returns the family, or ErrNotFound.
	RefreshFamily(ctx context.Context, id string) (RefreshFamily, error)
	// RotateRefresh replaces the family's current token: spentHash must be
	// the current one, the family not revoked and not expired at now. It
	// then holds nextHash, expiring at expiresAt. A spentHash that is not
	// current (a token used before) revokes the family and is
	// ErrRefreshReused; a revoked or expired family is ErrRefreshRevoked;
	// an unknown one ErrNotFound. Of concurrent rotations with the same
	// spent token one succeeds, the others are reuse.
	RotateRefresh(ctx context.Context, id, spentHash, nextHash string, expiresAt, now time.Time) error
	// RevokeRefreshFamily revokes one family (no error if revoked
	// already; ErrNotFound if unknown).
	RevokeRefreshFamily(ctx context.Context, id string, at time.Time) error
	// RevokeUserRefreshFamilies revokes every live family of the user and
	// returns how many it revoked.
	RevokeUserRefreshFamilies(ctx context.Context, userID string, at time.Time) (int, error)

	// PruneLogin removes expired states, codes and families (revoked or
	// not) and returns how many rows it removed.
	PruneLogin(ctx context.Context, now time.Time) (int64, error)
}

// SecretHash is how the LoginStore names a secret: the hex SHA-256 of it.
// A leaked table then gives nobody a usable state, code or token id.
func SecretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
