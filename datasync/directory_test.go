package datasync

import (
	"context"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// dirModel is a service's model over the directory: the directory types
// as the default model defines them, and a doc.
const dirModel = "model\n  schema 1.1\n" + testenv.DirectoryTypes + `
type doc
  relations
    define viewer: [user, workspace#member, group#member]
`

// TestDirectoryInChangelogOrder: a model's directory opt-in reaches the
// engine from the changelog and from the snapshot, and tuples and models of
// one batch are applied in changelog order: a service that opts in, opts
// out and then writes a group tuple of its own, all in one batch, keeps
// its tuple (applying the tuples first and the models after removed it
// with the directory's).
func TestDirectoryInChangelogOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	parse := func(dsl string) *model.Model {
		m, err := model.ParseDSL(dsl)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	sys := parse(policies.DefaultModel)
	sysModel, err := st.WriteModel(ctx, store.SystemServiceID, sys.DSL(), sys.JSON())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := st.CreateService(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDirectoryAccess(ctx, svc.ID, true); err != nil { // an administrator's grant
		t.Fatal(err)
	}
	dm := parse(dirModel)
	writeModel := func(directory bool) string {
		t.Helper()
		m, err := st.WriteModel(ctx, svc.ID, dm.DSL(), dm.JSON(), store.ModelOptions{Directory: directory})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	write := func(serviceID, modelID string, del bool, obj, rel, user string) uint64 {
		t.Helper()
		x, err := tuple.Parse(tuple.Key{Object: obj, Relation: rel, User: user})
		if err != nil {
			t.Fatal(err)
		}
		w := store.TupleWrite{ModelID: modelID, Writes: []tuple.Tuple{x}}
		if del {
			w = store.TupleWrite{Deletes: []tuple.Tuple{x}}
		}
		rev, err := st.WriteTuples(ctx, serviceID, w)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	opts := engine.Options{DirectoryService: store.SystemServiceID, DirectoryTypes: store.DirectoryTypes}
	startDir := func() (*Syncer, *engine.Engine) {
		t.Helper()
		sctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		eng, err := engine.New(sctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		s := New(st, eng, Options{PollInterval: time.Hour}) // only WaitFor wakes it
		if _, err := s.Start(sctx); err != nil {
			t.Fatal(err)
		}
		return s, eng
	}
	sees := func(eng *engine.Engine, obj, rel, user string) bool {
		t.Helper()
		x, err := tuple.Parse(tuple.Key{Object: obj, Relation: rel, User: user})
		if err != nil {
			t.Fatal(err)
		}
		return allowed(t, eng, svc.ID, x)
	}
	waitFor := func(s *Syncer, rev uint64) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.WaitFor(wctx, rev); err != nil {
			t.Fatal(err)
		}
	}

	first := writeModel(false)
	write(svc.ID, first, false, "doc:1", "viewer", "group:eng#member")
	write(store.SystemServiceID, sysModel.ID, false, "group:eng", "member", "user:anne")
	s, eng := startDir()
	if sees(eng, "doc:1", "viewer", "user:anne") {
		t.Fatal("the directory is visible before the opt-in")
	}

	// One batch: opt in, opt out, then a group tuple of the service's own.
	writeModel(true)
	out := writeModel(false)
	write(svc.ID, out, false, "group:mine", "member", "user:bob")
	rev := write(svc.ID, out, false, "doc:1", "viewer", "group:mine#member")
	waitFor(s, rev)
	if !sees(eng, "doc:1", "viewer", "user:bob") {
		t.Error("the service's own group tuple, written after its opt-out, was lost")
	}
	if sees(eng, "doc:1", "viewer", "user:anne") {
		t.Error("the directory is visible after the opt-out")
	}

	// Opt in for good (the own group tuple must go first), then follow
	// the directory's changes.
	write(svc.ID, "", true, "group:mine", "member", "user:bob")
	writeModel(true)
	rev = write(store.SystemServiceID, sysModel.ID, false, "group:eng", "member", "user:carl")
	waitFor(s, rev)
	for user, want := range map[string]bool{"user:anne": true, "user:carl": true, "user:bob": false} {
		if got := sees(eng, "doc:1", "viewer", user); got != want {
			t.Errorf("opted in: doc:1 viewer %s = %v, want %v", user, got, want)
		}
	}
	rev = write(store.SystemServiceID, "", true, "group:eng", "member", "user:anne")
	waitFor(s, rev)
	if sees(eng, "doc:1", "viewer", "user:anne") {
		t.Error("a removal from the directory's group did not reach the service")
	}

	// A restart loads the opt-in from the snapshot.
	_, eng2 := startDir()
	if !sees(eng2, "doc:1", "viewer", "user:carl") || sees(eng2, "doc:1", "viewer", "user:anne") {
		t.Error("after a restart, the opted-in service does not see the directory as it is")
	}
	if errs := s.ModelErrors(); len(errs) != 0 {
		t.Fatalf("model errors %v", errs)
	}
}
