package datasync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

const testModel = `{"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"doc","relations":{"viewer":{"this":{}}},"metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}]}`

func openStore(t testing.TB) store.Store { return testenv.SQLiteStore(t) }

func tp(t testing.TB, obj, user string) tuple.Tuple {
	t.Helper()
	x, err := tuple.Parse(tuple.Key{Object: obj, Relation: "viewer", User: user})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// service creates a service with a model and returns its id and model id.
func service(t testing.TB, st store.Store, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	svc, err := st.CreateService(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.WriteModel(ctx, svc.ID, "", testModel)
	if err != nil {
		t.Fatal(err)
	}
	return svc.ID, m.ID
}

func allowed(t testing.TB, eng *engine.Engine, svc string, x tuple.Tuple) bool {
	t.Helper()
	res, err := eng.Check(context.Background(), svc, engine.CheckRequest{Object: x.Object, Relation: x.Relation, User: x.User})
	ok := res.Allowed
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func start(t testing.TB, src Source, opts Options) (*Syncer, *engine.Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	eng, err := engine.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := New(src, eng, opts)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s, eng
}

func TestLoadThenTail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	svc, modelID := service(t, st, "a")
	if _, err := st.WriteTuples(ctx, svc, store.TupleWrite{ModelID: modelID, Writes: []tuple.Tuple{tp(t, "doc:1", "user:anne")}}); err != nil {
		t.Fatal(err)
	}
	s, eng := start(t, st, Options{PollInterval: time.Hour}) // only Poke and WaitFor wake it
	if !allowed(t, eng, svc, tp(t, "doc:1", "user:anne")) {
		t.Fatal("tuple from the snapshot not loaded")
	}
	if eng.Model(svc) == nil {
		t.Fatal("model from the snapshot not loaded")
	}
	rev, err := st.WriteTuples(ctx, svc, store.TupleWrite{ModelID: modelID,
		Writes:  []tuple.Tuple{tp(t, "doc:2", "user:bob")},
		Deletes: []tuple.Tuple{tp(t, "doc:1", "user:anne")}})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.WaitFor(wctx, rev); err != nil {
		t.Fatal(err)
	}
	if allowed(t, eng, svc, tp(t, "doc:1", "user:anne")) || !allowed(t, eng, svc, tp(t, "doc:2", "user:bob")) {
		t.Fatal("tailed changes not applied")
	}
	if s.Applied() != rev || s.AppliedRows() != 2 {
		t.Fatalf("applied %d (%d rows), want %d (2 rows)", s.Applied(), s.AppliedRows(), rev)
	}
}

// flaky fails every other Changes call.
type flaky struct {
	Source
	calls atomic.Int64
}

func (f *flaky) Changes(ctx context.Context, svc string, after uint64, limit int) ([]store.Change, error) {
	if f.calls.Add(1)%2 == 1 {
		return nil, errors.New("injected failure")
	}
	return f.Source.Changes(ctx, svc, after, limit)
}

// TestRetriesNeverSkipOrRepeat writes from several goroutines while the
// source fails intermittently and the batch size is tiny; every row must be
// applied exactly once, in order.
func TestRetriesNeverSkipOrRepeat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	svc, modelID := service(t, st, "a")
	src := &flaky{Source: st}
	s, eng := start(t, src, Options{PollInterval: 5 * time.Millisecond, BatchSize: 3})
	var wg sync.WaitGroup
	var last atomic.Uint64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				x := tp(t, fmt.Sprintf("doc:%d", i), fmt.Sprintf("user:g%d", g))
				w := store.TupleWrite{ModelID: modelID, Writes: []tuple.Tuple{x}}
				if i%3 == 2 {
					w = store.TupleWrite{Deletes: []tuple.Tuple{tp(t, fmt.Sprintf("doc:%d", i-1), fmt.Sprintf("user:g%d", g))}}
				}
				rev, err := st.WriteTuples(ctx, svc, w)
				if err != nil {
					t.Error(err)
					return
				}
				for {
					cur := last.Load()
					if rev <= cur || last.CompareAndSwap(cur, rev) {
						break
					}
				}
			}
		}(g)
	}
	wg.Wait()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.WaitFor(wctx, last.Load()); err != nil {
		t.Fatal(err)
	}
	if got := s.AppliedRows(); got != 60 {
		t.Fatalf("applied %d rows, want 60", got)
	}
	for g := 0; g < 4; g++ {
		for i := 0; i < 15; i++ {
			want := i%3 == 0 // i%3==1 was deleted by i+1, i%3==2 was a delete
			if got := allowed(t, eng, svc, tp(t, fmt.Sprintf("doc:%d", i), fmt.Sprintf("user:g%d", g))); got != want {
				t.Errorf("doc:%d@user:g%d = %v, want %v", i, g, got, want)
			}
		}
	}
	if src.calls.Load() < 2 {
		t.Fatal("the flaky source was never called twice")
	}
}

func TestKeyChangesAndModelErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	svc, _ := service(t, st, "a")
	changed := make(chan string, 4)
	s, _ := start(t, st, Options{PollInterval: 5 * time.Millisecond, OnKeyChange: func(id string) { changed <- id }})
	if _, err := st.CreateKey(ctx, svc, "ab12", "sk_ab12****", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-changed:
		if id != svc {
			t.Fatalf("OnKeyChange(%q), want %q", id, svc)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnKeyChange not called for a new key")
	}
	m, err := st.WriteModel(ctx, svc, "", `{"schema_version":"1.1","type_definitions":"not a list"}`)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.WaitFor(wctx, m.Revision); err != nil {
		t.Fatal(err)
	}
	if errs := s.ModelErrors(); errs[svc] == nil {
		t.Fatalf("an unloadable model must be reported, got %v", errs)
	}
}

func TestUserChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	svc, _ := service(t, st, "a")
	changed := make(chan string, 16)
	s, _ := start(t, st, Options{PollInterval: 5 * time.Millisecond, OnUserChange: func(id string) { changed <- id }})
	// caughtUp waits until the syncer applied the store's head; callbacks
	// run before a batch counts as applied, so they have all been made.
	caughtUp := func() {
		t.Helper()
		head, err := st.HeadRevision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.WaitFor(wctx, head); err != nil {
			t.Fatal(err)
		}
	}
	received := func() []string {
		var ids []string
		for len(changed) > 0 {
			ids = append(ids, <-changed)
		}
		return ids
	}

	u, _, err := st.ProvisionUser(ctx, store.IdentitySighting{Provider: "google", Subject: "g-1", Email: "anne@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp()
	if got := received(); len(got) != 1 || got[0] != u.ID {
		t.Fatalf("after a user was created: OnUserChange(%q), want once with %q", got, u.ID)
	}

	if err := st.SetUserActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	if got := received(); len(got) != 1 || got[0] != u.ID {
		t.Fatalf("after a deactivation: OnUserChange(%q), want once with %q", got, u.ID)
	}

	// Tuple and key changes are not user changes.
	if _, err := st.CreateKey(ctx, svc, "cd34", "sk_cd34****", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteTuples(ctx, svc, store.TupleWrite{Writes: []tuple.Tuple{tp(t, "doc:1", "user:anne")}}); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	if got := received(); len(got) != 0 {
		t.Fatalf("OnUserChange(%q) for key and tuple changes", got)
	}
}

// TestUserChangesOncePerBatch applies one batch directly: each user is
// reported once, in the order of its first change.
func TestUserChangesOncePerBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng, err := engine.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	// The batch's key change makes apply ask whether the service still
	// exists; it does.
	s := New(serviceExists{}, eng, Options{OnUserChange: func(id string) { got = append(got, id) }})
	rows := []store.Change{
		{Revision: 1, Op: store.OpUser, UserID: "u2"},
		{Revision: 2, Op: store.OpKey, ServiceID: "svc"},
		{Revision: 3, Op: store.OpUser, UserID: "u1"},
		{Revision: 4, Op: store.OpUser, UserID: "u2"},
	}
	if err := s.apply(ctx, 0, rows); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[u2 u1]" || s.Applied() != 4 {
		t.Fatalf("OnUserChange calls %q, applied %d; want [u2 u1], 4", got, s.Applied())
	}
}

func TestWaitForRespectsContext(t *testing.T) {
	t.Parallel()
	s, _ := start(t, openStore(t), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.WaitFor(ctx, 1_000_000); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor a revision that never comes: %v", err)
	}
}

// serviceExists is a Source that only answers ServiceByID, with a service.
type serviceExists struct{ Source }

func (serviceExists) ServiceByID(_ context.Context, id string) (store.Service, error) {
	return store.Service{ID: id}, nil
}
