package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/tuple"
)

func mustTuple(t testing.TB, obj, rel, user string) tuple.Tuple {
	t.Helper()
	tp, err := tuple.Parse(tuple.Key{Object: obj, Relation: rel, User: user})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func check(t testing.TB, e *Engine, svc, obj, rel, user string) bool {
	t.Helper()
	tp := mustTuple(t, obj, rel, user)
	ok, err := e.checkDirect(context.Background(), svc, tp.Object, tp.Relation, tp.User)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestCheckAfterLoadAndApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t)
	l := NewLoader()
	l.Add("s1", mustTuple(t, "doc:1", "viewer", "user:anne"))
	l.Add("s1", mustTuple(t, "doc:1", "viewer", "user:anne")) // repeated: counted once
	l.Add("s1", mustTuple(t, "doc:2", "viewer", "user:*"))
	l.Add("s2", mustTuple(t, "doc:1", "viewer", "user:bob"))
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3", l.Len())
	}
	if err := e.Replace(ctx, l); err != nil {
		t.Fatal(err)
	}
	err := e.Apply(ctx, []Mutation{
		{ServiceID: "s1", Tuple: mustTuple(t, "doc:3", "viewer", "group:eng#member")},
		{ServiceID: "s3", Tuple: mustTuple(t, "doc:1", "owner", "user:zoe")}, // new service: parents created
		{ServiceID: "s1", Delete: true, Tuple: mustTuple(t, "doc:1", "viewer", "user:anne")},
		{ServiceID: "s1", Delete: true, Tuple: mustTuple(t, "doc:9", "viewer", "user:nobody")}, // missing: harmless
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		svc, obj, rel, user string
		want                bool
	}{
		{"s1", "doc:1", "viewer", "user:anne", false},
		{"s2", "doc:1", "viewer", "user:bob", true},
		{"s1", "doc:1", "viewer", "user:bob", false},
		{"s1", "doc:2", "viewer", "user:carl", true},        // wildcard
		{"s1", "doc:2", "viewer", "group:x#member", false},  // wildcard is for plain users only
		{"s1", "doc:2", "viewer", "team:x", false},          // other type
		{"s1", "doc:3", "viewer", "group:eng#member", true}, // userset as user
		{"s3", "doc:1", "owner", "user:zoe", true},          // created with its parents
		{"s2", "doc:2", "viewer", "user:carl", false},       // tenant isolation
		{"nope", "doc:1", "viewer", "user:anne", false},     // unknown service
	}
	for _, c := range cases {
		if got := check(t, e, c.svc, c.obj, c.rel, c.user); got != c.want {
			t.Errorf("check %s %s#%s@%s = %v, want %v", c.svc, c.obj, c.rel, c.user, got, c.want)
		}
	}
}

func TestDeletePrunesEmptyParents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t)
	add := []Mutation{
		{ServiceID: "s", Tuple: mustTuple(t, "doc:1", "viewer", "user:a")},
		{ServiceID: "s", Tuple: mustTuple(t, "doc:1", "viewer", "user:b")},
	}
	if err := e.Apply(ctx, add); err != nil {
		t.Fatal(err)
	}
	del := []Mutation{add[0], add[1]}
	del[0].Delete, del[1].Delete = true, true
	if err := e.Apply(ctx, del[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.ReadOne(ctx, e.store, append(tuplesPath[:2:2], "s", "doc:1", "viewer")); err != nil {
		t.Fatalf("set with one user left must remain: %v", err)
	}
	if err := e.Apply(ctx, del[1:]); err != nil {
		t.Fatal(err)
	}
	root, err := storage.ReadOne(ctx, e.store, tuplesPath)
	if err != nil {
		t.Fatal(err)
	}
	if m := root.(map[string]any); len(m) != 0 {
		t.Fatalf("empty parents not pruned: %v", m)
	}
}

// TestApplyTwiceIsHarmless: re-applying a write or a delete (e.g. after a
// retried batch) leaves the same state.
func TestApplyTwiceIsHarmless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t)
	w := Mutation{ServiceID: "s", Tuple: mustTuple(t, "doc:1", "viewer", "user:a")}
	if err := e.Apply(ctx, []Mutation{w, w}); err != nil {
		t.Fatal(err)
	}
	if !check(t, e, "s", "doc:1", "viewer", "user:a") {
		t.Fatal("write not applied")
	}
	d := w
	d.Delete = true
	if err := e.Apply(ctx, []Mutation{d, d}); err != nil {
		t.Fatal(err)
	}
	if check(t, e, "s", "doc:1", "viewer", "user:a") {
		t.Fatal("delete not applied")
	}
}

