package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/sentinel-auth/sentinel/tuple"
)

// scannedTuple returns t with every string a fresh copy, as a row scanned
// from the store is.
func scannedTuple(t tuple.Tuple) tuple.Tuple {
	c := strings.Clone
	return tuple.Tuple{
		Object:   tuple.Object{Type: c(t.Object.Type), ID: c(t.Object.ID)},
		Relation: c(t.Relation),
		User:     tuple.User{Type: c(t.User.Type), ID: c(t.User.ID), Relation: c(t.User.Relation)},
	}
}

// randomTestTuple returns a random tuple of testModel over a few objects,
// so that writes and deletes often meet.
func randomTestTuple(r *rand.Rand) tuple.Tuple {
	n := func(prefix string, k int) string { return fmt.Sprintf("%s%d", prefix, r.IntN(k)) }
	switch r.IntN(6) {
	case 0:
		return tuple.Tuple{Object: tuple.Object{Type: "group", ID: n("g", 6)}, Relation: "member", User: tuple.User{Type: "user", ID: n("u", 30)}}
	case 1:
		return tuple.Tuple{Object: tuple.Object{Type: "group", ID: n("g", 6)}, Relation: "member", User: tuple.User{Type: "group", ID: n("g", 6), Relation: "member"}}
	case 2:
		return tuple.Tuple{Object: tuple.Object{Type: "folder", ID: n("f", 8)}, Relation: "parent", User: tuple.User{Type: "folder", ID: n("f", 8)}}
	case 3:
		return tuple.Tuple{Object: tuple.Object{Type: "doc", ID: n("d", 20)}, Relation: "parent", User: tuple.User{Type: "folder", ID: n("f", 8)}}
	case 4:
		return tuple.Tuple{Object: tuple.Object{Type: "folder", ID: n("f", 8)}, Relation: "viewer", User: tuple.User{Type: "group", ID: n("g", 6), Relation: "member"}}
	}
	return tuple.Tuple{Object: tuple.Object{Type: "doc", ID: n("d", 20)}, Relation: "viewer", User: tuple.User{Type: "user", ID: n("u", 30)}}
}

// indexStrings calls fn with every string the index holds where an id can
// be: the forward and reverse indexes whole, the closures' keys, and the
// effective subjects' objects and interned subjects.
func indexStrings(ts *tuples, fn func(string)) {
	for svc, types := range ts.fwd {
		fn(svc)
		for typ, ids := range types {
			fn(typ)
			for id, o := range ids {
				fn(id)
				for _, g := range o {
					fn(g.rel)
					fn(g.utype)
					fn(g.urel)
					for uid := range g.ids.all(ts.strs) {
						fn(uid)
					}
				}
			}
		}
	}
	for u, es := range ts.rev {
		fn(u.svc)
		fn(u.userType)
		fn(u.userID)
		fn(u.userRel)
		for _, e := range es {
			fn(e.objType)
			fn(e.rel)
			for id := range e.ids.all(ts.strs) {
				fn(id)
			}
		}
	}
	var keys func(v any)
	keys = func(v any) {
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				fn(k)
				keys(x)
			}
		}
	}
	keys(map[string]any(ts.closures))
	for _, sv := range ts.eff {
		for _, ids := range sv.objs {
			for id := range ids {
				fn(id)
			}
		}
		for _, name := range sv.names {
			fn(name)
		}
	}
}

// assertShared fails unless every id of the live tuples that the index
// holds is one copy, wherever it is held, and the forward and reverse
// indexes share one copy of each name.
func assertShared(t *testing.T, label string, ts *tuples, live map[tuple.Tuple]bool) {
	t.Helper()
	ids := map[string]bool{}
	for tp := range live {
		ids[tp.Object.ID], ids[tp.User.ID] = true, true
	}
	copies := map[string]map[*byte]bool{}
	indexStrings(ts, func(s string) {
		if !ids[s] || s == "" {
			return
		}
		if copies[s] == nil {
			copies[s] = map[*byte]bool{}
		}
		copies[s][unsafe.StringData(s)] = true
	})
	for s, ptrs := range copies {
		if len(ptrs) != 1 {
			t.Fatalf("%s: the index holds %d copies of id %q", label, len(ptrs), s)
		}
	}
	groups, entries := map[groupKey]*groupKey{}, map[entryKey]*entryKey{}
	for _, types := range ts.fwd {
		for _, ids := range types {
			for _, o := range ids {
				for _, g := range o {
					if p, ok := groups[*g.groupKey]; ok && p != g.groupKey {
						t.Fatalf("%s: the index holds two copies of group key %+v", label, *p)
					}
					groups[*g.groupKey] = g.groupKey
				}
			}
		}
	}
	for _, es := range ts.rev {
		for _, e := range es {
			if p, ok := entries[*e.entryKey]; ok && p != e.entryKey {
				t.Fatalf("%s: the index holds two copies of entry key %+v", label, *p)
			}
			entries[*e.entryKey] = e.entryKey
		}
	}
	if len(copies) != len(ids) {
		t.Fatalf("%s: the index holds %d of the %d ids of the live tuples", label, len(copies), len(ids))
	}
}

