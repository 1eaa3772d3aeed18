package api_test

import (
	"context"
	"sync"

	"github.com/sentinel-auth/sentinel/store"
)

// racingStore is a store whose next SetRole, RemoveMember or UpdateRole
// first runs the race set with next: another request's change committing
// between a route's reads and its own write, which real concurrent
// requests can do.
type racingStore struct {
	store.Store
	mu   sync.Mutex
	race func()
}

// next makes the next wrapped write run race first.
func (r *racingStore) next(race func()) {
	r.mu.Lock()
	r.race = race
	r.mu.Unlock()
}

func (r *racingStore) run() {
	r.mu.Lock()
	race := r.race
	r.race = nil
	r.mu.Unlock()
	if race != nil {
		race()
	}
}

func (r *racingStore) SetRole(ctx context.Context, workspaceID, userID string, role store.Role) (store.Membership, error) {
	r.run()
	return r.Store.SetRole(ctx, workspaceID, userID, role)
}

func (r *racingStore) RemoveMember(ctx context.Context, workspaceID, userID string) error {
	r.run()
	return r.Store.RemoveMember(ctx, workspaceID, userID)
}

func (r *racingStore) UpdateRole(ctx context.Context, id string, u store.RBACRoleUpdate) (store.RBACRole, error) {
	r.run()
	return r.Store.UpdateRole(ctx, id, u)
}
