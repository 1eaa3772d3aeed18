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
}

func newEdges(m *model.Model) *edges {
	e := &edges{m: m, computed: map[relRef][]relRef{}, ttu: map[relRef][]ttuEdge{}, exact: map[relRef]bool{}, admits: map[relRef]map[tuple.User]bool{}}
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
	return e
}

func walkRewrite(u *openfgav1.Userset, fn func(*openfgav1.Userset)) {
	fn(u)
	for _, c := range children(u) {
		walkRewrite(c, fn)
	}
}

func children(u *openfgav1.Userset) []*openfgav1.Userset {
	switch v := u.GetUserset().(type) {
	case *openfgav1.Userset_Union:
		return v.Union.GetChild()
	case *openfgav1.Userset_Intersection:
		return v.Intersection.GetChild()
	case *openfgav1.Userset_Difference:
		return []*openfgav1.Userset{v.Difference.GetBase(), v.Difference.GetSubtract()}
	}
	return nil
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
func (e *edges) expandFrom(ts, overlay *tuples, svc string, user tuple.User, target relRef, maxDepth int) (map[string]bool, bool) {
	found := map[string]bool{}
	seen := map[node]bool{}
	var frontier []node
	visit := func(n node) {
		if seen[n] {
			return
		}
		seen[n] = true
		frontier = append(frontier, n)
		if n.typ == target.typ && n.rel == target.rel {
			found[n.id] = true
		}
	}
	// objects reports the ids of objType#rel assigned to u, in the index and overlay.
	assigned := func(u tuple.User, fn func(objType, rel string, ids map[string]struct{})) {
		for _, src := range []*tuples{ts, overlay} {
			if src == nil {
				continue
			}
			for k := range src.users[userKey{svc, u.Type, u.ID, u.Relation}] {
				fn(k[0], k[1], src.rev[revKey{svc, u.Type, u.ID, u.Relation, k[0], k[1]}])
			}
		}
	}
	direct := func(u, shape tuple.User) {
		assigned(u, func(objType, rel string, ids map[string]struct{}) {
			if !e.admits[relRef{objType, rel}][shape] {
				return // a tuple the current model does not admit is ignored
			}
			for id := range ids {
				visit(node{objType, id, rel})
			}
		})
	}
	switch {
	case user.Relation != "":
		visit(node{user.Type, user.ID, user.Relation}) // a userset contains itself
		direct(user, tuple.User{Type: user.Type, Relation: user.Relation})
	case user.IsWildcard():
		direct(user, tuple.User{Type: user.Type, ID: tuple.Wildcard})
	default:
		direct(user, tuple.User{Type: user.Type})
		direct(tuple.User{Type: user.Type, ID: tuple.Wildcard}, tuple.User{Type: user.Type, ID: tuple.Wildcard})
	}
	cut := false
	for depth := 0; len(frontier) > 0; depth++ {
		if depth >= maxDepth {
			cut = true
			break
		}
		current := frontier
		frontier = nil
		for _, n := range current {
			from := relRef{n.typ, n.rel}
			// Usersets: tuples whose user is n.typ:n.id#n.rel.
			direct(tuple.User{Type: n.typ, ID: n.id, Relation: n.rel}, tuple.User{Type: n.typ, Relation: n.rel})
			for _, on := range e.computed[from] {
				visit(node{on.typ, n.id, on.rel})
			}
			for _, edge := range e.ttu[from] {
				for _, src := range []*tuples{ts, overlay} {
					if src == nil {
						continue
					}
					for id := range src.rev[revKey{svc, n.typ, n.id, "", edge.On.typ, edge.Tupleset}] {
						visit(node{edge.On.typ, id, edge.On.rel})
					}
				}
			}
		}
	}
	return found, cut
}