// assertCounted fails unless the table of ids holds exactly the ids of the
// live tuples, each counted once per object and per user it names, and
// every symbol in a set is of one of them.
func assertCounted(t *testing.T, label string, ts *tuples, live map[tuple.Tuple]bool) {
	t.Helper()
	want := map[string]int32{}
	objects, users := map[tuple.Object]bool{}, map[tuple.User]bool{}
	for tp := range live {
		if !objects[tp.Object] {
			objects[tp.Object] = true
			want[tp.Object.ID]++
		}
		if !users[tp.User] {
			users[tp.User] = true
			want[tp.User.ID]++
		}
	}
	if len(ts.strs.ids) != len(want) {
		t.Fatalf("%s: the table holds %d ids, the live tuples name %d", label, len(ts.strs.ids), len(want))
	}
	for id, n := range want {
		x, ok := ts.strs.ids[id]
		if r := ts.strs.refs[x]; !ok || r.n != n || r.s != id {
			t.Fatalf("%s: the table holds id %q as %+v (present %v), want it counted %d", label, id, r, ok, n)
		}
	}
	if held := len(ts.strs.refs) - len(ts.strs.free); held != len(want) {
		t.Fatalf("%s: %d symbols in use, %d free of %d, for %d ids", label, held, len(ts.strs.free), len(ts.strs.refs), len(want))
	}
	symbols := func(s idSet) {
		for _, x := range s.small {
			if r := ts.strs.refs[x]; r.n == 0 || ts.strs.ids[r.s] != x {
				t.Fatalf("%s: a set holds symbol %d, which is free (%+v)", label, x, r)
			}
		}
	}
	for _, types := range ts.fwd {
		for _, ids := range types {
			for _, o := range ids {
				for _, g := range o {
					symbols(g.ids)
				}
			}
		}
	}
	for _, es := range ts.rev {
		for _, e := range es {
			symbols(e.ids)
		}
	}
}

// TestInternSharesAndForgets: tuples loaded and then written and deleted
// in batches, every string a fresh copy, leave one copy of each id in the
// whole index (tuples, closures, effective subjects), and the table of ids
// holds just the ids of the live tuples, so deleted ids are not kept.
func TestInternSharesAndForgets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	e := newEngine(t, testModel)
	live := map[tuple.Tuple]bool{}
	l := NewLoader()
	for range 150 {
		tp := randomTestTuple(r)
		live[tp] = true
		l.Add(strings.Clone("svc"), scannedTuple(tp))
	}
	if err := e.Replace(ctx, l); err != nil {
		t.Fatal(err)
	}
	ts := e.store.data
	assertShared(t, "loaded", ts, live)
	assertCounted(t, "loaded", ts, live)
	for round := range 60 {
		var muts []Mutation
		for range 1 + r.IntN(12) {
			tp := randomTestTuple(r)
			del := round >= 40 || r.IntN(2) == 0 // the last rounds mostly empty the index
			muts = append(muts, Mutation{ServiceID: strings.Clone("svc"), Delete: del, Tuple: scannedTuple(tp)})
			if del {
				delete(live, tp)
			} else {
				live[tp] = true
			}
		}
		if err := e.Apply(ctx, muts); err != nil {
			t.Fatal(err)
		}
		label := fmt.Sprintf("round %d", round)
		assertShared(t, label, ts, live)
		assertCounted(t, label, ts, live)
	}
	for tp := range live {
		if err := e.Apply(ctx, []Mutation{{ServiceID: "svc", Delete: true, Tuple: scannedTuple(tp)}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ts.strs.ids) != 0 {
		t.Fatalf("every tuple deleted, the table still holds %d ids", len(ts.strs.ids))
	}
}

// TestInternNeverLoaded: an engine that was never loaded interns what
// Apply writes, and checks see the same answers as with fresh strings.
func TestInternNeverLoaded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, testModel)
	tp := mustTuple(t, "doc:d1", "viewer", "user:anne")
	for _, s := range []tuple.Tuple{tp, mustTuple(t, "doc:d2", "viewer", "user:anne")} {
		if err := e.Apply(ctx, []Mutation{{ServiceID: "svc", Tuple: scannedTuple(s)}}); err != nil {
			t.Fatal(err)
		}
	}
	live := map[tuple.Tuple]bool{tp: true, mustTuple(t, "doc:d2", "viewer", "user:anne"): true}
	assertShared(t, "applied", e.store.data, live)
	assertCounted(t, "applied", e.store.data, live)
	for _, c := range []struct {
		obj  string
		want bool
	}{{"doc:d1", true}, {"doc:d2", true}, {"doc:d3", false}} {
		if got, err := check(t, e, c.obj, "viewer", "user:anne"); err != nil || got != c.want {
			t.Fatalf("check %s#viewer@user:anne = %v, %v; want %v", c.obj, got, err, c.want)
		}
	}
}

