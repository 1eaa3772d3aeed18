package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// systemTuples applies system tuples inside the write transaction w:
// deletes first, then writes; a delete of a missing tuple or a write of an
// existing one is skipped (the rows they mirror decide, not the tuples).
// The effective changes are appended to the changelog under the system
// service, so datasync applies them with the rows' transaction.
func (w *writer) systemTuples(ctx context.Context, writes, deletes []tuple.Tuple, at time.Time) error {
	if len(writes) == 0 && len(deletes) == 0 {
		return nil
	}
	deleted, err := deleteTuples(ctx, w.c, store.SystemServiceID, deletes)
	if err != nil {
		return fmt.Errorf("system tuples: %w", err)
	}
	changes := make([]store.Change, 0, len(writes)+len(deletes))
	for _, t := range deletes {
		if deleted[t] {
			changes = append(changes, store.Change{ServiceID: store.SystemServiceID, Op: store.OpDelete, Tuple: t, At: at})
		}
	}
	inserted, err := insertTuples(ctx, w.c, store.SystemServiceID, writes, at)
	if err != nil {
		return fmt.Errorf("system tuples: %w", err)
	}
	for _, t := range writes {
		if inserted[t] {
			changes = append(changes, store.Change{ServiceID: store.SystemServiceID, Op: store.OpWrite, Tuple: t, At: at})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	_, err = w.appendChanges(ctx, changes)
	return err
}