// BenchmarkApply measures changelog rows applied per second into a store
// already holding `base` tuples, by engine transaction size.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct{ base, batch int }{
		{100_000, 10}, {100_000, 100}, {100_000, 1000}, {1_000_000, 100},
	} {
		base, batch := bc.base, bc.batch
		b.Run(fmt.Sprintf("base=%d/batch=%d", base, batch), func(b *testing.B) {
			ctx := context.Background()
			e := newEngine(b)
			l := NewLoader()
			for i := 0; i < base; i++ {
				l.Add("svc", mustTuple(b, fmt.Sprintf("doc:%d", i/4), "viewer", fmt.Sprintf("user:u%d", i)))
			}
			if err := e.Replace(ctx, l); err != nil {
				b.Fatal(err)
			}
			muts := make([]Mutation, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := range muts {
					n := i*batch + j
					// Half land on existing objects, half create new ones.
					muts[j] = Mutation{ServiceID: "svc", Tuple: mustTuple(b, fmt.Sprintf("doc:%d", n%(2*base/4+1)), "editor", fmt.Sprintf("user:w%d", n))}
				}
				b.StartTimer()
				if err := e.Apply(ctx, muts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(0, "ns/op") // per batch; rows/s is the figure
		})
	}
}

// BenchmarkCheck is the direct check through the prepared Rego query.
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b)
	l := NewLoader()
	for i := 0; i < 100_000; i++ {
		l.Add("svc", mustTuple(b, fmt.Sprintf("doc:%d", i/4), "viewer", fmt.Sprintf("user:u%d", i)))
	}
	if err := e.Replace(ctx, l); err != nil {
		b.Fatal(err)
	}
	tp := mustTuple(b, "doc:100", "viewer", "user:u401")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ok, err := e.checkDirect(ctx, "svc", tp.Object, tp.Relation, tp.User)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// TestStoreServesIndexThroughOPA: reads of the index's ancestors see it,
// and OPA cannot write into what datasync owns.
func TestStoreServesIndexThroughOPA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t)
	if err := e.Apply(ctx, []Mutation{{ServiceID: "s", Tuple: mustTuple(t, "doc:1", "viewer", "user:a")}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []storage.Path{{}, {"sentinel"}} {
		v, err := storage.ReadOne(ctx, e.store, path)
		if err != nil {
			t.Fatalf("read %v: %v", path, err)
		}
		if path.String() == "/" {
			v = v.(map[string]any)["sentinel"]
		}
		users := v.(map[string]any)["tuples"].(map[string]any)["s"].(map[string]any)["doc:1"].(map[string]any)["viewer"].(map[string]any)
		if users["user:a"] != true {
			t.Fatalf("read %v: index not spliced in: %v", path, v)
		}
	}
	if _, err := storage.ReadOne(ctx, e.store, append(tuplesPath[:2:2], "s", "doc:2")); !storage.IsNotFound(err) {
		t.Fatalf("missing object: err = %v, want not found", err)
	}
	err := storage.WriteOne(ctx, e.store, storage.AddOp, append(tuplesPath[:2:2], "s"), map[string]any{})
	if err == nil {
		t.Fatal("OPA write into the tuple index must be refused")
	}
	if err := storage.WriteOne(ctx, e.store, storage.AddOp, storage.Path{"other"}, map[string]any{"x": 1}); err != nil {
		t.Fatalf("writes elsewhere go to the inner store: %v", err)
	}
}
