package sqlstore

import (
	"context"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// WriteWithActivity is what a store write that logs its activity does: in
// one write transaction it writes system tuples, then appends each entry
// with (*writer).appendActivity, then fails with failWith if it is not nil.
func WriteWithActivity(ctx context.Context, s *Store, writes []tuple.Tuple, entries []store.ActivityEntry, failWith error) ([]store.ActivityEntry, error) {
	var out []store.ActivityEntry
	err := s.writeTx(ctx, func(w *writer) error {
		if err := w.systemTuples(ctx, writes, nil, time.Now().UTC()); err != nil {
			return err
		}
		for _, e := range entries {
			got, err := w.appendActivity(ctx, e)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return failWith
	})
	return out, err
}
