package engine

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/storage"
)

// TestReadTransactionOpensInnerLazily: a read transaction opens the inner
// store's transaction only when something outside the index is read (a
// check never does), then reads it as before; closing it releases both.
func TestReadTransactionOpensInnerLazily(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEngine(t, testModel)
	write(t, e, [3]string{"doc:1", "viewer", "user:anne"})
	if err := storage.WriteOne(ctx, e.store, storage.AddOp, storage.Path{"other"}, map[string]any{"x": "y"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		read      storage.Path
		want      any
		wantInner bool
	}{
		{"index", storage.Path{"sentinel", "t", "svc", "doc", "1", "viewer", "user", "anne"}, true, false},
		{"index miss", storage.Path{"sentinel", "t", "svc", "doc", "2"}, nil, false},
		{"outside", storage.Path{"other", "x"}, "y", true},
		{"outside miss", storage.Path{"other", "z"}, nil, true},
	} {
		for _, end := range []string{"abort", "commit"} {
			tx, err := e.store.NewTransaction(ctx)
			if err != nil {
				t.Fatal(err)
			}
			v, err := e.store.Read(ctx, tx, tc.read)
			if tc.want == nil && !storage.IsNotFound(err) || tc.want != nil && (err != nil || v != tc.want) {
				t.Errorf("%s: read %v = %v, %v; want %v", tc.name, tc.read, v, err, tc.want)
			}
			if got := tx.(*txn).inner != nil; got != tc.wantInner {
				t.Errorf("%s: inner transaction opened: %v, want %v", tc.name, got, tc.wantInner)
			}
			if end == "abort" {
				e.store.Abort(ctx, tx)
			} else if err := e.store.Commit(ctx, tx); err != nil {
				t.Fatalf("%s: commit: %v", tc.name, err)
			}
			// Both read locks are released: the index's write lock is
			// free, and so is the inner store's (a write commits).
			if !e.store.mu.TryLock() {
				t.Fatalf("%s (%s): the index's read lock is still held", tc.name, end)
			}
			e.store.mu.Unlock()
			if err := storage.WriteOne(ctx, e.store, storage.ReplaceOp, storage.Path{"other", "x"}, "y"); err != nil {
				t.Fatalf("%s (%s): write after the transaction: %v", tc.name, end, err)
			}
		}
	}

	// Ids are unique, numbered when asked.
	a, _ := e.store.NewTransaction(ctx)
	b, _ := e.store.NewTransaction(ctx)
	defer e.store.Abort(ctx, a)
	defer e.store.Abort(ctx, b)
	if a.ID() == 0 || a.ID() == b.ID() || a.ID() != a.ID() {
		t.Fatalf("transaction ids %d and %d: want two distinct, stable, non-zero ids", a.ID(), b.ID())
	}
}
