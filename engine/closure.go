package engine

import (
	"iter"

	"github.com/sentinel-auth/sentinel/engine/compiler"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Membership closures. For a relation compiler.Closable accepts (a
// membership such as `member: [user, group#member]`), the index keeps, per
// object, every plain user reachable through the nesting, and whether the
// nesting below the object has a cycle:
//
//	data.sentinel.c[svc][type][id][relation][userType][userId] = distance ("*" for a wildcard)
//	data.sentinel.y[svc][type][id][relation] = true                     (a cycle is reachable)
//	data.sentinel.g[svc][type][relation][userType][userId][id] = distance (c by member)
//
// g is c transposed: the groups a user is in, which flattened chains
// match against the usersets granted on them (see compiler.Flattened).
//
// The fast Rego variant answers a plain user from c in one lookup instead
// of walking the nesting, which measured as two thirds of the rule
// evaluations of a check on the benchmark data. Closures follow the tuples
// in the same batch: on a write, the changed objects and everything that
// contains them (closure_update.go); for the whole service when a model is
// installed or the index is replaced.

// closable is a membership relation and the user types it admits.
type closable struct {
	typ, rel string
	plain    []string // admitted plain user types
	wildcard []string // admitted wildcard types
}

// closablesOf lists a model's membership relations.
func closablesOf(m *model.Model) map[[2]string]closable {
	out := map[[2]string]closable{}
	for _, t := range m.Types() {
		for _, r := range m.Relations(t) {
			if !compiler.Closable(m, t, r) {
				continue
			}
			cl := closable{typ: t, rel: r}
			for _, d := range m.DirectTypes(t, r) {
				switch {
				case d.Relation != "":
				case d.IsWildcard():
					cl.wildcard = append(cl.wildcard, d.Type)
				default:
					cl.plain = append(cl.plain, d.Type)
				}
			}
			out[[2]string{t, r}] = cl
		}
	}
	return out
}

// children yields the ids of the objects whose membership is nested in id.
func (st *state) children(svc string, cl closable, id string) iter.Seq[string] {
	return st.userIDs(svc, cl.typ, id, cl.rel, cl.typ, cl.rel)
}

// recompute rebuilds the closure and cycle flag of one object. Each member
// maps to its shortest nesting distance (0: assigned to id itself), so a
// caller at resolution depth d accepts only members within the depth left.
func (st *state) recompute(svc string, cl closable, id string) {
	users := map[string]any{}
	note := func(utype, uid string, dist int) {
		set := child(users, utype)
		if cur, ok := set[uid].(int); !ok || dist < cur {
			set[uid] = dist
		}
	}
	// Breadth first: the first visit of a node is at its shortest distance.
	dist := map[string]int{id: 0}
	order := []string{id}
	for i := 0; i < len(order); i++ {
		n := order[i]
		for _, x := range cl.plain {
			for uid := range st.userIDs(svc, cl.typ, n, cl.rel, x, "") {
				if uid != tuple.Wildcard {
					note(x, uid, dist[n])
				}
			}
		}
		for _, x := range cl.wildcard {
			if st.has(svc, tuple.Tuple{Object: tuple.Object{Type: cl.typ, ID: n}, Relation: cl.rel, User: tuple.User{Type: x, ID: tuple.Wildcard}}) {
				note(x, tuple.Wildcard, dist[n])
			}
		}
		for c := range st.children(svc, cl, n) {
			if _, seen := dist[c]; !seen {
				dist[c] = dist[n] + 1
				order = append(order, c)
			}
		}
	}
	k, r := closureKey{svc, cl.typ, cl.rel, id}, closureResult{users: users, cyclic: st.cyclic(svc, cl, order)}
	if st.b != nil {
		st.b.clos[k] = r
		return
	}
	for _, e := range st.ts.closureEdits(k, r, nil) {
		st.ts.closures.set(e.keys, e.value)
	}
}

// anyCycle reports whether any membership nesting of svc has a cycle
// (data.sentinel.y[svc] exists only while one does).
func (ts *tuples) anyCycle(svc string) bool {
	y, _ := ts.closures["y"].(map[string]any)
	_, ok := y[svc]
	return ok
}

// closureEdits appends to edits the changes that replace the closure and
// cycle flag of one object by r: its closure, its entries in the
// transposed closure g, and its cycle flag.
func (ts *tuples) closureEdits(k closureKey, r closureResult, edits []closureEdit) []closureEdit {
	old := ts.ids("c", k.svc, k.typ, k.id, k.rel)
	for utype, uids := range old {
		now, _ := r.users[utype].(map[string]any)
		for uid := range uids.(map[string]any) {
			if _, ok := now[uid]; !ok {
				edits = append(edits, closureEdit{[]string{"g", k.svc, k.typ, k.rel, utype, uid, k.id}, nil})
			}
		}
	}
	for utype, uids := range r.users {
		was, _ := old[utype].(map[string]any)
		for uid, d := range uids.(map[string]any) {
			if was[uid] != d {
				edits = append(edits, closureEdit{[]string{"g", k.svc, k.typ, k.rel, utype, uid, k.id}, d})
			}
		}
	}
	var cyclic any
	if r.cyclic {
		cyclic = true
	}
	return append(edits,
		closureEdit{[]string{"c", k.svc, k.typ, k.id, k.rel}, r.users},
		closureEdit{[]string{"y", k.svc, k.typ, k.id, k.rel}, cyclic})
}

// cyclic reports whether the nesting among nodes (all reachable from the
// first) has a cycle: Kahn's algorithm cannot remove every node.
func (st *state) cyclic(svc string, cl closable, nodes []string) bool {
	indegree := make(map[string]int, len(nodes))
	for _, n := range nodes {
		for c := range st.children(svc, cl, n) {
			indegree[c]++
		}
	}
	var ready []string
	for _, n := range nodes {
		if indegree[n] == 0 {
			ready = append(ready, n)
		}
	}
	removed := 0
	for len(ready) > 0 {
		n := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		removed++
		for c := range st.children(svc, cl, n) {
			if indegree[c]--; indegree[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	return removed < len(nodes)
}

// recomputeWithAncestors rebuilds the closures of id and of every object
// that contains it, directly or through nesting.
func (st *state) recomputeWithAncestors(svc string, cl closable, id string, done map[string]bool) {
	stack := []string{id}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if done[n] {
			continue
		}
		done[n] = true
		st.recompute(svc, cl, n)
		for parent := range st.objects(revKey{svc, cl.typ, n, cl.rel, cl.typ, cl.rel}) {
			stack = append(stack, parent)
		}
	}
}

// recomputeService rebuilds every closure of a service for a model.
func (ts *tuples) recomputeService(svc string, cls map[[2]string]closable) {
	for _, root := range []string{"c", "y", "g"} {
		delete(ts.closures[root].(map[string]any), svc)
	}
	st := &state{ts: ts}
	for _, cl := range cls {
		for id, obj := range ts.fwd.objects(svc, cl.typ) {
			if obj.hasRel(cl.rel) {
				st.recompute(svc, cl, id)
			}
		}
	}
}

// set puts value at keys (nil or an empty map deletes it, pruning the
// maps left empty below the root).
func (ix index) set(keys []string, value any) {
	empty := value == nil
	if m, ok := value.(map[string]any); ok && len(m) == 0 {
		empty = true
	}
	if !empty {
		m := map[string]any(ix)
		for _, k := range keys[:len(keys)-1] {
			m = child(m, k)
		}
		m[keys[len(keys)-1]] = value
		return
	}
	maps := make([]map[string]any, len(keys))
	m := map[string]any(ix)
	for i, k := range keys[:len(keys)-1] {
		maps[i] = m
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	maps[len(keys)-1] = m
	delete(m, keys[len(keys)-1])
	for i := len(keys) - 1; i > 1 && len(maps[i]) == 0; i-- {
		delete(maps[i-1], keys[i-1])
	}
}
