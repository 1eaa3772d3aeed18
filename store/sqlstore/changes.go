package sqlstore

import (
	"context"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// changeWidth is the number of columns appendChanges inserts per row.
const changeWidth = 11

const changeColumns = "revision, service_id, op, object_type, object_id, relation, user_type, user_id, user_relation, model_id, user_ref, created_at"

// appendChanges appends cs (Revision ignored) to the changelog with as few
// statements as possible and returns the revision of the last one. It must
// run inside the write transaction w, which holds the writers' lock.
func (w *writer) appendChanges(ctx context.Context, cs []store.Change) (uint64, error) {
	var last uint64
	for start := 0; start < len(cs); start += batchSize {
		batch := cs[start:min(start+batchSize, len(cs))]
		args := make([]any, 0, len(batch)*changeWidth)
		for _, c := range batch {
			args = append(args, c.ServiceID, string(c.Op),
				c.Tuple.Object.Type, c.Tuple.Object.ID, c.Tuple.Relation,
				c.Tuple.User.Type, c.Tuple.User.ID, c.Tuple.User.Relation,
				c.ModelID, c.UserID, c.At)
		}
		rows, err := w.c.query(ctx, `INSERT INTO changelog
			(service_id, op, object_type, object_id, relation, user_type, user_id, user_relation, model_id, user_ref, created_at)
			VALUES `+placeholders(len(batch), changeWidth)+` RETURNING revision`, args...)
		if err != nil {
			return 0, fmt.Errorf("append changelog: %w", err)
		}
		// The order of RETURNING rows is not guaranteed: take the maximum.
		err = scanAll(rows, func(r Rows) error {
			var rev int64
			if err := r.Scan(&rev); err != nil {
				return err
			}
			last = max(last, uint64(rev))
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("append changelog: %w", err)
		}
	}
	if len(cs) > 0 && !w.notified && w.d.Notify != nil {
		if err := w.d.Notify(ctx, w.tx); err != nil {
			return 0, fmt.Errorf("notify: %w", err)
		}
		w.notified = true
	}
	return last, nil
}

// headRevision returns the newest committed revision seen by c (0 if none).
func headRevision(ctx context.Context, c conn) (uint64, error) {
	var rev int64
	if err := c.queryRow(ctx, `SELECT COALESCE(MAX(revision), 0) FROM changelog`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read head revision: %w", err)
	}
	return uint64(rev), nil
}

// HeadRevision is the newest committed revision (0 for an empty log).
func (s *Store) HeadRevision(ctx context.Context) (uint64, error) {
	return headRevision(ctx, s.c)
}

// Changes returns up to limit changelog rows with revision > after, in
// revision order. serviceID "" means every op of every service; otherwise
// the OpWrite, OpDelete and OpModel rows of that service. limit <= 0 means
// 1000.
func (s *Store) Changes(ctx context.Context, serviceID string, after uint64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	q := `SELECT ` + changeColumns + ` FROM changelog WHERE revision > ?`
	args := []any{int64(after)}
	if serviceID != "" {
		q += ` AND service_id = ? AND op IN (?, ?, ?)`
		args = append(args, serviceID, string(store.OpWrite), string(store.OpDelete), string(store.OpModel))
	}
	q += ` ORDER BY revision LIMIT ?`
	args = append(args, limit)
	rows, err := s.c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("changes of service %q after %d: %w", serviceID, after, err)
	}
	var out []store.Change
	err = scanAll(rows, func(r Rows) error {
		c, err := scanChange(r)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("changes of service %q after %d: %w", serviceID, after, err)
	}
	return out, nil
}

// scanChange scans one row of changeColumns.
func scanChange(r Rows) (store.Change, error) {
	var (
		c   store.Change
		rev int64
		op  string
	)
	err := r.Scan(&rev, &c.ServiceID, &op,
		&c.Tuple.Object.Type, &c.Tuple.Object.ID, &c.Tuple.Relation,
		&c.Tuple.User.Type, &c.Tuple.User.ID, &c.Tuple.User.Relation,
		&c.ModelID, &c.UserID, &c.At)
	c.Revision, c.Op, c.At = uint64(rev), store.Op(op), c.At.UTC()
	return c, err
}

// LoadSnapshot reads, in one read-only snapshot transaction, the head
// revision, every service's current model, and every tuple (streamed to fn
// ordered by service and then insertion; never held in memory). An error
// from fn stops the load and is returned.
func (s *Store) LoadSnapshot(ctx context.Context, fn func(serviceID string, t tuple.Tuple) error) (store.Snapshot, error) {
	var snap store.Snapshot
	err := s.readTx(ctx, func(c conn) error {
		rev, err := headRevision(ctx, c)
		if err != nil {
			return err
		}
		snap.Revision = rev
		if snap.Models, err = currentModels(ctx, c); err != nil {
			return err
		}
		rows, err := c.query(ctx, `SELECT service_id, `+tupleColumns+` FROM tuples ORDER BY service_id, id`)
		if err != nil {
			return fmt.Errorf("read tuples: %w", err)
		}
		return scanAll(rows, func(r Rows) error {
			var sid string
			var t tuple.Tuple
			if err := r.Scan(&sid, &t.Object.Type, &t.Object.ID, &t.Relation,
				&t.User.Type, &t.User.ID, &t.User.Relation); err != nil {
				return fmt.Errorf("read tuples: %w", err)
			}
			return fn(sid, t)
		})
	})
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("load snapshot: %w", err)
	}
	return snap, nil
}

// scanAll calls fn for every row, then closes rows and returns the first
// error of fn or of the iteration.
func scanAll(rows Rows, fn func(Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
