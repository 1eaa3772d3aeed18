package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// Keeping effective subjects in step with writes (see chain.go), as each
// tuple of a batch is applied (to the batch's state, batch.go).
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
func (st *state) chainChange(svc string, p *chainPlan, t tuple.Tuple, deleted bool, dirty map[node]bool) {
	if p == nil {
		return
	}
	for _, r := range p.tuplesets[relRef{t.Object.Type, t.Relation}] {
		st.chainAncestors(svc, p, node{t.Object.Type, t.Object.ID, r.rel}, func(n node, _ int) {
			if p.flat[relRef{n.typ, n.rel}] {
				dirty[n] = true
			}
		})
	}
	cr := p.rels[relRef{t.Object.Type, t.Relation}]
	if cr == nil || !cr.admits(t.User) {
		return
	}
	sv := st.effs(svc)
	start := node{t.Object.Type, t.Object.ID, t.Relation}
	if !deleted {
		st.chainAncestors(svc, p, start, func(n node, steps int) {
			if !p.flat[relRef{n.typ, n.rel}] || dirty[n] {
				return
			}
			set := sv.get(n)
			if set != nil {
				if cur, ok := sv.lookup(set, t.User); ok && cur <= steps {
					return
				}
			}
			if set = sv.own(n); set == nil { // not kept: no subjects, the height of no tuples
				set = &effSet{height: p.static[relRef{n.typ, n.rel}]}
				sv.put(n, set)
			}
			sv.set(set, t.User, steps)
		})
		return
	}
	// Removed: every node whose walk reached this grant looks for the
	// subject again, from its children (see subjectSearch), unless no tuple
	// grants it any more: then it is gone from all of them (a user's or a
	// group's only grant on the chains, the common case).
	elsewhere := st.granted(svc, p, t.User)
	var affected []node
	var through []int // steps from each affected node to the grant
	q := &subjectSearch{st: st, svc: svc, p: p, sv: sv, u: t.User, recompute: map[node]bool{}, memo: map[node]int{}, busy: map[node]bool{}}
	st.chainAncestors(svc, p, start, func(n node, steps int) {
		affected, through = append(affected, n), append(through, steps)
		q.recompute[n] = true
	})
	for i, n := range affected {
		if !p.flat[relRef{n.typ, n.rel}] || dirty[n] {
			continue
		}
		set := sv.get(n)
		if set == nil {
			continue
		}
		cur, ok := sv.lookup(set, t.User)
		if !ok || cur < through[i] {
			continue // not there, or nearer by a way that avoids this grant
		}
		steps, found := noSteps, false
		if elsewhere {
			var ok bool
			steps, ok = q.steps(n)
			found = steps != noSteps
			if !ok { // a cycle: the breadth-first walk handles it
				steps, found = st.subjectSteps(svc, p, n, t.User)
			}
		}
		if found && steps == cur {
			continue
		}
		set = sv.own(n)
		if found {
			sv.set(set, t.User, steps)
			continue
		}
		sv.remove(set, t.User)
		if len(set.groups) == 0 && set.height == p.static[relRef{n.typ, n.rel}] {
			sv.put(n, nil)
		}
	}
}

// granted reports whether a direct tuple of a relation in the plan grants
// subject u.
func (st *state) granted(svc string, p *chainPlan, u tuple.User) bool {
	for k, cr := range p.rels {
		if !cr.admits(u) {
			continue
		}
		for range st.objects(revKey{svc, u.Type, u.ID, u.Relation, k.typ, k.rel}) {
			return true
		}
	}
	return false
}

// noSteps is subjectSearch's "the subject is not reached".
const noSteps = -1

// subjectSearch finds the fewest steps from nodes to one subject after a
// grant of it was removed: a node holds it directly (0), or one step more
// than its nearest child. Nodes whose walk reached the removed grant
// (recompute) are computed so; any other node's stored set is up to date
// (its walk never reached the grant) and is read. This costs a lookup per
// edge of the nodes above the grant, where a walk from each of them costs
// their whole chain (a folder's grant removed: ≈1 ms → ≈0.1 ms at 1M).
type subjectSearch struct {
	st        *state
	svc       string
	p         *chainPlan
	sv        *effWriter
	u         tuple.User
	recompute map[node]bool
	memo      map[node]int
	busy      map[node]bool
}

// steps returns the fewest steps from n to the subject (noSteps if none),
// and false if the search met a cycle.
func (q *subjectSearch) steps(n node) (int, bool) {
	if v, ok := q.memo[n]; ok {
		return v, true
	}
	if q.p.flat[relRef{n.typ, n.rel}] && !q.recompute[n] {
		v := noSteps
		if set := q.sv.get(n); set != nil {
			if s, ok := q.sv.lookup(set, q.u); ok {
				v = s
			}
		}
		q.memo[n] = v
		return v, true
	}
	if q.busy[n] {
		return 0, false
	}
	q.busy[n] = true
	defer delete(q.busy, n)
	best := noSteps
	if q.st.holds(q.svc, q.p, n, q.u) {
		best = 0
	} else {
		for _, c := range q.st.chainChildren(q.svc, q.p, n, nil) {
			v, ok := q.steps(c)
			if !ok {
				return 0, false
			}
			if v != noSteps && (best == noSteps || v+1 < best) {
				best = v + 1
			}
		}
	}
	q.memo[n] = best
	return best, true
}

// holds reports whether a direct tuple of n grants subject u.
func (st *state) holds(svc string, p *chainPlan, n node, u tuple.User) bool {
	return p.rels[relRef{n.typ, n.rel}].admits(u) && st.has(svc, tuple.Tuple{Object: tuple.Object{Type: n.typ, ID: n.id}, Relation: n.rel, User: u})
}

// recomputeDirty recomputes the nodes chainChange marked.
func (st *state) recomputeDirty(svc string, p *chainPlan, dirty map[node]bool) {
	nodes := make([]node, 0, len(dirty))
	for n := range dirty {
		nodes = append(nodes, n)
	}
	newChainBuilder(st, svc, p, dirty).storeAll(nodes)
}

// chainAncestors calls fn for start and every node whose walk reaches it,
// with the fewest steps from that node to start.
func (st *state) chainAncestors(svc string, p *chainPlan, start node, fn func(n node, steps int)) {
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
			for id := range st.objects(revKey{svc, n.typ, n.id, "", edge.On.typ, edge.Tupleset}) {
				visit(node{edge.On.typ, id, edge.On.rel})
			}
		}
	}
}

// subjectSteps returns the fewest steps from n to a direct tuple granting
// u, if there is one, by a breadth-first walk (which handles cycles).
func (st *state) subjectSteps(svc string, p *chainPlan, n node, u tuple.User) (int, bool) {
	found, at := false, 0
	st.walkChain(svc, p, n, func(x node, steps int) bool {
		if st.holds(svc, p, x, u) {
			found, at = true, steps
			return false
		}
		return true
	})
	return at, found
}
