package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// indexStore is the OPA store the engine evaluates against. It serves
// data.sentinel (the tuple index) from the engine's own nested maps and
// delegates every other path, and policies, to an inmem store.
//
// Why not inmem alone: an inmem write transaction keeps its pending writes in
// a list that every further write scans, so a batch of n changelog rows costs
// O(n²) (measured: 1000 rows per transaction applied at ~9k rows/s, 10 at
// ~190k rows/s). Here a batch is installed as plain map assignments under
// the write lock, O(1) per row, and a batch still becomes visible atomically.
//
// Consistency follows inmem's model: a transaction holds the read lock from
// NewTransaction to Commit/Abort, so one evaluation sees one state; Apply
// computes a batch beside the index while evaluations go on (write), then
// takes the write lock, which waits for evaluations in flight, to install it.
type indexStore struct {
	inner storage.Store
	xid   atomic.Uint64 // the last transaction id handed out (txn.ID)

	mu   sync.RWMutex
	data *tuples

	// writer serializes the writers (apply, replace, write): while one
	// holds it, only it changes data, so write can compute a change
	// without the write lock.
	writer sync.Mutex
}

func newIndexStore() *indexStore {
	return &indexStore{
		inner: inmem.NewFromObjectWithOpts(map[string]any{}, inmem.OptRoundTripOnWrite(false)),
		data:  newTuples(),
	}
}

// txn is a transaction of the store: it owns one hold of the index's read
// lock, and the inner store's transaction once something outside the index
// is read (innerTxn). It may carry an overlay: tuples visible to this
// evaluation only (contextual tuples), in the index's shape.
//
// Like inmem's, a transaction is used by one goroutine at a time.
type txn struct {
	id      uint64                     // 0 until ID is asked
	params  *storage.TransactionParams // as given to NewTransaction, if they were
	inner   storage.Transaction        // nil until needed, for a read transaction
	once    sync.Once
	s       *indexStore
	overlay fwdIndex
	eff     *effOverlay // contextual grants on flattened chains
}

// ID returns the transaction's id, unique in the store. It is numbered on
// first use (OPA asks only to log it), so a check does not write the
// store's shared counter.
func (t *txn) ID() uint64 {
	if t.id == 0 {
		t.id = t.s.xid.Add(1)
	}
	return t.id
}

func (t *txn) release() { t.once.Do(t.s.mu.RUnlock) }

// innerTxn returns the inner store's transaction of t, opening it on first
// use if t is a read transaction. A check reads nothing but the index, so
// it never opens one: opening it took two allocations and a hold of the
// inner store's read lock per check (a shared counter both cores write).
// Opened after the index's read lock, it sees the inner store as it is
// then, for the rest of the transaction; the two stores hold separate
// data, so a read sees each in one state, as before.
func (s *indexStore) innerTxn(ctx context.Context, t storage.Transaction) (storage.Transaction, error) {
	w, ok := t.(*txn)
	if !ok {
		return t, nil // a trigger callback's inner transaction
	}
	if w.inner == nil {
		var params []storage.TransactionParams
		if w.params != nil {
			params = []storage.TransactionParams{*w.params}
		}
		inner, err := s.inner.NewTransaction(ctx, params...)
		if err != nil {
			return nil, fmt.Errorf("open the inner store's transaction: %w", err)
		}
		w.inner = inner
	}
	return w.inner, nil
}

// NewTransaction opens a transaction. A write transaction takes the inner
// store's write lock first, as before; a read transaction opens the inner
// store's only if it reads outside the index (innerTxn).
func (s *indexStore) NewTransaction(ctx context.Context, params ...storage.TransactionParams) (storage.Transaction, error) {
	t := &txn{s: s}
	if len(params) > 0 {
		p := params[0]
		t.params = &p
	}
	if t.params != nil && t.params.Write {
		inner, err := s.inner.NewTransaction(ctx, *t.params)
		if err != nil {
			return nil, err
		}
		t.inner = inner
	}
	s.rlock()
	return t, nil
}

func (s *indexStore) Commit(ctx context.Context, t storage.Transaction) error {
	w, ok := t.(*txn)
	if !ok {
		return s.inner.Commit(ctx, t)
	}
	defer w.release()
	if w.inner == nil {
		return nil // nothing was read or written outside the index
	}
	return s.inner.Commit(ctx, w.inner)
}

func (s *indexStore) Abort(ctx context.Context, t storage.Transaction) {
	w, ok := t.(*txn)
	if !ok {
		s.inner.Abort(ctx, t)
		return
	}
	defer w.release()
	if w.inner != nil {
		s.inner.Abort(ctx, w.inner)
	}
}

// Read serves paths under indexPath from the index (readIndex), and
// splices the index into reads of its ancestors.
func (s *indexStore) Read(ctx context.Context, t storage.Transaction, path storage.Path) (any, error) {
	if path.HasPrefix(indexPath) {
		return s.readIndex(t, path[len(indexPath):])
	}
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return nil, err
	}
	v, err := s.inner.Read(ctx, inner, path)
	if err != nil || len(path) > 0 {
		return v, err
	}
	// A read of the whole of data: add the index beside the rest.
	root, _ := v.(map[string]any)
	cp := make(map[string]any, len(root)+1)
	for k, x := range root {
		cp[k] = x
	}
	cp[indexPath[0]] = s.data.withEff()
	return cp, nil
}

