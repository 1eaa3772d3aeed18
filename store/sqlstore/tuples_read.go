package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// ReadTuples returns up to limit tuples of the service that match f, after
// cursor, ordered by insertion (tuples.id), and the cursor of the next page
// ("" when there is none). limit <= 0 means 100. A cursor this Store did not
// issue is store.ErrInvalidCursor.
//
// Filter: empty fields match anything; f.User with an empty ID matches by
// user type only; with an ID, the user relation must match exactly (a plain
// user does not match a userset of the same object).
func (s *Store) ReadTuples(ctx context.Context, serviceID string, f store.TupleFilter, cursor string, limit int) ([]tuple.Tuple, string, error) {
	if limit <= 0 {
		limit = 100
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", fmt.Errorf("read tuples of service %s: %w", serviceID, err)
	}
	where := []string{"service_id = ?", "id > ?"}
	args := []any{serviceID, after}
	add := func(col, v string) {
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	if f.ObjectType != "" {
		add("object_type", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id", f.ObjectID)
	}
	if f.Relation != "" {
		add("relation", f.Relation)
	}
	if f.User.Type != "" {
		add("user_type", f.User.Type)
	}
	if f.User.ID != "" {
		add("user_id", f.User.ID)
		add("user_relation", f.User.Relation)
	}
	// One row more than asked tells whether there is a next page.
	args = append(args, limit+1)
	rows, err := s.c.query(ctx, `SELECT `+tupleColumns+`, id FROM tuples WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("read tuples of service %s: %w", serviceID, err)
	}
	var (
		out  []tuple.Tuple
		last int64
		more bool
	)
	err = scanAll(rows, func(r Rows) error {
		if len(out) == limit {
			more = true
			return nil
		}
		t, err := scanTuple(r, &last)
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("read tuples of service %s: %w", serviceID, err)
	}
	if !more {
		return out, "", nil
	}
	return out, encodeCursor(last), nil
}

// encodeCursor returns the cursor that continues after tuple id.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString(binary.AppendUvarint(nil, uint64(id)))
}

// decodeCursor returns the tuple id a cursor continues after; "" is 0.
func decodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", store.ErrInvalidCursor, c)
	}
	id, n := binary.Uvarint(raw)
	if n <= 0 || n != len(raw) || id == 0 || id > 1<<63-1 {
		return 0, fmt.Errorf("%w: %q", store.ErrInvalidCursor, c)
	}
	return int64(id), nil
}
