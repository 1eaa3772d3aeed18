package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

const (
	userColumns = "id, email, name, avatar_url, is_active, is_admin, created_at, updated_at"
	// userRowColumns is what scanUser reads: userColumns (what an insert
	// writes) and the revocation time, which only RevokeUserTokens sets.
	userRowColumns  = userColumns + ", tokens_valid_after"
	identityColumns = "provider, subject, issuer, user_id, email, claims, created_at, last_seen_at"
)

// errInvalidSighting is wrapped by ProvisionUser's input errors.
var errInvalidSighting = errors.New("invalid identity sighting")

// normEmail is the stored form of an email: trimmed and lower-cased (in Go,
// not SQL, so both engines fold non-ASCII letters the same way).
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ProvisionUser returns the user linked to (si.Provider, si.Subject) and
// refreshes the link's issuer, email, claims and last-seen time (never the
// user's own email, name or flags). On first sight it creates the user
// (active, not admin, name and avatar from si) and the link, with one
// OpUser change; created reports that. An unknown identity whose email
// belongs to a user fails with store.ErrEmailTaken and writes nothing.
//
// It runs in one write transaction, under the writers' lock: concurrent
// first sightings of one identity are serialized, so the first creates the
// user and the others find its link. A deactivated user is returned as
// such; refusing it is the caller's decision.
func (s *Store) ProvisionUser(ctx context.Context, si store.IdentitySighting) (store.User, bool, error) {
	email, claims, err := checkSighting(si)
	if err != nil {
		return store.User{}, false, fmt.Errorf("provision user for %s identity %q: %w", si.Provider, si.Subject, err)
	}
	var (
		u       store.User
		created bool
	)
	at := now()
	err = s.writeTx(ctx, func(w *writer) error {
		var userID string
		err := w.c.queryRow(ctx, `UPDATE identities SET issuer = ?, email = ?, claims = ?, last_seen_at = ?
			WHERE provider = ? AND subject = ? RETURNING user_id`,
			si.Issuer, email, claims, at, si.Provider, si.Subject).Scan(&userID)
		switch {
		case err == nil: // a known identity
			u, err = userByID(ctx, w.c, userID)
			return err
		case !errors.Is(notFound(err), store.ErrNotFound):
			return fmt.Errorf("refresh identity: %w", err)
		}

		// First sight: the email must not belong to anyone yet.
		var one int
		err = w.c.queryRow(ctx, `SELECT 1 FROM users WHERE email = ?`, email).Scan(&one)
		if err == nil {
			return store.ErrEmailTaken
		}
		if !errors.Is(notFound(err), store.ErrNotFound) {
			return fmt.Errorf("look up email: %w", err)
		}
		u = store.User{
			ID: uuid.NewString(), Email: email, Name: si.Name, AvatarURL: si.AvatarURL,
			Active: true, CreatedAt: at, UpdatedAt: at,
		}
		if _, err := w.c.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Name, u.AvatarURL, u.Active, u.Admin, u.CreatedAt, u.UpdatedAt); err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if _, err := w.c.exec(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			si.Provider, si.Subject, si.Issuer, u.ID, email, claims, at, at); err != nil {
			return fmt.Errorf("insert identity: %w", err)
		}
		created = true
		_, err = w.appendChanges(ctx, []store.Change{{Op: store.OpUser, UserID: u.ID, At: at}})
		return err
	})
	if err != nil {
		return store.User{}, false, fmt.Errorf("provision user for %s identity %q: %w", si.Provider, si.Subject, err)
	}
	return u, created, nil
}

