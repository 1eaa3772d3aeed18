// Package userstatus answers "is this user active?" for every token
// Sentinel verifies, from a process-local cache in front of the store.
//
// Deactivation must take effect at once on every replica: the store appends
// an OpUser change, datasync calls Invalidate on each replica, and the next
// verification reads the store again. A read that raced with an
// invalidation is not cached, so a stale "active" cannot stick.
package userstatus

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sentinel-auth/sentinel/store"
)

// Users reads users (store.Store).
type Users interface {
	UserByID(ctx context.Context, id string) (store.User, error)
}

// maxEntries bounds the cache; past it the cache starts over.
const maxEntries = 100_000

// Cache is safe for concurrent use.
type Cache struct {
	users Users

	mu     sync.Mutex
	gen    uint64 // bumped by every invalidation
	active map[string]bool
}

// New returns an empty cache over users.
func New(users Users) *Cache {
	return &Cache{users: users, active: map[string]bool{}}
}

// Active reports whether the user exists and is active. An unknown user is
// inactive; a store error is returned (callers refuse the token).
func (c *Cache) Active(ctx context.Context, userID string) (bool, error) {
	c.mu.Lock()
	a, ok := c.active[userID]
	gen := c.gen
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	u, err := c.users.UserByID(ctx, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a = false
	case err != nil:
		return false, fmt.Errorf("read status of user %s: %w", userID, err)
	default:
		a = u.Active
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.active) >= maxEntries {
			clear(c.active)
		}
		c.active[userID] = a
	}
	c.mu.Unlock()
	return a, nil
}

// Invalidate forgets what is cached about the user (datasync calls it for
// every OpUser change).
func (c *Cache) Invalidate(userID string) {
	c.mu.Lock()
	c.gen++
	delete(c.active, userID)
	c.mu.Unlock()
}
