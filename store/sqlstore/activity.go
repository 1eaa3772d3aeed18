package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

const activityColumns = "id, action, actor_type, actor_id, actor_label, target_type, target_id, workspace_id, detail, created_at"

// AppendActivity validates e and stores it on its own (it appends no
// changelog row, so it needs neither a write transaction nor the writers'
// lock). It is for entries that record no single write (an import's
// summary); a mutation's entry is attached to its context instead
// (store.WithActivity) and appended by writeTx inside its transaction.
func (s *Store) AppendActivity(ctx context.Context, e store.ActivityEntry) (store.ActivityEntry, error) {
	e, err := insertActivity(ctx, s.c, e)
	if err != nil {
		return store.ActivityEntry{}, fmt.Errorf("append activity %q: %w", e.Action, err)
	}
	return e, nil
}

// appendActivity records e inside the write transaction w: the entry
// commits with the change it describes, or neither does. A refused entry
// is an error the caller returns, failing the whole transaction: the log
// is never best effort. It returns the entry as stored.
func (w *writer) appendActivity(ctx context.Context, e store.ActivityEntry) (store.ActivityEntry, error) {
	e, err := insertActivity(ctx, w.c, e)
	if err != nil {
		return store.ActivityEntry{}, fmt.Errorf("append activity %q: %w", e.Action, err)
	}
	return e, nil
}

// recordActivity appends the entries of act (nil: none attached), built
// from what the write produced, and reports whether it appended any: only
// then is act recorded once the transaction commits, so a write of several
// that yields no entries leaves them to the next.
func (w *writer) recordActivity(ctx context.Context, act *store.Activity) (bool, error) {
	if act == nil {
		return false, nil
	}
	entries, err := act.Entries(w.produced)
	if err != nil {
		return false, fmt.Errorf("record activity: %w", err)
	}
	for _, e := range entries {
		if _, err := w.appendActivity(ctx, e); err != nil {
			return false, fmt.Errorf("record activity: %w", err)
		}
	}
	return len(entries) > 0, nil
}

// insertActivity normalizes and validates e, then inserts it through c.
func insertActivity(ctx context.Context, c conn, e store.ActivityEntry) (store.ActivityEntry, error) {
	e, err := normActivity(e)
	if err != nil {
		return e, err
	}
	_, err = c.exec(ctx, `INSERT INTO activity_logs (`+activityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Action, string(e.ActorType), e.ActorID, e.ActorLabel, e.TargetType, e.TargetID, e.WorkspaceID,
		string(e.Detail), e.CreatedAt)
	if err != nil {
		return e, fmt.Errorf("insert: %w", err)
	}
	return e, nil
}

// normActivity fills e's defaults (id, time, detail) and checks it.
func normActivity(e store.ActivityEntry) (store.ActivityEntry, error) {
	bad := func(format string, args ...any) (store.ActivityEntry, error) {
		return e, fmt.Errorf("%w: "+format, append([]any{store.ErrInvalidActivity}, args...)...)
	}
	if strings.TrimSpace(e.Action) == "" {
		return bad("action is required")
	}
	switch {
	case !e.ActorType.Valid():
		return bad("actor type %q is not user, service or admin", e.ActorType)
	case e.ActorType == store.ActorUser && e.ActorID == "":
		return bad("a user actor needs the user's id")
	case e.ActorType != store.ActorUser && e.ActorID != "":
		return bad("a %s actor has no actor id (got %q); name it in the label", e.ActorType, e.ActorID)
	}
	if e.ID == "" {
		e.ID = uuid.NewString()
	} else if _, err := uuid.Parse(e.ID); err != nil {
		return bad("id %q is not a UUID", e.ID)
	}
	if len(e.Detail) == 0 {
		e.Detail = []byte("{}")
	} else {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(e.Detail, &obj); err != nil || obj == nil {
			return bad("detail is not a JSON object")
		}
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now()
	} else {
		e.CreatedAt = normTime(e.CreatedAt)
	}
	return e, nil
}

// ListActivity returns one page of the entries matching f, newest first
// (created_at, then id, descending), and how many entries match f, both
// read in one snapshot.
func (s *Store) ListActivity(ctx context.Context, f store.ActivityFilter, page, pageSize int) ([]store.ActivityEntry, int, error) {
	if page < 1 || pageSize < 1 || pageSize > store.MaxActivityPageSize {
		return nil, 0, fmt.Errorf("list activity: %w: page %d must be >= 1 and page size %d within 1..%d",
			store.ErrInvalidActivity, page, pageSize, store.MaxActivityPageSize)
	}
	if page-1 > math.MaxInt64/pageSize {
		return nil, 0, fmt.Errorf("list activity: %w: page %d is too large", store.ErrInvalidActivity, page)
	}
	where, args := activityWhere(f)
	var (
		items []store.ActivityEntry
		total int
	)
	err := s.readTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM activity_logs`+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		offset := int64(page-1) * int64(pageSize)
		if total == 0 || offset >= int64(total) {
			return nil
		}
		rows, err := c.query(ctx, `SELECT `+activityColumns+` FROM activity_logs`+where+`
			ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, pageSize, offset)...)
		if err != nil {
			return err
		}
		return scanAll(rows, func(r Rows) error {
			e, err := scanActivity(r)
			items = append(items, e)
			return err
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list activity: %w", err)
	}
	return items, total, nil
}

// activityWhere returns the WHERE clause (with a leading space, or "") and
// its arguments for f. Column names are constants of this function.
func activityWhere(f store.ActivityFilter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	eq := func(column, v string) {
		if v != "" {
			conds = append(conds, column+" = ?")
			args = append(args, v)
		}
	}
	eq("action", f.Action)
	eq("target_type", f.TargetType)
	eq("workspace_id", f.WorkspaceID)
	eq("actor_id", f.ActorID)
	if !f.From.IsZero() {
		conds = append(conds, "created_at >= ?")
		args = append(args, normTime(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "created_at <= ?")
		args = append(args, normTime(f.To))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// scanActivity scans one row of activityColumns.
func scanActivity(r Row) (store.ActivityEntry, error) {
	var (
		e             store.ActivityEntry
		actor, detail string
	)
	if err := r.Scan(&e.ID, &e.Action, &actor, &e.ActorID, &e.ActorLabel, &e.TargetType, &e.TargetID,
		&e.WorkspaceID, &detail, &e.CreatedAt); err != nil {
		return store.ActivityEntry{}, err
	}
	e.ActorType, e.Detail, e.CreatedAt = store.ActorType(actor), []byte(detail), e.CreatedAt.UTC()
	return e, nil
}
