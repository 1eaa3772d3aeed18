package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// testConcurrentWriters checks that revisions are unique and committed in
// order under concurrent writers: a tailer that reads "revision > last"
// while they run must end up with every change, with no duplicates.
func testConcurrentWriters(t *testing.T, s store.Store) {
	const writers, writes = 8, 20
	ctx := t.Context()
	svcs := []store.Service{newService(t, s, "a"), newService(t, s, "b")}
	for _, svc := range svcs {
		newModel(t, s, svc.ID)
	}
	start := head(t, s)

	// The tailer polls concurrently with the writers.
	done := make(chan struct{})
	tailed := make(chan []store.Change, 1)
	tailErr := make(chan error, 1)
	go func() {
		var seen []store.Change
		last := start
		for {
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			cs, err := s.Changes(ctx, "", last, 7)
			if err != nil {
				tailErr <- err
				return
			}
			seen = append(seen, cs...)
			if len(cs) > 0 {
				last = cs[len(cs)-1].Revision
			}
			if len(cs) == 0 {
				if finished {
					tailed <- seen
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
	}()

	var wg sync.WaitGroup
	revs := make([][]uint64, writers)
	errs := make([]error, writers)
	for g := range writers {
		wg.Go(func() {
			for i := range writes {
				x := tup(fmt.Sprintf("doc:g%d_%d#viewer@user:u%d", g, i, i))
				rev, err := s.WriteTuples(ctx, svcs[g%2].ID, store.TupleWrite{Writes: []tuple.Tuple{x}})
				if err != nil {
					errs[g] = err
					return
				}
				revs[g] = append(revs[g], rev)
			}
		})
	}
	wg.Wait()
	close(done)
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent WriteTuples: %v", err)
	}

	returned := map[uint64]bool{}
	for _, rs := range revs {
		for _, r := range rs {
			if returned[r] {
				t.Fatalf("revision %d returned twice", r)
			}
			returned[r] = true
		}
	}
	check := func(what string, cs []store.Change) {
		t.Helper()
		if len(cs) != writers*writes {
			t.Fatalf("%s: %d changes, want %d", what, len(cs), writers*writes)
		}
		for i, c := range cs {
			if i > 0 && c.Revision <= cs[i-1].Revision {
				t.Fatalf("%s: revision %d after %d", what, c.Revision, cs[i-1].Revision)
			}
			if !returned[c.Revision] || c.Op != store.OpWrite {
				t.Fatalf("%s: unexpected change %+v", what, c)
			}
		}
	}
	check("Changes", allChanges(t, s, "", start))
	select {
	case seen := <-tailed:
		check("tailer", seen)
	case err := <-tailErr:
		t.Fatalf("tailer: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("tailer did not finish")
	}
}

// testTenantIsolation checks that nothing of service A is visible or
// writable through service B.
func testTenantIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newService(t, s, "a"), newService(t, s, "b")
	ma := newModel(t, s, a.ID)
	newModel(t, s, b.ID)
	ka, err := s.CreateKey(ctx, a.ID, "ha", "sk_a", nil)
	if err != nil {
		t.Fatal(err)
	}
	shared := tup("doc:1#viewer@user:anne")
	onlyA := tup("doc:2#viewer@user:anne")
	mustWrite(t, s, a.ID, shared, onlyA)
	mustWrite(t, s, b.ID, shared) // same tuple, other service: no conflict
	bStart := allChanges(t, s, b.ID, 0)

	equalStrings(t, "B's tuples", strs(allTuples(t, s, b.ID, store.TupleFilter{})), []string{shared.String()})
	byUser := allTuples(t, s, b.ID, store.TupleFilter{User: tuple.User{Type: "user", ID: "anne"}})
	equalStrings(t, "B's tuples by user", strs(byUser), []string{shared.String()})

	_, err = s.WriteTuples(ctx, b.ID, store.TupleWrite{Deletes: []tuple.Tuple{onlyA}})
	wantErrIs(t, "B deleting A's tuple", err, store.ErrConflict)
	_, err = s.WriteTuples(ctx, b.ID, store.TupleWrite{ModelID: ma.ID, Writes: []tuple.Tuple{onlyA}})
	wantErrIs(t, "B writing with A's model", err, store.ErrModelChanged)
	_, err = s.ModelByID(ctx, b.ID, ma.ID)
	wantErrIs(t, "B reading A's model", err, store.ErrNotFound)
	wantErrIs(t, "B revoking A's key", s.RevokeKey(ctx, b.ID, ka.ID), store.ErrNotFound)

	for _, c := range allChanges(t, s, b.ID, 0) {
		if c.ServiceID != b.ID {
			t.Fatalf("B sees a change of another service: %+v", c)
		}
	}
	if got := allChanges(t, s, b.ID, 0); len(got) != len(bStart) {
		t.Fatalf("B's changelog changed: %v, was %v", changeStrings(got), changeStrings(bStart))
	}
	equalStrings(t, "A's tuples", strs(allTuples(t, s, a.ID, store.TupleFilter{})), []string{shared.String(), onlyA.String()})
}
