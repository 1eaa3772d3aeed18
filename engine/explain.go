package engine

import (
	"fmt"
	"slices"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// verdict is a three-valued answer: a cycle is unknown, as in OpenFGA.
type verdict int

const (
	vNo verdict = iota
	vUnknown
	vYes
)

// explainer re-derives a decision over the index, recording the steps. It
// runs only for explain requests, after the compiled Rego has decided; it
// follows the same semantics (tested against each other).
type explainer struct {
	m        *model.Model
	ts, ov   *tuples
	svc      string
	user     tuple.User
	maxDepth int
	path     map[string]bool
}

// ids returns, sorted, the ids of the users of type utype (userset
// relation urel) assigned rel on obj, in the index or the overlay.
func (x *explainer) ids(obj tuple.Object, rel, utype, urel string) []string {
	set := map[string]bool{}
	for _, src := range []*tuples{x.ts, x.ov} {
		if src == nil {
			continue
		}
		for id := range src.users(x.svc, obj.Type, obj.ID, rel, utype, urel) {
			set[id] = true
		}
	}
	return sortedKeys(set)
}

// check returns the verdict of obj#rel and, when yes, the steps of one proof.
func (x *explainer) check(obj tuple.Object, rel string, depth int) (verdict, []string) {
	name := obj.String() + "#" + rel
	if x.user.Relation == rel && x.user.Type == obj.Type && x.user.ID == obj.ID {
		return vYes, []string{name + " is the user itself"}
	}
	if x.path[name] {
		return vUnknown, nil
	}
	if depth > x.maxDepth {
		return vUnknown, []string{name + ": deeper than the resolution limit"}
	}
	x.path[name] = true
	defer delete(x.path, name)
	rw, _ := x.m.Relation(obj.Type, rel)
	v, steps := x.eval(obj, rel, rw, depth)
	return v, steps
}

func (x *explainer) eval(obj tuple.Object, rel string, rw *openfgav1.Userset, depth int) (verdict, []string) {
	name := obj.String() + "#" + rel
	switch v := rw.GetUserset().(type) {
	case *openfgav1.Userset_This:
		best := vNo
		for _, d := range x.m.DirectTypes(obj.Type, rel) {
			switch {
			case d.Relation != "":
				for _, id := range x.ids(obj, rel, d.Type, d.Relation) {
					u := tuple.User{Type: d.Type, ID: id, Relation: d.Relation}
					step := fmt.Sprintf("%s@%s (tuple)", name, u)
					if u == x.user {
						return vYes, []string{step}
					}
					r, sub := x.check(tuple.Object{Type: d.Type, ID: id}, d.Relation, depth+1)
					if r == vYes {
						return vYes, append([]string{step}, sub...)
					}
					best = max(best, r)
				}
			case d.IsWildcard():
				if x.user.Relation == "" && x.user.Type == d.Type && slices.Contains(x.ids(obj, rel, d.Type, ""), tuple.Wildcard) {
					return vYes, []string{fmt.Sprintf("%s@%s:* (wildcard tuple)", name, d.Type)}
				}
			default:
				if x.user.Relation == "" && x.user.Type == d.Type && x.user.ID != tuple.Wildcard && slices.Contains(x.ids(obj, rel, d.Type, ""), x.user.ID) {
					return vYes, []string{fmt.Sprintf("%s@%s (tuple)", name, x.user)}
				}
			}
		}
		return best, nil
	case *openfgav1.Userset_ComputedUserset:
		to := v.ComputedUserset.GetRelation()
		r, sub := x.check(obj, to, depth+1)
		return r, append([]string{fmt.Sprintf("%s ← %s#%s (computed)", name, obj, to)}, sub...)
	case *openfgav1.Userset_TupleToUserset:
		ts, target := v.TupleToUserset.GetTupleset().GetRelation(), v.TupleToUserset.GetComputedUserset().GetRelation()
		best := vNo
		for _, d := range x.m.DirectTypes(obj.Type, ts) {
			if d.Relation != "" || d.IsWildcard() || !x.m.HasRelation(d.Type, target) {
				continue
			}
			for _, id := range x.ids(obj, ts, d.Type, "") {
				if id == tuple.Wildcard {
					continue
				}
				parent := tuple.Object{Type: d.Type, ID: id}
				r, sub := x.check(parent, target, depth+1)
				if r == vYes {
					return vYes, append([]string{fmt.Sprintf("%s ← %s#%s (via %s#%s@%s)", name, parent, target, obj, ts, parent)}, sub...)
				}
				best = max(best, r)
			}
		}
		return best, nil
	case *openfgav1.Userset_Union:
		best := vNo
		for _, c := range v.Union.GetChild() {
			r, sub := x.eval(obj, rel, c, depth)
			if r == vYes {
				return vYes, sub
			}
			best = max(best, r)
		}
		return best, nil
	case *openfgav1.Userset_Intersection:
		steps := []string{name + ": every branch of an intersection"}
		for _, c := range v.Intersection.GetChild() {
			r, sub := x.eval(obj, rel, c, depth)
			if r != vYes {
				return r, nil
			}
			steps = append(steps, sub...)
		}
		return vYes, steps
	case *openfgav1.Userset_Difference:
		base, steps := x.eval(obj, rel, v.Difference.GetBase(), depth)
		if base == vNo {
			return vNo, nil
		}
		sub, _ := x.eval(obj, rel, v.Difference.GetSubtract(), depth)
		r := min(base, vYes-sub)
		if r == vYes {
			steps = append(steps, name+": the excluded branch does not apply")
		}
		return r, steps
	}
	return vNo, nil
}

// tried describes, for a denied check, each top-level branch and its
// verdict; for an exclusion, the branches of its base and whether the
// excluded relation applied.
func (x *explainer) tried(obj tuple.Object, rel string) []string {
	rw, _ := x.m.Relation(obj.Type, rel)
	name := obj.String() + "#" + rel
	x.path[name] = true
	verdict := func(u *openfgav1.Userset) string {
		r, _ := x.eval(obj, rel, u, 0)
		return [...]string{"false", "false (cycle)", "true"}[r]
	}
	var out []string
	if d, ok := rw.GetUserset().(*openfgav1.Userset_Difference); ok {
		for _, b := range unionBranches(d.Difference.GetBase()) {
			out = append(out, fmt.Sprintf("%s: %s → %s", name, describe(b), verdict(b)))
		}
		sub := d.Difference.GetSubtract()
		return append(out, fmt.Sprintf("%s: excluded by %s → %s", name, describe(sub), verdict(sub)))
	}
	for _, b := range unionBranches(rw) {
		out = append(out, fmt.Sprintf("%s: %s → %s", name, describe(b), verdict(b)))
	}
	return out
}

// unionBranches returns a union's children, or the rewrite itself.
func unionBranches(u *openfgav1.Userset) []*openfgav1.Userset {
	if v, ok := u.GetUserset().(*openfgav1.Userset_Union); ok {
		return v.Union.GetChild()
	}
	return []*openfgav1.Userset{u}
}

// describe names a rewrite briefly, in DSL terms.
func describe(u *openfgav1.Userset) string {
	switch v := u.GetUserset().(type) {
	case *openfgav1.Userset_This:
		return "direct assignment"
	case *openfgav1.Userset_ComputedUserset:
		return v.ComputedUserset.GetRelation()
	case *openfgav1.Userset_TupleToUserset:
		return v.TupleToUserset.GetComputedUserset().GetRelation() + " from " + v.TupleToUserset.GetTupleset().GetRelation()
	case *openfgav1.Userset_Intersection:
		return "intersection"
	case *openfgav1.Userset_Difference:
		return "exclusion"
	case *openfgav1.Userset_Union:
		return "union"
	}
	return "rewrite"
}
