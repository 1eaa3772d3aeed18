package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// Keeping effective subjects in step with writes (see chain.go), under the
// index's write lock, after the tuple itself was added or removed.
//
// A grant (a tuple of a relation in the plan) changes one subject of the
// objects whose walk reaches it: found by walking back from it (through the
// relations that include its relation and the objects whose
// tuple-to-userset tuples point at its object). A new grant lowers the
// subject's steps where it is nearer; a removed one has each of those
// objects look for the subject again. A tuple-to-userset tuple (a parent)
// changes the shape of the walk: the objects whose walk reaches the changed
// object are recomputed whole, once per batch.

// chainChange follows one applied mutation. Nodes to recompute whole are
// added to dirty (see recomputeDirty).
func (ts *tuples) chainChange(svc string, p *chainPlan, t tuple.Tuple, deleted bool, dirty map[node]bool) {
	if p == nil {
		return
	}
	for _, r := range p.tuplesets[relRef{t.Object.Type, t.Relation}] {
		ts.chainAncestors(svc, p, node{t.Object.Type, t.Object.ID, r.rel}, func(n node, _ int) {
			if p.flat[relRef{n.typ, n.rel}] {
				dirty[n] = true
			}
		})
	}
	cr := p.rels[relRef{t.Object.Type, t.Relation}]
	if cr == nil || !cr.admits(t.User) {
		return
	}
	ts.chainAncestors(svc, p, node{t.Object.Type, t.Object.ID, t.Relation}, func(n node, steps int) {
		if !p.flat[relRef{n.typ, n.rel}] || dirty[n] {
			return
		}
		sv := ts.eff.service(svc, true)
		set := sv.get(n)
		cur, ok := 0, false
		if set != nil {
			cur, ok = sv.lookup(set, t.User)
		}
		switch {
		case !deleted && (!ok || steps < cur):
			if set == nil {
				set = &effSet{height: height(n, ts.walkChain(svc, p, n, func(node, int) bool { return true }))}
				sv.put(n, set)
			}
			sv.set(set, t.User, steps)
		case deleted && ok:
			// Removed: the subject may still be reached another way.
			if s, found := ts.subjectSteps(svc, p, n, t.User); found {
				sv.set(set, t.User, s)
				return
			}
			sv.remove(set, t.User)
			if len(set.groups) == 0 && set.height == p.static[relRef{n.typ, n.rel}] {
				sv.put(n, nil)
			}
		}
	})
}

// recomputeDirty recomputes the nodes chainChange marked.
func (ts *tuples) recomputeDirty(svc string, p *chainPlan, dirty map[node]bool) {
	nodes := make([]node, 0, len(dirty))
	for n := range dirty {
		nodes = append(nodes, n)
	}
	newChainBuilder(ts, svc, p).storeAll(nodes)
}

// chainAncestors calls fn for start and every node whose walk reaches it,
// with the fewest steps from that node to start.
func (ts *tuples) chainAncestors(svc string, p *chainPlan, start node, fn func(n node, steps int)) {
	steps := map[node]int{start: 0}
	order := []node{start}
	for i := 0; i < len(order); i++ {
		n := order[i]
		fn(n, steps[n])
		visit := func(c node) {
			if _, seen := steps[c]; !seen {
				steps[c] = steps[n] + 1
				order = append(order, c)
			}
		}
		for _, r := range p.computedBy[relRef{n.typ, n.rel}] {
			visit(node{n.typ, n.id, r.rel})
		}
		if n.id == tuple.Wildcard {
			continue // the walk never follows a tuple-to-userset tuple to X:*
		}
		for _, edge := range p.ttuBy[relRef{n.typ, n.rel}] {
			for id := range ts.rev[revKey{svc, n.typ, n.id, "", edge.On.typ, edge.Tupleset}] {
				visit(node{edge.On.typ, id, edge.On.rel})
			}
		}
	}
}

// subjectSteps returns the fewest steps from n to a direct tuple granting
// u, if there is one.
func (ts *tuples) subjectSteps(svc string, p *chainPlan, n node, u tuple.User) (int, bool) {
	found, at := false, 0
	ts.walkChain(svc, p, n, func(x node, steps int) bool {
		cr := p.rels[relRef{x.typ, x.rel}]
		if !cr.admits(u) {
			return true
		}
		var err error
		if u.Relation != "" {
			_, err = lookup(map[string]any(ts.fwd), []string{"s", svc, x.typ, x.id, x.rel, u.Type, u.Relation, u.ID})
		} else {
			_, err = lookup(map[string]any(ts.fwd), []string{"t", svc, x.typ, x.id, x.rel, u.Type, u.ID})
		}
		if err == nil {
			found, at = true, steps
			return false
		}
		return true
	})
	return at, found
}