// checkSighting validates si and returns its stored email and claims
// ("{}" when absent). Claims must be a JSON object: they are handed back to
// policies as one.
func checkSighting(si store.IdentitySighting) (email, claims string, err error) {
	if si.Provider == "" || si.Subject == "" {
		return "", "", fmt.Errorf("%w: provider and subject are required", errInvalidSighting)
	}
	email = normEmail(si.Email)
	if email == "" {
		return "", "", fmt.Errorf("%w: email is required", errInvalidSighting)
	}
	if len(si.Claims) == 0 {
		return email, "{}", nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(si.Claims, &obj); err != nil || obj == nil {
		return "", "", fmt.Errorf("%w: claims are not a JSON object", errInvalidSighting)
	}
	return email, string(si.Claims), nil
}

// UserByID returns the user with that id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := userByID(ctx, s.c, id)
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

func userByID(ctx context.Context, c conn, id string) (store.User, error) {
	u, err := scanUser(c.queryRow(ctx, `SELECT `+userRowColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return store.User{}, fmt.Errorf("user %s: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user whose email equals email ignoring case, or
// store.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(s.c.queryRow(ctx, `SELECT `+userRowColumns+` FROM users WHERE email = ?`, normEmail(email)))
	if err != nil {
		return store.User{}, fmt.Errorf("user with email %q: %w", email, err)
	}
	return u, nil
}

// SetUserActive activates or deactivates the user and appends an OpUser
// change, so that every replica drops what it cached about the user. An
// unknown id is store.ErrNotFound.
func (s *Store) SetUserActive(ctx context.Context, id string, active bool) error {
	if err := s.setUserFlag(ctx, id, "is_active", active); err != nil {
		return fmt.Errorf("set user %s active=%v: %w", id, active, err)
	}
	return nil
}

// SetUserAdmin grants or revokes the user's admin flag and appends an
// OpUser change. An unknown id is store.ErrNotFound.
func (s *Store) SetUserAdmin(ctx context.Context, id string, admin bool) error {
	if err := s.setUserFlag(ctx, id, "is_admin", admin); err != nil {
		return fmt.Errorf("set user %s admin=%v: %w", id, admin, err)
	}
	return nil
}

// setUserFlag sets one boolean column of a user (column is a constant of
// this file, never input) and appends an OpUser change.
func (s *Store) setUserFlag(ctx context.Context, id, column string, v bool) error {
	at := now()
	return s.writeTx(ctx, func(w *writer) error {
		n, err := w.c.exec(ctx, `UPDATE users SET `+column+` = ?, updated_at = ? WHERE id = ?`, v, at, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		_, err = w.appendChanges(ctx, []store.Change{{Op: store.OpUser, UserID: id, At: at}})
		return err
	})
}

// IdentitiesOf lists the identities linked to the user, oldest first (an
// unknown user has none).
func (s *Store) IdentitiesOf(ctx context.Context, userID string) ([]store.Identity, error) {
	rows, err := s.c.query(ctx, `SELECT `+identityColumns+` FROM identities WHERE user_id = ?
		ORDER BY created_at, provider, subject`, userID)
	if err != nil {
		return nil, fmt.Errorf("identities of user %s: %w", userID, err)
	}
	var out []store.Identity
	err = scanAll(rows, func(r Rows) error {
		var (
			id     store.Identity
			claims string
		)
		if err := r.Scan(&id.Provider, &id.Subject, &id.Issuer, &id.UserID, &id.Email, &claims,
			&id.CreatedAt, &id.LastSeenAt); err != nil {
			return err
		}
		id.Claims = []byte(claims)
		id.CreatedAt, id.LastSeenAt = id.CreatedAt.UTC(), id.LastSeenAt.UTC()
		out = append(out, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("identities of user %s: %w", userID, err)
	}
	return out, nil
}

// scanUser scans one row of userRowColumns; no row is store.ErrNotFound.
func scanUser(r Row) (store.User, error) {
	var u store.User
	if err := r.Scan(&u.ID, &u.Email, &u.Name, &u.AvatarURL, &u.Active, &u.Admin, &u.CreatedAt, &u.UpdatedAt,
		&u.TokensValidAfter); err != nil {
		return store.User{}, notFound(err)
	}
	u.CreatedAt, u.UpdatedAt, u.TokensValidAfter = u.CreatedAt.UTC(), u.UpdatedAt.UTC(), utcPtr(u.TokensValidAfter)
	return u, nil
}
