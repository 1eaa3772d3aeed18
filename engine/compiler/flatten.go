package compiler

import (
	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
)

// Flattened parent chains. A relation such as
//
//	define viewer: [user, user:*, group#member] or editor or viewer from parent
//
// is decided, for a plain user, by its effective subjects: every user,
// wildcard and userset that the rewrite reaches through unions, computed
// relations and tuple-to-userset steps (the whole parent chain), each with
// the number of dispatch steps to it. The engine keeps them per object
// (data.sentinel.e and .f, with the chain's height in .h); the fast variant
// answers from them in a few lookups instead of walking the chain. Usersets
// among the subjects are not expanded (a group granted on a top folder
// would otherwise be copied into every document below it): the walk goes
// on into them, through the membership closures for closable relations.

// Flattened returns the relations whose effective subjects the engine keeps
// and the fast variant reads. A relation qualifies when
//
//   - its rewrite, and that of every relation it reaches through computed
//     relations and tuple-to-userset steps, is a union of direct
//     assignments, computed relations and tuple-to-userset steps (no
//     intersection or exclusion, whose answer is not a union of subjects);
//   - no cycle runs through computed relations alone (such a cycle makes
//     every object's answer "unknown", which only the careful variant
//     judges);
//   - every userset type it admits is closable, or cannot recurse (so the
//     walk into it has a bounded height);
//   - it reaches at least one tuple-to-userset step: a relation without one
//     is answered by the ordinary walk in a few lookups already, and
//     flattening it would only copy its tuples.
func Flattened(m *model.Model) map[[2]string]bool {
	g := &generator{m: m, opts: Options{MaxDepth: DefaultMaxDepth}, rels: map[relKey]*relInfo{}}
	g.index()
	g.findCycles()
	g.heights()
	out := map[[2]string]bool{}
	for k := range g.flattened() {
		out[[2]string{k.typ, k.rel}] = true
	}
	return out
}

// flattened computes Flattened on the generator's model.
func (g *generator) flattened() map[relKey]bool {
	// Chainable: the greatest set of union-only relations whose computed and
	// tuple-to-userset targets are chainable too.
	chain := map[relKey]bool{}
	for _, k := range g.order {
		rw, _ := g.m.Relation(k.typ, k.rel)
		if unionOnly(rw) && g.usersetsResolvable(k) {
			chain[k] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for k := range chain {
			for _, t := range g.chainEdges(k) {
				if !chain[t] {
					delete(chain, k)
					changed = true
					break
				}
			}
		}
	}
	out := map[relKey]bool{}
	for k := range chain {
		if g.reachesTTU(k) && !g.computedCycle(k) {
			out[k] = true
		}
	}
	return out
}

// unionOnly reports whether a rewrite uses only direct assignment, computed
// relations, tuple-to-userset and union.
func unionOnly(u *openfgav1.Userset) bool {
	switch v := u.GetUserset().(type) {
	case *openfgav1.Userset_This, *openfgav1.Userset_ComputedUserset, *openfgav1.Userset_TupleToUserset:
		return true
	case *openfgav1.Userset_Union:
		for _, c := range v.Union.GetChild() {
			if !unionOnly(c) {
				return false
			}
		}
		return true
	}
	return false
}

// usersetsResolvable reports whether every userset type k admits is
// closable or of bounded height.
func (g *generator) usersetsResolvable(k relKey) bool {
	for _, d := range g.m.DirectTypes(k.typ, k.rel) {
		if d.Relation == "" {
			continue
		}
		t := relKey{d.Type, d.Relation}
		if Closable(g.m, t.typ, t.rel) {
			continue
		}
		if ti := g.rels[t]; ti == nil || ti.recursive || g.height[t] >= unbounded {
			return false
		}
	}
	return true
}

// chainEdges lists the relations k's rewrite reaches through computed
// relations and tuple-to-userset steps (not through usersets).
func (g *generator) chainEdges(k relKey) []relKey {
	var out []relKey
	for _, u := range g.rels[k].nodes {
		switch v := u.GetUserset().(type) {
		case *openfgav1.Userset_ComputedUserset:
			out = append(out, relKey{k.typ, v.ComputedUserset.GetRelation()})
		case *openfgav1.Userset_TupleToUserset:
			target := v.TupleToUserset.GetComputedUserset().GetRelation()
			for _, x := range g.tuplesetTypes(k.typ, v.TupleToUserset.GetTupleset().GetRelation(), target) {
				out = append(out, relKey{x, target})
			}
		}
	}
	return out
}

// reachesTTU reports whether k's rewrite, or that of a relation it reaches,
// has a tuple-to-userset step.
func (g *generator) reachesTTU(k relKey) bool {
	seen := map[relKey]bool{k: true}
	stack := []relKey{k}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, u := range g.rels[n].nodes {
			if _, ok := u.GetUserset().(*openfgav1.Userset_TupleToUserset); ok {
				return true
			}
		}
		for _, t := range g.chainEdges(n) {
			if !seen[t] {
				seen[t] = true
				stack = append(stack, t)
			}
		}
	}
	return false
}

// computedCycle reports whether a cycle of computed relations alone is
// reachable from k (through computed and tuple-to-userset steps).
func (g *generator) computedCycle(k relKey) bool {
	computed := func(n relKey) []relKey {
		var out []relKey
		for _, u := range g.rels[n].nodes {
			if v, ok := u.GetUserset().(*openfgav1.Userset_ComputedUserset); ok {
				out = append(out, relKey{n.typ, v.ComputedUserset.GetRelation()})
			}
		}
		return out
	}
	// Every relation reachable from k, then a colouring search for a cycle
	// among their computed edges.
	reach := map[relKey]bool{k: true}
	stack := []relKey{k}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, t := range g.chainEdges(n) {
			if !reach[t] {
				reach[t] = true
				stack = append(stack, t)
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	colour := map[relKey]int{}
	var cyclic func(n relKey) bool
	cyclic = func(n relKey) bool {
		colour[n] = grey
		for _, t := range computed(n) {
			switch colour[t] {
			case grey:
				return true
			case white:
				if cyclic(t) {
					return true
				}
			}
		}
		colour[n] = black
		return false
	}
	for n := range reach {
		if colour[n] == white && cyclic(n) {
			return true
		}
	}
	return false
}

// staticHeight is the longest chain of computed relations below k: the
// height of an object that has no tuples (no tuple-to-userset step can be
// taken from it). computedCycle(k) must be false.
func (g *generator) staticHeight(k relKey) int {
	best := 0
	for _, u := range g.rels[k].nodes {
		if v, ok := u.GetUserset().(*openfgav1.Userset_ComputedUserset); ok {
			best = max(best, 1+g.staticHeight(relKey{k.typ, v.ComputedUserset.GetRelation()}))
		}
	}
	return best
}
