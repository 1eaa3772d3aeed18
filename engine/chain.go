package engine

import (
	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/engine/compiler"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Flattened parent chains (see compiler.Flattened). For every object of a
// flattened relation, the index keeps its effective subjects: the users,
// wildcards and usersets its rewrite reaches through unions, computed
// relations and tuple-to-userset steps, each with the fewest steps to it,
// and the height of that walk (the most steps it can take; hCycle if it can
// go round a cycle):
//
//	data.sentinel.e[svc][type][id][rel][userType][userId] = steps   ("*" for a wildcard)
//	data.sentinel.f[svc][type][id][rel][setType][setRel][setId] = steps
//	data.sentinel.h[svc][type][id][rel] = height
//
// (held compactly by an effIndex, effective.go).
//
// A step is one dispatch of the walk the fast variant would otherwise take
// (a computed relation counts one, which is never fewer than the walk
// counts, so a subject accepted within the depth left is reachable within
// it). Only the subjects the model admits at each relation are kept, as the
// walk ignores the others. They follow the tuples in the same batch
// (batch.go): incrementally for a grant (chain_update.go), whole for the
// objects below a changed tuple-to-userset tuple, and for the whole service
// when a model is installed or the index replaced.

// hCycle is the height of a walk that can go round a cycle.
const hCycle = 1 << 30

// chainPlan is what the engine needs of a model to keep effective subjects.
type chainPlan struct {
	// flat are the relations whose effective subjects are kept.
	flat map[relRef]bool
	// rels are the flattened relations and every relation their rewrites
	// reach through computed relations and tuple-to-userset steps.
	rels map[relRef]*chainRel
	// computedBy[T#R] are the relations of T in rels that include R.
	computedBy map[relRef][]relRef
	// ttuBy[X#R] are the relations in rels with an `R from P` step whose
	// tupleset P admits X.
	ttuBy map[relRef][]ttuEdge
	// tuplesets[T#P] are the relations of T in rels with a `… from P` step.
	tuplesets map[relRef][]relRef
	// static[T#R] is the height of a flattened relation on an object
	// without tuples: its longest chain of computed relations.
	static map[relRef]int
}

// chainRel is one relation's rewrite, flattened into its parts.
type chainRel struct {
	direct   []tuple.User // admitted user shapes
	computed []string     // relations of the same type
	ttus     []chainTTU
}

// chainTTU is `target from tupleset`, with the types the walk follows.
type chainTTU struct {
	tupleset, target string
	types            []string // plain types the tupleset admits that define target
}

// newChainPlan returns the plan of m, or nil if m flattens no relation.
func newChainPlan(m *model.Model) *chainPlan {
	flat := compiler.Flattened(m)
	if len(flat) == 0 {
		return nil
	}
	p := &chainPlan{flat: map[relRef]bool{}, rels: map[relRef]*chainRel{}, computedBy: map[relRef][]relRef{},
		ttuBy: map[relRef][]ttuEdge{}, tuplesets: map[relRef][]relRef{}, static: map[relRef]int{}}
	var stack []relRef
	for k := range flat {
		p.flat[relRef{k[0], k[1]}] = true
		stack = append(stack, relRef{k[0], k[1]})
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p.rels[k] != nil {
			continue
		}
		cr := &chainRel{direct: m.DirectTypes(k.typ, k.rel)}
		p.rels[k] = cr
		rw, _ := m.Relation(k.typ, k.rel)
		walkRewrite(rw, func(u *openfgav1.Userset) {
			switch v := u.GetUserset().(type) {
			case *openfgav1.Userset_ComputedUserset:
				r := v.ComputedUserset.GetRelation()
				cr.computed = append(cr.computed, r)
				stack = append(stack, relRef{k.typ, r})
			case *openfgav1.Userset_TupleToUserset:
				tt := chainTTU{tupleset: v.TupleToUserset.GetTupleset().GetRelation(), target: v.TupleToUserset.GetComputedUserset().GetRelation()}
				seen := map[string]bool{}
				for _, d := range m.DirectTypes(k.typ, tt.tupleset) {
					if d.Relation == "" && !d.IsWildcard() && m.HasRelation(d.Type, tt.target) && !seen[d.Type] {
						seen[d.Type] = true
						tt.types = append(tt.types, d.Type)
						stack = append(stack, relRef{d.Type, tt.target})
					}
				}
				cr.ttus = append(cr.ttus, tt)
			}
		})
	}
	var static func(k relRef) int // no cycle of computed relations (compiler.Flattened)
	static = func(k relRef) int {
		best := 0
		for _, r := range p.rels[k].computed {
			best = max(best, 1+static(relRef{k.typ, r}))
		}
		return best
	}
	for k := range p.flat {
		p.static[k] = static(k)
	}
	for k, cr := range p.rels {
		for _, r := range cr.computed {
			p.computedBy[relRef{k.typ, r}] = append(p.computedBy[relRef{k.typ, r}], k)
		}
		for _, tt := range cr.ttus {
			p.tuplesets[relRef{k.typ, tt.tupleset}] = append(p.tuplesets[relRef{k.typ, tt.tupleset}], k)
			for _, x := range tt.types {
				p.ttuBy[relRef{x, tt.target}] = append(p.ttuBy[relRef{x, tt.target}], ttuEdge{On: k, Tupleset: tt.tupleset})
			}
		}
	}
	return p
}

// touches reports whether tuples of typ#rel feed some effective subjects:
// as grants of a relation in the plan or as tuple-to-userset tuples.
func (p *chainPlan) touches(typ, rel string) bool {
	if p == nil {
		return false
	}
	_, grant := p.rels[relRef{typ, rel}]
	return grant || len(p.tuplesets[relRef{typ, rel}]) > 0
}

// shapes reports whether tuples of typ#rel are tuple-to-userset tuples of
// the plan: they change which nodes a walk reaches.
func (p *chainPlan) shapes(typ, rel string) bool {
	return p != nil && len(p.tuplesets[relRef{typ, rel}]) > 0
}

// walkChain visits the nodes the walk from start reaches through computed
// relations and tuple-to-userset steps, breadth first, so each is visited
// at its fewest steps, until visit returns false. It returns the edges
// followed out of every node visited.
func (st *state) walkChain(svc string, p *chainPlan, start node, visit func(n node, steps int) bool) map[node][]node {
	steps := map[node]int{start: 0}
	order := []node{start}
	adj := map[node][]node{}
	for i := 0; i < len(order); i++ {
		n := order[i]
		if !visit(n, steps[n]) {
			break
		}
		next := st.chainChildren(svc, p, n, nil)
		adj[n] = next
		for _, c := range next {
			if _, seen := steps[c]; !seen {
				steps[c] = steps[n] + 1
				order = append(order, c)
			}
		}
	}
	return adj
}

// chainChildren appends to out the nodes the walk steps to from n: the
// relations n's rewrite computes, and the targets of its tuple-to-userset
// steps on the objects its tupleset tuples point at.
func (st *state) chainChildren(svc string, p *chainPlan, n node, out []node) []node {
	cr := p.rels[relRef{n.typ, n.rel}]
	for _, r := range cr.computed {
		out = append(out, node{n.typ, n.id, r})
	}
	for _, tt := range cr.ttus {
		for _, x := range tt.types {
			for pid := range st.userIDs(svc, n.typ, n.id, tt.tupleset, x, "") {
				if pid != tuple.Wildcard {
					out = append(out, node{x, pid, tt.target})
				}
			}
		}
	}
	return out
}

// ids returns the map at a path of the closures (c, y or g), or nil.
func (ts *tuples) ids(keys ...string) map[string]any {
	v, err := lookup(map[string]any(ts.closures), keys)
	if err != nil {
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}

// subjects calls fn for every subject the model admits among the direct
// tuples of n.
func (st *state) subjects(svc string, cr *chainRel, n node, fn func(u tuple.User)) {
	for _, d := range cr.direct {
		switch {
		case d.Relation != "":
			for id := range st.userIDs(svc, n.typ, n.id, n.rel, d.Type, d.Relation) {
				fn(tuple.User{Type: d.Type, ID: id, Relation: d.Relation})
			}
		case d.IsWildcard():
			if st.has(svc, tuple.Tuple{Object: tuple.Object{Type: n.typ, ID: n.id}, Relation: n.rel, User: d}) {
				fn(tuple.User{Type: d.Type, ID: tuple.Wildcard})
			}
		default:
			for id := range st.userIDs(svc, n.typ, n.id, n.rel, d.Type, "") {
				if id != tuple.Wildcard {
					fn(tuple.User{Type: d.Type, ID: id})
				}
			}
		}
	}
}

// admits reports whether cr keeps u as a subject.
func (cr *chainRel) admits(u tuple.User) bool {
	shape := tuple.User{Type: u.Type, Relation: u.Relation}
	if u.Relation == "" && u.IsWildcard() {
		shape.ID = tuple.Wildcard
	}
	for _, d := range cr.direct {
		if d == shape {
			return true
		}
	}
	return false
}

// recomputeChain rebuilds the effective subjects and height of node n. A
// node without subjects whose height is that of an object without tuples
// is not kept (the fast variant reads a missing height as that).
func (st *state) recomputeChain(svc string, p *chainPlan, n node) {
	users, sets := map[string]map[string]int{}, map[[2]string]map[string]int{}
	count := 0
	note := func(u tuple.User, steps int) {
		var m map[string]int
		if u.Relation != "" {
			if m = sets[[2]string{u.Type, u.Relation}]; m == nil {
				m = map[string]int{}
				sets[[2]string{u.Type, u.Relation}] = m
			}
		} else if m = users[u.Type]; m == nil {
			m = map[string]int{}
			users[u.Type] = m
		}
		if cur, ok := m[u.ID]; !ok || steps < cur {
			if !ok {
				count++
			}
			m[u.ID] = steps
		}
	}
	adj := st.walkChain(svc, p, n, func(x node, steps int) bool {
		st.subjects(svc, p.rels[relRef{x.typ, x.rel}], x, func(u tuple.User) { note(u, steps) })
		return true
	})
	h := height(n, adj)
	w := st.effs(svc)
	if count == 0 && h == p.static[relRef{n.typ, n.rel}] {
		w.put(n, nil)
		return
	}
	w.put(n, w.newEffSet(h, users, sets))
}

// height is the longest path from n along adj, or hCycle if a cycle is
// reachable.
func height(n node, adj map[node][]node) int {
	const (
		unseen = iota
		open
		done
	)
	state := map[node]int{}
	memo := map[node]int{}
	var walk func(x node) int
	walk = func(x node) int {
		switch state[x] {
		case open:
			return hCycle
		case done:
			return memo[x]
		}
		state[x] = open
		best := 0
		for _, c := range adj[x] {
			best = max(best, min(hCycle, 1+walk(c)))
		}
		state[x], memo[x] = done, best
		return best
	}
	return walk(n)
}

// recomputeChains rebuilds every effective subject of a service.
func (ts *tuples) recomputeChains(svc string, p *chainPlan) {
	delete(ts.eff, svc)
	if p == nil {
		return
	}
	var nodes []node
	for k := range p.flat {
		for id := range ts.fwd.objects(svc, k.typ) {
			nodes = append(nodes, node{k.typ, id, k.rel})
		}
	}
	newChainBuilder(&state{ts: ts}, svc, p, nil).storeAll(nodes)
}