// readIndex serves a read of sub, a path below indexPath, from the index
// (the caller's transaction holds the read lock), merged with the
// transaction's overlay. It keeps no reference to sub, so a caller's path
// can stay on its stack (Read's goes through an interface, which makes
// Go allocate every path passed to it: readVia's reads did, two per check).
func (s *indexStore) readIndex(t storage.Transaction, sub storage.Path) (any, error) {
	if len(sub) > 0 && sub[0] == viaRoot {
		return s.readVia(t, sub)
	}
	if len(sub) > 0 && isEffRoot(sub[0]) {
		v, err := s.data.eff.read(sub)
		if err == nil && sub[0] == "h" && s.data.anyCycle(sub[1]) {
			v = hCycle
		}
		if w, ok := t.(*txn); ok && w.eff != nil {
			return w.eff.read(sub, v, err)
		}
		return v, err
	}
	v, err := s.data.readIndex(sub)
	if w, ok := t.(*txn); ok && w.overlay != nil {
		if ov, oerr := w.overlay.readOverlay(sub); oerr == nil {
			if err != nil {
				return ov, nil
			}
			return merge(v, ov), nil
		}
	}
	return v, err
}

// withEff returns the whole index as OPA sees it: the tuples and the
// flattened chains, built (see fwdIndex.materialize and
// effIndex.materialize), beside the closures' maps.
func (ts *tuples) withEff() map[string]any {
	out := make(map[string]any, len(ts.closures)+5)
	for k, v := range ts.closures {
		out[k] = v
	}
	for _, root := range []string{"t", "s"} {
		out[root], _ = ts.fwd.materialize(storage.Path{root}, ts.strs)
	}
	for _, root := range []string{"e", "f", "h"} {
		v, _ := ts.eff.materialize(storage.Path{root})
		out[root] = v
	}
	return out
}

// merge returns base with overlay's keys added, copying only the maps on
// the way (the index itself is never modified).
func merge(base, overlay any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := overlay.(map[string]any)
	if !ok1 || !ok2 {
		return overlay
	}
	out := make(map[string]any, len(bm)+len(om))
	for k, v := range bm {
		out[k] = v
	}
	for k, v := range om {
		if cur, ok := out[k]; ok {
			out[k] = merge(cur, v)
		} else {
			out[k] = v
		}
	}
	return out
}

// lookup walks nested maps like inmem does.
func lookup(v any, path storage.Path) (any, error) {
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, notFound(path)
		}
		if v, ok = m[key]; !ok {
			return nil, notFound(path)
		}
	}
	return v, nil
}

// notFound is the error of a read of a missing path. It is one shared value
// without the path: most lookups of a check miss (a denial is nothing but
// misses), OPA only tests the code, and formatting the path allocated a
// dozen times per check.
func notFound(storage.Path) error { return errNotFound }

var errNotFound = &storage.Error{Code: storage.NotFoundErr, Message: "document does not exist"}

func (s *indexStore) Write(ctx context.Context, t storage.Transaction, op storage.PatchOp, path storage.Path, value any) error {
	if path.HasPrefix(indexPath) || indexPath.HasPrefix(path) {
		return fmt.Errorf("%v is maintained by datasync and cannot be written through OPA", indexPath)
	}
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return err
	}
	return s.inner.Write(ctx, inner, op, path, value)
}

func (s *indexStore) Truncate(ctx context.Context, t storage.Transaction, params storage.TransactionParams, it storage.Iterator) error {
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return err
	}
	return s.inner.Truncate(ctx, inner, params, it)
}

func (s *indexStore) Register(ctx context.Context, t storage.Transaction, cfg storage.TriggerConfig) (storage.TriggerHandle, error) {
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.inner.Register(ctx, inner, cfg)
}

func (s *indexStore) ListPolicies(ctx context.Context, t storage.Transaction) ([]string, error) {
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.inner.ListPolicies(ctx, inner)
}

func (s *indexStore) GetPolicy(ctx context.Context, t storage.Transaction, id string) ([]byte, error) {
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.inner.GetPolicy(ctx, inner, id)
}

func (s *indexStore) UpsertPolicy(ctx context.Context, t storage.Transaction, id string, b []byte) error {
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return err
	}
	return s.inner.UpsertPolicy(ctx, inner, id, b)
}

func (s *indexStore) DeletePolicy(ctx context.Context, t storage.Transaction, id string) error {
	inner, err := s.innerTxn(ctx, t)
	if err != nil {
		return err
	}
	return s.inner.DeletePolicy(ctx, inner, id)
}

// replace swaps the whole tuple set and runs fn on it under the same lock.
func (s *indexStore) replace(ts *tuples, fn func(*tuples)) {
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = ts
	fn(ts)
}

// apply runs fn on the index under the write lock: evaluations see all of
// fn's changes or none.
func (s *indexStore) apply(fn func(ts *tuples)) {
	s.writer.Lock()
	defer s.writer.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.data)
}

// write changes the index in two steps: prepare reads it, without the
// write lock (evaluations go on; no other writer runs), and returns the
// install, which runs under the write lock: evaluations see all of the
// change or none.
func (s *indexStore) write(prepare func(ts *tuples) (install func())) {
	s.writer.Lock()
	defer s.writer.Unlock()
	install := prepare(s.data)
	s.lock()
	defer s.mu.Unlock()
	install()
}
