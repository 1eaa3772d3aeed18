package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// tupleColumns are the columns of a tuple, in the order scanTuple reads them.
const tupleColumns = "object_type, object_id, relation, user_type, user_id, user_relation"

// WriteTuples applies w atomically in one write transaction: deletes first,
// then writes, each as multi-row statements, then one changelog append of
// the effective changes (deletes, then writes, in request order). It returns
// the revision of the last changelog row, or the head revision if nothing
// changed.
//
// Errors: store.ErrNotFound (no such service), store.ErrNoModel (writes but
// no model), store.ErrModelChanged (w.ModelID is not current), and
// *store.TupleConflictError for the first no-op element whose Policy is
// Fail; every error rolls the whole request back.
func (s *Store) WriteTuples(ctx context.Context, serviceID string, w store.TupleWrite) (uint64, error) {
	at := now()
	var rev uint64
	err := s.writeTx(ctx, func(tx *writer) error {
		if err := checkModel(ctx, tx.c, serviceID, w); err != nil {
			return err
		}
		deleted, err := deleteTuples(ctx, tx.c, serviceID, w.Deletes)
		if err != nil {
			return err
		}
		changes := make([]store.Change, 0, len(w.Deletes)+len(w.Writes))
		for _, t := range w.Deletes {
			if !deleted[t] {
				if w.OnMissing == store.Fail {
					return &store.TupleConflictError{Tuple: t, Exists: false}
				}
				continue
			}
			changes = append(changes, store.Change{ServiceID: serviceID, Op: store.OpDelete, Tuple: t, At: at})
		}
		inserted, err := insertTuples(ctx, tx.c, serviceID, w.Writes, at)
		if err != nil {
			return err
		}
		for _, t := range w.Writes {
			if !inserted[t] {
				if w.OnDuplicate == store.Fail {
					return &store.TupleConflictError{Tuple: t, Exists: true}
				}
				continue
			}
			changes = append(changes, store.Change{ServiceID: serviceID, Op: store.OpWrite, Tuple: t, At: at})
		}
		if len(changes) == 0 {
			// Read under the writers' lock: nothing can commit in between.
			rev, err = headRevision(ctx, tx.c)
			return err
		}
		rev, err = tx.appendChanges(ctx, changes)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("write tuples for service %s: %w", serviceID, err)
	}
	return rev, nil
}

// checkModel verifies that the service exists and that its current model
// admits the request (see WriteTuples).
func checkModel(ctx context.Context, c conn, serviceID string, w store.TupleWrite) error {
	var current string
	err := c.queryRow(ctx, `SELECT COALESCE((SELECT id FROM models WHERE service_id = s.id ORDER BY version DESC LIMIT 1), '')
		FROM services s WHERE s.id = ?`, serviceID).Scan(&current)
	if err != nil {
		return fmt.Errorf("read current model: %w", notFound(err))
	}
	if len(w.Writes) > 0 && current == "" {
		return store.ErrNoModel
	}
	if w.ModelID != "" && w.ModelID != current {
		return fmt.Errorf("%w: request validated against %s, current is %q", store.ErrModelChanged, w.ModelID, current)
	}
	return nil
}

// deleteTuples deletes ts from the service and returns those that existed.
func deleteTuples(ctx context.Context, c conn, serviceID string, ts []tuple.Tuple) (map[tuple.Tuple]bool, error) {
	done := make(map[tuple.Tuple]bool, len(ts))
	for start := 0; start < len(ts); start += batchSize {
		batch := ts[start:min(start+batchSize, len(ts))]
		args := make([]any, 0, 1+len(batch)*6)
		args = append(args, serviceID)
		for _, t := range batch {
			args = append(args, t.Object.Type, t.Object.ID, t.Relation, t.User.Type, t.User.ID, t.User.Relation)
		}
		rows, err := c.query(ctx, `DELETE FROM tuples WHERE service_id = ?
			AND (`+tupleColumns+`) IN (VALUES `+placeholders(len(batch), 6)+`)
			RETURNING `+tupleColumns, args...)
		if err != nil {
			return nil, fmt.Errorf("delete tuples: %w", err)
		}
		if err := collectTuples(rows, done); err != nil {
			return nil, fmt.Errorf("delete tuples: %w", err)
		}
	}
	return done, nil
}

// insertTuples inserts ts into the service, skipping those that exist, and
// returns those it inserted.
func insertTuples(ctx context.Context, c conn, serviceID string, ts []tuple.Tuple, at time.Time) (map[tuple.Tuple]bool, error) {
	done := make(map[tuple.Tuple]bool, len(ts))
	for start := 0; start < len(ts); start += batchSize {
		batch := ts[start:min(start+batchSize, len(ts))]
		args := make([]any, 0, len(batch)*8)
		for _, t := range batch {
			args = append(args, serviceID, t.Object.Type, t.Object.ID, t.Relation, t.User.Type, t.User.ID, t.User.Relation, at)
		}
		rows, err := c.query(ctx, `INSERT INTO tuples (service_id, `+tupleColumns+`, created_at)
			VALUES `+placeholders(len(batch), 8)+`
			ON CONFLICT DO NOTHING RETURNING `+tupleColumns, args...)
		if err != nil {
			return nil, fmt.Errorf("insert tuples: %w", err)
		}
		if err := collectTuples(rows, done); err != nil {
			return nil, fmt.Errorf("insert tuples: %w", err)
		}
	}
	return done, nil
}

// collectTuples adds every tuple of rows (tupleColumns) to set.
func collectTuples(rows Rows, set map[tuple.Tuple]bool) error {
	return scanAll(rows, func(r Rows) error {
		t, err := scanTuple(r)
		set[t] = true
		return err
	})
}

// scanTuple scans the tupleColumns of one row.
func scanTuple(r Row, extra ...any) (tuple.Tuple, error) {
	var t tuple.Tuple
	dest := append([]any{&t.Object.Type, &t.Object.ID, &t.Relation, &t.User.Type, &t.User.ID, &t.User.Relation}, extra...)
	err := r.Scan(dest...)
	return t, err
}
