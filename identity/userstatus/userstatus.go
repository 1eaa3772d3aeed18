// Package userstatus answers "may this user still use their tokens?" for
// every token Sentinel verifies, from a process-local cache in front of
// the store: whether the user is active, and since when their tokens count
// (the last revocation of all of them, store.User.TokensValidAfter).
//
// Deactivation and revocation must take effect at once on every replica:
// the store appends an OpUser change, datasync calls Invalidate on each
// replica, and the next verification reads the store again. A read that
// raced with an invalidation is not cached, so a stale answer cannot stick.
package userstatus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// Users reads users (store.Store).
type Users interface {
	UserByID(ctx context.Context, id string) (store.User, error)
}

// maxEntries bounds the cache; past it the cache starts over.
const maxEntries = 100_000

// status is what is cached about one user.
type status struct {
	active     bool
	validAfter time.Time // zero: never revoked
}

// Cache is safe for concurrent use.
type Cache struct {
	users Users

	mu     sync.Mutex
	gen    uint64 // bumped by every invalidation
	status map[string]status
}

// New returns an empty cache over users.
func New(users Users) *Cache {
	return &Cache{users: users, status: map[string]status{}}
}

// Status reports whether the user exists and is active, and the time
// before which their tokens are revoked (zero when they never were). An
// unknown user is inactive; a store error is returned (callers refuse the
// token). It implements identity/token's UserStatus.
func (c *Cache) Status(ctx context.Context, userID string) (active bool, validAfter time.Time, err error) {
	c.mu.Lock()
	st, ok := c.status[userID]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return st.active, st.validAfter, nil
	}
	u, err := c.users.UserByID(ctx, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st = status{}
	case err != nil:
		return false, time.Time{}, fmt.Errorf("read status of user %s: %w", userID, err)
	default:
		st = status{active: u.Active}
		if u.TokensValidAfter != nil {
			st.validAfter = *u.TokensValidAfter
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.status) >= maxEntries {
			clear(c.status)
		}
		c.status[userID] = st
	}
	c.mu.Unlock()
	return st.active, st.validAfter, nil
}

// Active reports whether the user exists and is active (Status without
// the revocation time).
func (c *Cache) Active(ctx context.Context, userID string) (bool, error) {
	active, _, err := c.Status(ctx, userID)
	return active, err
}

// Invalidate forgets what is cached about the user (datasync calls it for
// every OpUser change).
func (c *Cache) Invalidate(userID string) {
	c.mu.Lock()
	c.gen++
	delete(c.status, userID)
	c.mu.Unlock()
}
