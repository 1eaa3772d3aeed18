package engine

import (
	"cmp"
	"slices"

	"github.com/sentinel-auth/sentinel/tuple"
)

// chainBuilder computes the effective subjects of many nodes at once (a
// whole service, or every node below a changed parent tuple), each from its
// own tuples and the sets of the nodes its walk steps to, one step further:
// a document's set is its grants and its folder's set, and the folder's set
// is computed once for all its documents. Walking every chain from each
// node instead (recomputeChain) took 10 s of CPU for the 90k nodes of the
// 1M-tuple benchmark data. A node whose walk meets a cycle is left to
// recomputeChain, whose breadth-first walk handles it.
//
// With fresh set, only those nodes are computed: the stored set of any
// other flattened node is up to date and is used as it is (a parent change
// recomputes the documents below it from their own tuples and their
// folder's stored set).
type chainBuilder struct {
	st    *state
	w     *effWriter
	svc   string
	p     *chainPlan
	fresh map[node]bool    // nil: compute every node
	memo  map[node]*effSet // nil: the walk from the node meets a cycle
	busy  map[node]bool    // on the current path
}

func newChainBuilder(st *state, svc string, p *chainPlan, fresh map[node]bool) *chainBuilder {
	return &chainBuilder{st: st, w: st.effs(svc), svc: svc, p: p, fresh: fresh, memo: map[node]*effSet{}, busy: map[node]bool{}}
}

// storeAll computes the sets of flattened nodes, then stores them. The
// sets are stored as tight copies made after all are computed: allocated
// together, they are not scattered among the intermediate sets that are
// garbage afterwards (which kept ≈300 MiB of half-empty heap spans at 1M
// tuples, measured), and they share no array with another set.
func (b *chainBuilder) storeAll(nodes []node) {
	for _, n := range nodes {
		b.build(n)
	}
	for _, n := range nodes {
		switch s := b.memo[n]; {
		case s == nil:
			b.st.recomputeChain(b.svc, b.p, n)
		case len(s.groups) == 0 && s.height == b.p.static[relRef{n.typ, n.rel}]:
			b.w.put(n, nil)
		default:
			b.w.put(n, s.clone())
		}
	}
}

// build returns the set of n, or nil if its walk meets a cycle.
func (b *chainBuilder) build(n node) *effSet {
	if s, ok := b.memo[n]; ok {
		return s
	}
	if b.fresh != nil && !b.fresh[n] && b.p.flat[relRef{n.typ, n.rel}] {
		s := b.w.get(n)
		if s == nil { // not kept: no subjects, the height of no tuples
			s = &effSet{height: b.p.static[relRef{n.typ, n.rel}]}
		}
		b.memo[n] = s
		return s
	}
	if b.busy[n] {
		return nil
	}
	b.busy[n] = true
	s := b.own(n)
	ok := true
	for _, c := range b.st.chainChildren(b.svc, b.p, n, nil) {
		cs := b.build(c)
		if cs == nil {
			ok = false
			break
		}
		s = mergeSets(s, cs)
	}
	delete(b.busy, n)
	if !ok {
		s = nil
	}
	b.memo[n] = s
	return s
}

// own returns the direct subjects of n, at zero steps.
func (b *chainBuilder) own(n node) *effSet {
	s := &effSet{}
	b.st.subjects(b.svc, b.p.rels[relRef{n.typ, n.rel}], n, func(u tuple.User) {
		gi := s.group(u.Type, u.Relation)
		if gi < 0 {
			s.groups = append(s.groups, effGroup{typ: u.Type, rel: u.Relation})
			gi = len(s.groups) - 1
		}
		s.groups[gi].ids = append(s.groups[gi].ids, b.w.sym(u.ID))
	})
	for i := range s.groups {
		g := &s.groups[i]
		slices.Sort(g.ids)
		g.ids = slices.Compact(g.ids) // a direct type listed twice
		g.steps = make([]uint8, len(g.ids))
	}
	return s
}

// mergeSets returns a with the subjects of c one step further added (the
// fewer steps kept), and a height of at least one more than c's.
func mergeSets(a, c *effSet) *effSet {
	out := &effSet{height: max(a.height, min(hCycle, c.height+1))}
	out.groups = make([]effGroup, 0, max(len(a.groups), len(c.groups)))
	for _, g := range a.groups {
		if ci := c.group(g.typ, g.rel); ci >= 0 {
			out.groups = append(out.groups, mergeGroups(g, c.groups[ci]))
		} else {
			out.groups = append(out.groups, g)
		}
	}
	for _, g := range c.groups {
		if a.group(g.typ, g.rel) < 0 {
			out.groups = append(out.groups, mergeGroups(effGroup{typ: g.typ, rel: g.rel}, g))
		}
	}
	return out
}

// mergeGroups merges sorted groups, g's steps as they are and c's plus one.
func mergeGroups(g, c effGroup) effGroup {
	out := effGroup{typ: g.typ, rel: g.rel, ids: make([]uint32, 0, len(g.ids)+len(c.ids)), steps: make([]uint8, 0, len(g.ids)+len(c.ids))}
	i, j := 0, 0
	for i < len(g.ids) || j < len(c.ids) {
		var order int
		switch {
		case i == len(g.ids):
			order = 1
		case j == len(c.ids):
			order = -1
		default:
			order = cmp.Compare(g.ids[i], c.ids[j])
		}
		switch {
		case order < 0:
			out.ids, out.steps = append(out.ids, g.ids[i]), append(out.steps, g.steps[i])
			i++
		case order > 0:
			out.ids, out.steps = append(out.ids, c.ids[j]), append(out.steps, stepsByte(stepsValue(c.steps[j])+1))
			j++
		default:
			out.ids, out.steps = append(out.ids, g.ids[i]), append(out.steps, min(g.steps[i], stepsByte(stepsValue(c.steps[j])+1)))
			i, j = i+1, j+1
		}
	}
	return out
}

// clone returns a tight copy of s that shares nothing mutable with it, in
// three allocations: the set with its groups (most sets have two, users
// and usersets), the ids of all its groups, and their steps. The groups'
// slices are clipped, so nothing appends into another group's part (the
// writers replace a group's arrays rather than write into them, effwrite.go).
// At 1M tuples a set took six allocations on average, 600k objects for the
// 100k sets, and the collector marks each on every cycle.
func (s *effSet) clone() *effSet {
	var out *effSet
	if len(s.groups) <= 2 {
		both := &effSetOf2{}
		out, both.set.groups = &both.set, both.groups[:len(s.groups):len(s.groups)]
	} else {
		out = &effSet{groups: make([]effGroup, len(s.groups))}
	}
	out.height = s.height
	n := 0
	for _, g := range s.groups {
		n += len(g.ids)
	}
	ids, steps := make([]uint32, 0, n), make([]uint8, 0, n)
	for i, g := range s.groups {
		at := len(ids)
		ids, steps = append(ids, g.ids...), append(steps, g.steps...)
		out.groups[i] = effGroup{typ: g.typ, rel: g.rel, ids: ids[at:len(ids):len(ids)], steps: steps[at:len(steps):len(steps)]}
	}
	return out
}

// effSetOf2 is a set and room for two groups in one allocation (clone).
type effSetOf2 struct {
	set    effSet
	groups [2]effGroup
}
