package datasync

import (
	"context"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// TestDeletedServiceIsSkipped: a replica that had not applied a service's
// model when the service was deleted catches up past it (the model is gone
// from the store) and drops the service's tuples.
func TestDeletedServiceIsSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	keep, keepModel := service(t, st, "keep")
	s, eng := start(t, st, Options{PollInterval: time.Hour}) // only WaitFor wakes it

	gone, goneModel := service(t, st, "gone") // after the snapshot: in the log only
	if _, err := st.WriteTuples(ctx, gone, store.TupleWrite{ModelID: goneModel, Writes: []tuple.Tuple{tp(t, "doc:1", "user:anne")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeleteService(ctx, gone); err != nil {
		t.Fatal(err)
	}
	rev, err := st.WriteTuples(ctx, keep, store.TupleWrite{ModelID: keepModel, Writes: []tuple.Tuple{tp(t, "doc:2", "user:bob")}})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.WaitFor(wctx, rev); err != nil {
		t.Fatalf("catch-up stuck on the deleted service's model: %v", err)
	}
	if eng.Model(gone) != nil {
		t.Fatal("the deleted service's model was loaded")
	}
	if !allowed(t, eng, keep, tp(t, "doc:2", "user:bob")) {
		t.Fatal("the change after the deletion was not applied")
	}
	if errs := s.ModelErrors(); len(errs) != 0 {
		t.Fatalf("model errors %v", errs)
	}
}

// TestDeletedServiceModelDropped: a replica that had loaded a service's
// model forgets it once the service is deleted, and other services keep
// theirs.
func TestDeletedServiceModelDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	keep, _ := service(t, st, "keep")
	gone, goneModel := service(t, st, "gone")
	s, eng := start(t, st, Options{PollInterval: time.Hour})
	rev, err := st.WriteTuples(ctx, gone, store.TupleWrite{ModelID: goneModel, Writes: []tuple.Tuple{tp(t, "doc:1", "user:anne")}})
	if err != nil {
		t.Fatal(err)
	}
	wait := func(rev uint64) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.WaitFor(wctx, rev); err != nil {
			t.Fatal(err)
		}
	}
	wait(rev)
	if eng.Model(gone) == nil || !allowed(t, eng, gone, tp(t, "doc:1", "user:anne")) {
		t.Fatal("the service's model and tuple were not loaded before the deletion")
	}
	if _, err := st.DeleteService(ctx, gone); err != nil {
		t.Fatal(err)
	}
	head, err := st.HeadRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wait(head)
	if eng.Model(gone) != nil {
		t.Fatal("the deleted service's compiled model is still held")
	}
	if eng.Model(keep) == nil {
		t.Fatal("another service's model was dropped")
	}
}
