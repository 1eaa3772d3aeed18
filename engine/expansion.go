package engine

import (
	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// relRef names a relation of a type.
type relRef struct{ typ, rel string }

// ttuEdge: having rel on an object of some type X makes a user have On.rel
// on every object of On.typ whose Tupleset relation points at that object.
type ttuEdge struct {
	On       relRef
	Tupleset string
}

// edges are a model's reverse edges: what having one relation implies.
type edges struct {
	m *model.Model
	// computed[X#M] are the relations of X that include M (`define r: M`).
	computed map[relRef][]relRef
	// ttu[X#M] are the `M from P` rewrites whose tupleset admits type X.
	ttu map[relRef][]ttuEdge
	// exact[T#R]: every relation T#R can depend on is a plain union, so a
	// derivation found by reverse expansion is a proof.
	exact map[relRef]bool
	// admits[T#R] are the user shapes assignable to T#R.
	admits map[relRef]map[tuple.User]bool
	// usersets holds the X#M that some relation admits as a userset user
	// (group#member): only for those can a tuple name a node as its user.
	usersets map[relRef]bool
	// deps[T#R] are the relations T#R's rewrite reads: computed ones,
	// tuple-to-userset targets and admitted usersets.
	deps map[relRef][]relRef
}

func newEdges(m *model.Model) *edges {
	e := &edges{m: m, computed: map[relRef][]relRef{}, ttu: map[relRef][]ttuEdge{}, exact: map[relRef]bool{},
		admits: map[relRef]map[tuple.User]bool{}, usersets: map[relRef]bool{}}
	monotone := map[relRef]bool{}
	deps := map[relRef][]relRef{}
	for _, t := range m.Types() {
		for _, r := range m.Relations(t) {
			on := relRef{t, r}
			rw, _ := m.Relation(t, r)
			monotone[on] = true
			e.admits[on] = map[tuple.User]bool{}
			for _, d := range m.DirectTypes(t, r) {
				e.admits[on][d] = true
				if d.Relation != "" {
					deps[on] = append(deps[on], relRef{d.Type, d.Relation})
					e.usersets[relRef{d.Type, d.Relation}] = true
				}
			}
			walkRewrite(rw, func(u *openfgav1.Userset) {
				switch v := u.GetUserset().(type) {
				case *openfgav1.Userset_ComputedUserset:
					from := relRef{t, v.ComputedUserset.GetRelation()}
					e.computed[from] = append(e.computed[from], on)
					deps[on] = append(deps[on], from)
				case *openfgav1.Userset_TupleToUserset:
					ts, target := v.TupleToUserset.GetTupleset().GetRelation(), v.TupleToUserset.GetComputedUserset().GetRelation()
					for _, d := range m.DirectTypes(t, ts) {
						if d.Relation == "" && !d.IsWildcard() && m.HasRelation(d.Type, target) {
							from := relRef{d.Type, target}
							e.ttu[from] = append(e.ttu[from], ttuEdge{On: on, Tupleset: ts})
							deps[on] = append(deps[on], from)
						}
					}
				case *openfgav1.Userset_Intersection, *openfgav1.Userset_Difference:
					monotone[on] = false
				}
			})
		}
	}
	for on := range monotone {
		e.exact[on] = allReachable(on, deps, monotone)
	}
	e.deps = deps
	return e
}

// leadsTo returns target and every relation it depends on, directly or
// not: the only relations whose holders can hold target.
func (e *edges) leadsTo(target relRef) map[relRef]bool {
	out := map[relRef]bool{target: true}
	stack := []relRef{target}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range e.deps[n] {
			if !out[d] {
				out[d] = true
				stack = append(stack, d)
			}
		}
	}
	return out
}

func walkRewrite(u *openfgav1.Userset, fn func(*openfgav1.Userset)) {
	fn(u)
	for _, c := range model.Children(u) {
		walkRewrite(c, fn)
	}
}

