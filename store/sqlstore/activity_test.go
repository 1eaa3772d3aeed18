package sqlstore_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/sqlstore"
	"github.com/sentinel-auth/sentinel/tuple"
)

// TestActivityInTransaction checks that an entry appended by
// (*writer).appendActivity commits and rolls back with the write it
// belongs to, and that a refused entry fails that write.
func TestActivityInTransaction(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite":   func(t *testing.T) *sqlstore.Store { return testenv.SQLiteStore(t).Store },
		"postgres": func(t *testing.T) *sqlstore.Store { return testenv.PostgresStore(t).Store },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ctx := t.Context()
			member, err := tuple.Parse(tuple.Key{Object: "group:g1", Relation: "member", User: "user:u1"})
			if err != nil {
				t.Fatal(err)
			}
			entry := store.ActivityEntry{Action: "group.member_added", ActorType: store.ActorUser, ActorID: "u0",
				TargetType: "group", TargetID: "g1", WorkspaceID: "w1", Detail: []byte(`{"user_id":"u1"}`)}
			bad := entry
			bad.Detail = []byte(`[]`)

			// state returns the system tuples, the activity log and the
			// changelog head.
			state := func() ([]tuple.Tuple, []store.ActivityEntry, uint64) {
				t.Helper()
				ts, _, err := s.ReadTuples(ctx, store.SystemServiceID, store.TupleFilter{}, "", 100)
				if err != nil {
					t.Fatal(err)
				}
				es, _, err := s.ListActivity(ctx, store.ActivityFilter{}, 1, 100)
				if err != nil {
					t.Fatal(err)
				}
				rev, err := s.HeadRevision(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return ts, es, rev
			}
			ts0, es0, rev0 := state()

			// The write fails after appending: nothing of it remains.
			boom := errors.New("boom")
			if _, err := sqlstore.WriteWithActivity(ctx, s, []tuple.Tuple{member}, []store.ActivityEntry{entry}, boom); !errors.Is(err, boom) {
				t.Fatalf("failing write: %v", err)
			}
			// A refused entry fails the write it belongs to.
			if _, err := sqlstore.WriteWithActivity(ctx, s, []tuple.Tuple{member}, []store.ActivityEntry{entry, bad}, nil); !errors.Is(err, store.ErrInvalidActivity) {
				t.Fatalf("write with a bad entry: %v, want ErrInvalidActivity", err)
			}
			if ts, es, rev := state(); !reflect.DeepEqual(ts, ts0) || !reflect.DeepEqual(es, es0) || rev != rev0 {
				t.Fatalf("after failed writes: tuples %v, entries %v, head %d; want %v, %v, %d", ts, es, rev, ts0, es0, rev0)
			}

			// A successful write commits its tuple, changelog row and entry together.
			got, err := sqlstore.WriteWithActivity(ctx, s, []tuple.Tuple{member}, []store.ActivityEntry{entry}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ts, es, _ := state()
			changes, err := s.Changes(ctx, "", rev0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != len(ts0)+1 || len(changes) != 1 || changes[0].Tuple != member {
				t.Fatalf("after the write: %d tuples, changes %+v; want %d tuples and one change writing %v",
					len(ts), changes, len(ts0)+1, member)
			}
			if len(es) != len(es0)+1 || !reflect.DeepEqual(es[0], got[0]) {
				t.Fatalf("after the write: entries %+v, want %+v first", es, got[0])
			}
		})
	}
}
