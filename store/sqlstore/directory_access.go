package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

var _ store.DirectoryAccessStore = (*Store)(nil)

// SetDirectoryAccess grants or revokes the service's directory access; a
// revocation opts the service's current model out in the same transaction
// (see store.DirectoryAccessStore).
func (s *Store) SetDirectoryAccess(ctx context.Context, serviceID string, allowed bool) (store.DirectoryAccessChange, error) {
	var ch store.DirectoryAccessChange
	err := s.writeTx(ctx, func(w *writer) error {
		if serviceID == store.SystemServiceID {
			return fmt.Errorf("%w: the system service is the directory; it has no access to grant", store.ErrConflict)
		}
		svc, err := scanService(w.c.queryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE id = ?`, serviceID))
		if err != nil {
			return err
		}
		if svc.DirectoryAccess != allowed {
			if _, err := w.c.exec(ctx, `UPDATE services SET directory_access = ? WHERE id = ?`, allowed, serviceID); err != nil {
				return fmt.Errorf("update directory access: %w", err)
			}
			svc.DirectoryAccess, ch.Changed = allowed, true
		}
		if !allowed {
			// Whatever the access was: no current model may opt in
			// without it (the invariant of store.DirectoryAccessStore).
			m, err := w.optOut(ctx, serviceID)
			if err != nil {
				return err
			}
			if m != nil {
				ch.OptedOut, ch.Changed = m, true
			}
		}
		ch.Service = svc
		if ch.Changed {
			w.produce(ch)
		}
		return nil
	})
	if err != nil {
		return store.DirectoryAccessChange{}, fmt.Errorf("set directory access of service %s to %v: %w", serviceID, allowed, err)
	}
	return ch, nil
}

// optOut writes a new current version of the service's model, identical
// but for Directory false, if the current one opts in to the directory; it
// returns that version, or nil if none was needed.
func (w *writer) optOut(ctx context.Context, serviceID string) (*store.Model, error) {
	cur, err := scanModel(w.c.queryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE service_id = ?
		ORDER BY version DESC LIMIT 1`, serviceID))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !cur.Directory) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read current model: %w", err)
	}
	m := store.Model{ID: uuid.NewString(), ServiceID: serviceID, DSL: cur.DSL, JSON: cur.JSON, CreatedAt: now()}
	if err := w.insertModel(ctx, &m); err != nil {
		return nil, fmt.Errorf("opt the model out of the directory: %w", err)
	}
	return &m, nil
}