// allReachable reports whether ok holds for start and everything it depends on.
func allReachable(start relRef, deps map[relRef][]relRef, ok map[relRef]bool) bool {
	seen := map[relRef]bool{start: true}
	stack := []relRef{start}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !ok[n] {
			return false
		}
		for _, d := range deps[n] {
			if !seen[d] {
				seen[d] = true
				stack = append(stack, d)
			}
		}
	}
	return true
}

// node is "the user has rel on typ:id".
type node struct{ typ, id, rel string }

// expandFrom finds the objects of target on which user may have the target
// relation, by following the reverse index and the model's reverse edges
// breadth first from the user. It reports whether the search was cut at
// maxDepth. It must run under the store's read lock.
//
// Visited nodes and each level's frontier are grouped by (type, relation),
// so a visit hashes only the object id: this search touches every object a
// user can reach, and per-visit cost is what a large list pays. Relations
// the target does not depend on are not followed (listing documents a user
// edits need not find what the user views): at 1M tuples that halves the
// heavy user's list.
func (e *edges) expandFrom(ts, overlay *tuples, svc string, user tuple.User, target relRef, maxDepth int) (map[string]struct{}, bool) {
	seen := map[relRef]map[string]struct{}{}
	next := map[relRef][]string{}
	relevant := e.leadsTo(target)
	// visit adds the ids not seen yet under ref to the next level: those
	// of list and of set (a reverse index entry, of the index whose
	// strTable is syms; ranged over in place, as the search visits one per
	// object and an iterator allocated each).
	visit := func(ref relRef, list []string, set idSet, syms *strTable) {
		if !relevant[ref] {
			return
		}
		have := seen[ref]
		if have == nil {
			have = map[string]struct{}{}
			seen[ref] = have
		}
		add := next[ref]
		one := func(id string) {
			if _, ok := have[id]; !ok {
				have[id] = struct{}{}
				add = append(add, id)
			}
		}
		for _, id := range list {
			one(id)
		}
		for _, x := range set.small {
			one(syms.str(x))
		}
		for id := range set.big {
			one(id)
		}
		if len(add) > 0 {
			next[ref] = add
		}
	}
	// direct visits the objects u is assigned to where the model admits u's shape.
	direct := func(u, shape tuple.User) {
		for _, src := range []*tuples{ts, overlay} {
			if src == nil {
				continue
			}
			for _, en := range src.rev[userKey{svc, u.Type, u.ID, u.Relation}] {
				ref := relRef{en.objType, en.rel}
				if !e.admits[ref][shape] {
					continue // a tuple the current model does not admit is ignored
				}
				visit(ref, nil, en.ids, src.strs)
			}
		}
	}
	switch {
	case user.Relation != "":
		// A userset contains itself.
		visit(relRef{user.Type, user.Relation}, []string{user.ID}, idSet{}, nil)
		direct(user, tuple.User{Type: user.Type, Relation: user.Relation})
	case user.IsWildcard():
		direct(user, tuple.User{Type: user.Type, ID: tuple.Wildcard})
	default:
		direct(user, tuple.User{Type: user.Type})
		direct(tuple.User{Type: user.Type, ID: tuple.Wildcard}, tuple.User{Type: user.Type, ID: tuple.Wildcard})
	}
	cut := false
	for depth := 0; len(next) > 0; depth++ {
		if depth >= maxDepth {
			cut = true
			break
		}
		current := next
		next = map[relRef][]string{}
		for from, ids := range current {
			if e.usersets[from] {
				for _, id := range ids {
					// Usersets: tuples whose user is from.typ:id#from.rel.
					direct(tuple.User{Type: from.typ, ID: id, Relation: from.rel}, tuple.User{Type: from.typ, Relation: from.rel})
				}
			}
			for _, on := range e.computed[from] {
				visit(on, ids, idSet{}, nil)
			}
			for _, edge := range e.ttu[from] {
				for _, src := range []*tuples{ts, overlay} {
					if src == nil {
						continue
					}
					for _, id := range ids {
						visit(edge.On, nil, src.rev.set(revKey{svc, from.typ, id, "", edge.On.typ, edge.Tupleset}), src.strs)
					}
				}
			}
		}
	}
	return seen[target], cut
}

