package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

func testReadTuplesFilters(t *testing.T, s store.Store) {
	svc := newService(t, s, "svc")
	newModel(t, s, svc.ID)
	all := []string{
		"doc:1#viewer@user:anne",
		"doc:1#viewer@group:eng#member",
		"doc:2#editor@user:anne",
		"doc:2#viewer@user:*",
		"folder:1#viewer@user:bob",
		"doc:1#owner@user:anne",
		"doc:3#viewer@group:eng",
	}
	// One write per tuple, so that insertion order is the order above.
	for _, x := range all {
		mustWrite(t, s, svc.ID, tup(x))
	}
	cases := []struct {
		name string
		f    store.TupleFilter
		want []string
	}{
		{"everything", store.TupleFilter{}, all},
		{"object type", store.TupleFilter{ObjectType: "doc"}, []string{all[0], all[1], all[2], all[3], all[5], all[6]}},
		{"object", store.TupleFilter{ObjectType: "doc", ObjectID: "1"}, []string{all[0], all[1], all[5]}},
		{"relation", store.TupleFilter{Relation: "viewer"}, []string{all[0], all[1], all[3], all[4], all[6]}},
		{"user type only", store.TupleFilter{User: tuple.User{Type: "user"}}, []string{all[0], all[2], all[3], all[4], all[5]}},
		{"user", store.TupleFilter{User: tuple.User{Type: "user", ID: "anne"}}, []string{all[0], all[2], all[5]}},
		{"userset", store.TupleFilter{User: tuple.User{Type: "group", ID: "eng", Relation: "member"}}, []string{all[1]}},
		{"user relation is exact", store.TupleFilter{User: tuple.User{Type: "group", ID: "eng"}}, []string{all[6]}},
		{"wildcard", store.TupleFilter{User: tuple.User{Type: "user", ID: "*"}}, []string{all[3]}},
		{"combined", store.TupleFilter{ObjectType: "doc", Relation: "viewer", User: tuple.User{Type: "user", ID: "anne"}}, []string{all[0]}},
		{"no match", store.TupleFilter{ObjectType: "nothing"}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, next, err := s.ReadTuples(t.Context(), svc.ID, c.f, "", 100)
			wantErrIs(t, "ReadTuples", err, nil)
			if next != "" {
				t.Fatalf("cursor %q after the last page", next)
			}
			equalStrings(t, "tuples", strs(got), strs(tups(c.want...)))
		})
	}
}

func testReadTuplesPagination(t *testing.T, s store.Store) {
	svc := newService(t, s, "svc")
	newModel(t, s, svc.ID)
	var want []tuple.Tuple
	for batch := range 5 {
		var ts []tuple.Tuple
		for i := range 50 {
			rel := "viewer"
			if i%2 == 1 {
				rel = "editor"
			}
			ts = append(ts, tup(fmt.Sprintf("doc:%d_%d#%s@user:u%d", batch, i, rel, i)))
		}
		mustWrite(t, s, svc.ID, ts...)
		want = append(want, ts...)
	}
	// Remove some from the middle: pages must skip them, not break.
	del := []tuple.Tuple{want[10], want[120]}
	if _, err := s.WriteTuples(t.Context(), svc.ID, store.TupleWrite{Deletes: del}); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(x tuple.Tuple) bool { return slices.Contains(del, x) })

	viewers := slices.DeleteFunc(slices.Clone(want), func(x tuple.Tuple) bool { return x.Relation != "viewer" })
	cases := []struct {
		name  string
		f     store.TupleFilter
		limit int
		want  []tuple.Tuple
		pages int
	}{
		{"pages of 100", store.TupleFilter{}, 100, want, 3},
		{"exact fit", store.TupleFilter{}, len(want), want, 1},
		{"filtered pages", store.TupleFilter{Relation: "viewer"}, 40, viewers, 4},
		{"page of one", store.TupleFilter{ObjectType: "doc", ObjectID: "4_49"}, 1, []tuple.Tuple{want[len(want)-1]}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []tuple.Tuple
			cursor, pages := "", 0
			for {
				page, next, err := s.ReadTuples(t.Context(), svc.ID, c.f, cursor, c.limit)
				wantErrIs(t, "ReadTuples", err, nil)
				pages++
				if len(page) > c.limit || len(page) == 0 && next != "" {
					t.Fatalf("page %d: %d tuples, next %q", pages, len(page), next)
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				if pages > 100 {
					t.Fatal("cursor never ends")
				}
				cursor = next
			}
			equalStrings(t, "all pages", strs(got), strs(c.want))
			if pages != c.pages {
				t.Fatalf("%d pages, want %d", pages, c.pages)
			}
		})
	}
}

func testReadTuplesBadCursor(t *testing.T, s store.Store) {
	svc := newService(t, s, "svc")
	for _, cursor := range []string{"!!", "AA", "not a cursor", "////////////////"} {
		_, _, err := s.ReadTuples(t.Context(), svc.ID, store.TupleFilter{}, cursor, 10)
		if err == nil || !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("cursor %q: error %v, want ErrInvalidCursor", cursor, err)
		}
	}
}

func testChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newService(t, s, "a"), newService(t, s, "b")
	ma := newModel(t, s, a.ID)
	if _, err := s.CreateKey(ctx, a.ID, "ha", "sk_a", nil); err != nil {
		t.Fatal(err)
	}
	mb := newModel(t, s, b.ID)
	mustWrite(t, s, a.ID, tups("doc:1#viewer@user:anne", "doc:2#viewer@user:anne")...)
	mustWrite(t, s, b.ID, tup("doc:1#viewer@user:bob"))
	if _, err := s.WriteTuples(ctx, a.ID, store.TupleWrite{Deletes: tups("doc:1#viewer@user:anne")}); err != nil {
		t.Fatal(err)
	}

	all := allChanges(t, s, "", 0)
	equalStrings(t, "all changes", changeStrings(all), []string{
		"model " + ma.ID, "key", "model " + mb.ID,
		"write doc:1#viewer@user:anne", "write doc:2#viewer@user:anne",
		"write doc:1#viewer@user:bob", "delete doc:1#viewer@user:anne",
	})
	wantServices := []string{a.ID, a.ID, b.ID, a.ID, a.ID, b.ID, a.ID}
	for i, c := range all {
		if c.ServiceID != wantServices[i] || c.At.IsZero() || i > 0 && c.Revision <= all[i-1].Revision {
			t.Fatalf("change %d: %+v", i, c)
		}
	}
	if h := head(t, s); all[len(all)-1].Revision != h {
		t.Fatalf("last change %d, head %d", all[len(all)-1].Revision, h)
	}
	ofA := []store.Change{all[0], all[3], all[4], all[6]}

	cases := []struct {
		name    string
		service string
		after   uint64
		limit   int
		want    []store.Change
	}{
		{"all services", "", 0, 100, all},
		{"one service, no key ops", a.ID, 0, 100, ofA},
		{"other service", b.ID, 0, 100, []store.Change{all[2], all[5]}},
		{"after", "", all[3].Revision, 100, all[4:]},
		{"after, one service", a.ID, all[3].Revision, 100, ofA[2:]},
		{"limit", "", 0, 2, all[:2]},
		{"after and limit", a.ID, all[0].Revision, 2, ofA[1:3]},
		{"after head", "", all[6].Revision, 100, nil},
		{"unknown service", "00000000-0000-4000-8000-000000000000", 0, 100, nil},
	}
	for _, c := range cases {
		got, err := s.Changes(ctx, c.service, c.after, c.limit)
		wantErrIs(t, c.name, err, nil)
		if len(got) != len(c.want) || len(got) > 0 && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, changeStrings(got), changeStrings(c.want))
		}
	}
}

func testHeadRevision(t *testing.T, s store.Store) {
	if h := head(t, s); h != 0 {
		t.Fatalf("head of an empty store = %d", h)
	}
	svc := newService(t, s, "svc")
	if h := head(t, s); h != 0 {
		t.Fatalf("CreateService moved the head to %d", h)
	}
	m := newModel(t, s, svc.ID)
	if h := head(t, s); h != m.Revision || h == 0 {
		t.Fatalf("head %d after model at %d", h, m.Revision)
	}
	rev := mustWrite(t, s, svc.ID, tup("doc:1#viewer@user:anne"))
	if h := head(t, s); h != rev || rev <= m.Revision {
		t.Fatalf("head %d after write at %d (model %d)", h, rev, m.Revision)
	}
}

func testLoadSnapshot(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := newService(t, s, "a"), newService(t, s, "b"), newService(t, s, "no model")
	newModel(t, s, a.ID)
	ma2 := newModel(t, s, a.ID)
	mb := newModel(t, s, b.ID)
	want := map[string][]string{}
	for i := range 30 {
		sid := []string{a.ID, b.ID}[i%2]
		x := tup(fmt.Sprintf("doc:%d#viewer@user:u%d", i, i))
		mustWrite(t, s, sid, x)
		want[sid] = append(want[sid], x.String())
	}
	if _, err := s.WriteTuples(ctx, b.ID, store.TupleWrite{Deletes: tups("doc:1#viewer@user:u1")}); err != nil {
		t.Fatal(err)
	}
	want[b.ID] = want[b.ID][1:]

	got := map[string][]string{}
	var order []string
	snap, err := s.LoadSnapshot(ctx, func(sid string, x tuple.Tuple) error {
		if len(order) == 0 || order[len(order)-1] != sid {
			order = append(order, sid)
		}
		got[sid] = append(got[sid], x.String())
		return nil
	})
	wantErrIs(t, "LoadSnapshot", err, nil)
	if h := head(t, s); snap.Revision != h {
		t.Fatalf("snapshot revision %d, head %d", snap.Revision, h)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot tuples %v, want %v", got, want)
	}
	if len(order) != 2 {
		t.Fatalf("tuples not grouped by service: %v", order)
	}
	wantModels := map[string]store.Model{a.ID: ma2, b.ID: mb}
	if !reflect.DeepEqual(snap.Models, wantModels) {
		t.Fatalf("snapshot models %+v, want %+v (and none for %s)", snap.Models, wantModels, c.ID)
	}

	stop := errors.New("stop")
	_, err = s.LoadSnapshot(ctx, func(string, tuple.Tuple) error { return stop })
	wantErrIs(t, "LoadSnapshot with a failing fn", err, stop)
}
