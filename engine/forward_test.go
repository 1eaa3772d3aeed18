package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/tuple"
)

// nestedPath is where a tuple sits in the nested maps OPA reads.
func nestedPath(svc string, t tuple.Tuple) []string {
	if t.User.Relation != "" {
		return []string{"s", svc, t.Object.Type, t.Object.ID, t.Relation, t.User.Type, t.User.Relation, t.User.ID}
	}
	return []string{"t", svc, t.Object.Type, t.Object.ID, t.Relation, t.User.Type, t.User.ID}
}

// nested is the reference: the tuples as the nested maps OPA reads.
type nested map[string]any

func (n nested) add(svc string, t tuple.Tuple) {
	keys := nestedPath(svc, t)
	m := map[string]any(n)
	for _, k := range keys[:len(keys)-1] {
		m = child(m, k)
	}
	m[keys[len(keys)-1]] = true
}

func (n nested) remove(svc string, t tuple.Tuple) {
	keys := nestedPath(svc, t)
	maps := []map[string]any{n}
	for _, k := range keys[:len(keys)-1] {
		next, ok := maps[len(maps)-1][k].(map[string]any)
		if !ok {
			return
		}
		maps = append(maps, next)
	}
	delete(maps[len(maps)-1], keys[len(keys)-1])
	for i := len(maps) - 1; i > 1 && len(maps[i]) == 0; i-- { // the roots stay
		delete(maps[i-1], keys[i-1])
	}
}

// randomTuple draws from a small vocabulary, so that tuples share objects,
// relations and user types, one user type is both plain and a userset,
// and "*" is an id; half are of one set, which grows past idSetMax.
func randomTuple(r *rand.Rand) (string, tuple.Tuple) {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	if r.IntN(2) == 0 {
		return "a", tuple.Tuple{Object: tuple.Object{Type: "doc", ID: "1"}, Relation: "viewer",
			User: tuple.User{Type: "user", ID: fmt.Sprint(r.IntN(3 * idSetMax))}}
	}
	t := tuple.Tuple{
		Object:   tuple.Object{Type: pick("doc", "folder"), ID: pick("1", "2", "3")},
		Relation: pick("viewer", "parent"),
		User:     tuple.User{Type: pick("user", "group")},
	}
	switch x := r.IntN(10); {
	case x == 0:
		t.User.ID = tuple.Wildcard
	case x < 3:
		t.User.Relation = pick("member", "owner")
		fallthrough
	default:
		t.User.ID = fmt.Sprint(r.IntN(3 * idSetMax))
	}
	return pick("a", "b"), t
}

// TestFwdIndexReadsAsNestedMaps: under random writes and deletes, every
// read of the forward index, at every depth, answers what the nested maps
// it replaced answer; and deleting every tuple leaves it empty. The ids
// are numbered by a strTable, as in the index, or not, as in an overlay of
// contextual tuples.
func TestFwdIndexReadsAsNestedMaps(t *testing.T) {
	for _, c := range []struct {
		name string
		syms *strTable
	}{{"symbols", newStrTable()}, {"overlay", nil}} {
		t.Run(c.name, func(t *testing.T) { testFwdIndexReads(t, c.syms) })
	}
}

func testFwdIndexReads(t *testing.T, syms *strTable) {
	r := rand.New(rand.NewPCG(5, 6))
	ix, ref := fwdIndex{}, nested{"t": map[string]any{}, "s": map[string]any{}}
	type written struct {
		svc string
		t   tuple.Tuple
	}
	live := map[written]bool{}
	type object struct{ svc, typ, id string }
	objects := map[object]int{} // live tuples of each object
	for step := range 4000 {
		svc, tp := randomTuple(r)
		w, o := written{svc, tp}, object{svc, tp.Object.Type, tp.Object.ID}
		if step%1000 >= 700 { // stretches of deletes, emptying sets
			if got := ix.has(svc, tp, syms); got != live[w] {
				t.Fatalf("step %d: has(%s, %s) = %v before delete, want %v", step, svc, tp, got, live[w])
			}
			if live[w] {
				objects[o]--
			}
			removed, gone := ix.remove(svc, tp, symOf(syms, tp.User.ID), syms)
			if removed != live[w] || gone != (live[w] && objects[o] == 0) {
				t.Fatalf("step %d: remove(%s, %s) = %v, %v; want %v, %v", step, svc, tp, removed, gone, live[w], live[w] && objects[o] == 0)
			}
			ref.remove(svc, tp)
			delete(live, w)
		} else {
			got, newObject := ix.add(svc, tp, symOf(syms, tp.User.ID), syms)
			if got != !live[w] || newObject != (objects[o] == 0) {
				t.Fatalf("step %d: add(%s, %s) = %v, %v; want %v, %v", step, svc, tp, got, newObject, !live[w], objects[o] == 0)
			}
			if got {
				objects[o]++
			}
			ref.add(svc, tp)
			live[w] = true
		}
		if step%50 == 0 {
			compareReads(t, fmt.Sprintf("step %d", step), ix, syms, ref, tp)
		}
	}
	for w := range live {
		ix.remove(w.svc, w.t, symOf(syms, w.t.User.ID), syms)
	}
	if len(ix) != 0 {
		t.Fatalf("every tuple deleted, the index still holds %v", ix)
	}
}

// compareReads reads, in ix and in ref, every prefix of every path in
// ref, of probe's path, and of paths that leave it at each step.
func compareReads(t *testing.T, label string, ix fwdIndex, syms *strTable, ref nested, probe tuple.Tuple) {
	t.Helper()
	var paths []storage.Path
	var walk func(path storage.Path, v any)
	walk = func(path storage.Path, v any) {
		paths = append(paths, path)
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				walk(append(path[:len(path):len(path)], k), x)
			}
		}
	}
	walk(storage.Path{"t"}, ref["t"])
	walk(storage.Path{"s"}, ref["s"])
	for _, root := range []string{"t", "s"} {
		for _, svc := range []string{"a", "b"} {
			keys := append([]string{root}, nestedPath(svc, probe)[1:]...)
			for i := 1; i <= len(keys); i++ {
				paths = append(paths, keys[:i], append(keys[:i:i], "x"), append(keys[:i:i], ""))
			}
		}
	}
	for _, path := range paths {
		got, gerr := ix.read(path, syms)
		want, werr := lookup(map[string]any(ref), path)
		if (gerr != nil) != (werr != nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read %v = %v, %v; the nested maps give %v, %v", label, path, got, gerr, want, werr)
		}
	}
}