// TestInternNamesBounded: the tables of names and keys return each one's
// first copy, and start afresh rather than grow past namesMax.
func TestInternNamesBounded(t *testing.T) {
	t.Parallel()
	st := newStrTable()
	first := st.name(strings.Clone("viewer"))
	if got := st.name(strings.Clone("viewer")); unsafe.StringData(got) != unsafe.StringData(first) {
		t.Fatal("a name interned twice gave two copies")
	}
	for i := range 3 * namesMax {
		if s := fmt.Sprint("rel", i); st.name(s) != s {
			t.Fatalf("name(%q) changed the name", s)
		}
		if len(st.names) > namesMax {
			t.Fatalf("after %d names, the table holds %d, more than %d", i+1, len(st.names), namesMax)
		}
	}
	if st.name("") != "" || len(st.names) > namesMax {
		t.Fatal("the empty name")
	}
	k := groupKey{"viewer", "user", ""}
	if p := st.group(k); p != st.group(k) || *p != k {
		t.Fatal("a group key shared twice gave two copies")
	}
	for i := range 3 * namesMax {
		k := entryKey{"doc", fmt.Sprint("rel", i)}
		if p := st.entry(k); *p != k {
			t.Fatalf("entry(%v) = %v", k, *p)
		}
		if len(st.entries) > namesMax {
			t.Fatalf("after %d entry keys, the table holds %d, more than %d", i+1, len(st.entries), namesMax)
		}
	}
	var none *strTable // an overlay's
	if p, q := none.group(k), none.group(k); p == q || *p != k {
		t.Fatal("without a table, group keys are not new copies")
	}
}

// TestInternWithinABatch: a batch that deletes the last tuple naming an
// id, writes new ids and names the deleted one again installs with the
// symbols it found while prepared, and leaves the table as the live tuples
// name it, in each order.
func TestInternWithinABatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tp := func(obj, rel, user string) tuple.Tuple { return scannedTuple(mustTuple(t, obj, rel, user)) }
	cases := []struct {
		name  string
		batch []Mutation
	}{
		{"delete, write new, write again", []Mutation{
			{ServiceID: "svc", Delete: true, Tuple: tp("doc:d1", "viewer", "user:anne")},
			{ServiceID: "svc", Tuple: tp("doc:d2", "viewer", "user:bob")},
			{ServiceID: "svc", Tuple: tp("doc:d1", "viewer", "user:anne")},
		}},
		{"delete, write the id elsewhere", []Mutation{
			{ServiceID: "svc", Delete: true, Tuple: tp("doc:d1", "viewer", "user:anne")},
			{ServiceID: "svc", Tuple: tp("doc:d3", "editor", "user:anne")},
			{ServiceID: "svc", Tuple: tp("group:anne", "member", "user:carl")},
		}},
		{"write new, delete it", []Mutation{
			{ServiceID: "svc", Tuple: tp("doc:d4", "viewer", "user:dora")},
			{ServiceID: "svc", Delete: true, Tuple: tp("doc:d4", "viewer", "user:dora")},
			{ServiceID: "svc", Delete: true, Tuple: tp("doc:d1", "viewer", "user:anne")},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, testModel)
			first := tp("doc:d1", "viewer", "user:anne")
			if err := e.Apply(ctx, []Mutation{{ServiceID: "svc", Tuple: first}}); err != nil {
				t.Fatal(err)
			}
			live := map[tuple.Tuple]bool{mustTuple(t, "doc:d1", "viewer", "user:anne"): true}
			if err := e.Apply(ctx, c.batch); err != nil {
				t.Fatal(err)
			}
			for _, m := range c.batch {
				live[m.Tuple] = !m.Delete
			}
			for k, ok := range live {
				if !ok {
					delete(live, k)
				}
			}
			assertShared(t, c.name, e.store.data, live)
			assertCounted(t, c.name, e.store.data, live)
			for k := range live {
				if got, err := check(t, e, k.Object.String(), k.Relation, k.User.String()); err != nil || !got {
					t.Fatalf("check %s = %v, %v; want allowed", k, got, err)
				}
			}
		})
	}
}