// expandTo finds the users of the filter's shape related to start by
// following tuples forward from it, as OpenFGA's list users does: a user
// granted only through a wildcard is represented by the wildcard. Each
// visited userset of the filter's type and relation is itself a result (a
// userset contains itself). It reports whether the search was cut at
// maxDepth. It must run under the store's read lock.
func (e *edges) expandTo(ts, overlay *tuples, svc string, start node, filter tuple.User, maxDepth int) (map[string]bool, bool) {
	found := map[string]bool{}
	seen := map[node]bool{}
	frontier := []node{start}
	seen[start] = true
	visit := func(n node) {
		if !seen[n] {
			seen[n] = true
			frontier = append(frontier, n)
		}
	}
	ids := func(n node, utype, urel string) map[string]bool {
		out := map[string]bool{}
		for _, src := range []*tuples{ts, overlay} {
			if src == nil {
				continue
			}
			for id := range src.users(svc, n.typ, n.id, n.rel, utype, urel) {
				out[id] = true
			}
		}
		return out
	}
	for depth := 0; len(frontier) > 0; depth++ {
		if depth > maxDepth {
			return found, true
		}
		current := frontier
		frontier = nil
		for _, n := range current {
			if filter.Relation != "" && n.typ == filter.Type && n.rel == filter.Relation {
				found[n.typ+":"+n.id+"#"+n.rel] = true
			}
			rw, _ := e.m.Relation(n.typ, n.rel)
			e.forward(n, rw, filter, ids, visit, found)
		}
	}
	return found, false
}

// forward visits what one rewrite of node n leads to.
func (e *edges) forward(n node, rw *openfgav1.Userset, filter tuple.User, ids func(n node, utype, urel string) map[string]bool, visit func(node), found map[string]bool) {
	switch v := rw.GetUserset().(type) {
	case *openfgav1.Userset_This:
		for _, d := range e.m.DirectTypes(n.typ, n.rel) {
			switch {
			case d.Relation != "":
				for id := range ids(n, d.Type, d.Relation) {
					visit(node{d.Type, id, d.Relation})
				}
			case d.IsWildcard():
				if _, ok := ids(n, d.Type, "")[tuple.Wildcard]; ok && filter.Relation == "" && d.Type == filter.Type {
					found[d.Type+":*"] = true
				}
			default:
				if filter.Relation != "" || d.Type != filter.Type {
					continue
				}
				for id := range ids(n, d.Type, "") {
					if id != tuple.Wildcard {
						found[d.Type+":"+id] = true
					}
				}
			}
		}
	case *openfgav1.Userset_ComputedUserset:
		visit(node{n.typ, n.id, v.ComputedUserset.GetRelation()})
	case *openfgav1.Userset_TupleToUserset:
		ts, target := v.TupleToUserset.GetTupleset().GetRelation(), v.TupleToUserset.GetComputedUserset().GetRelation()
		for _, d := range e.m.DirectTypes(n.typ, ts) {
			if d.Relation != "" || d.IsWildcard() || !e.m.HasRelation(d.Type, target) {
				continue
			}
			for id := range ids(node{n.typ, n.id, ts}, d.Type, "") {
				if id != tuple.Wildcard {
					visit(node{d.Type, id, target})
				}
			}
		}
	case *openfgav1.Userset_Union:
		for _, c := range v.Union.GetChild() {
			e.forward(n, c, filter, ids, visit, found)
		}
	case *openfgav1.Userset_Intersection:
		for _, c := range v.Intersection.GetChild() {
			e.forward(n, c, filter, ids, visit, found)
		}
	case *openfgav1.Userset_Difference:
		// Users of the subtracted side are never granted by it.
		e.forward(n, v.Difference.GetBase(), filter, ids, visit, found)
	}
}
