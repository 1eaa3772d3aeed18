package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Expand returns the userset tree of req.Object#req.Relation one level deep,
// as OpenFGA's Expand does: direct users as leaves, computed relations and
// tuple-to-userset hops as references to expand next. Only user types the
// current model admits are listed.
func (e *Engine) Expand(_ context.Context, serviceID string, req ExpandRequest) (*UsersetTree, error) {
	c := e.current(serviceID)
	if c == nil {
		return nil, ErrNoModel
	}
	m := c.model
	if !m.HasType(req.Object.Type) {
		return nil, fmt.Errorf("%w: type %q is not defined in the authorization model", ErrInvalidRequest, req.Object.Type)
	}
	rw, ok := m.Relation(req.Object.Type, req.Relation)
	if !ok {
		return nil, fmt.Errorf("%w: relation %q is not defined on type %q", ErrInvalidRequest, req.Relation, req.Object.Type)
	}
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()
	x := expander{m: m, ts: e.store.data, svc: serviceID, obj: req.Object, rel: req.Relation}
	return x.node(rw), nil
}

type expander struct {
	m   *model.Model
	ts  *tuples
	svc string
	obj tuple.Object
	rel string
}

func (x expander) name() string { return x.obj.String() + "#" + x.rel }

func (x expander) node(u *openfgav1.Userset) *UsersetTree {
	n := &UsersetTree{Name: x.name()}
	switch v := u.GetUserset().(type) {
	case *openfgav1.Userset_This:
		n.Users, n.direct = x.direct(x.rel), true
	case *openfgav1.Userset_ComputedUserset:
		n.Computed = x.obj.String() + "#" + v.ComputedUserset.GetRelation()
	case *openfgav1.Userset_TupleToUserset:
		ts := v.TupleToUserset.GetTupleset().GetRelation()
		target := v.TupleToUserset.GetComputedUserset().GetRelation()
		ttu := &TupleToUserset{Tupleset: x.obj.String() + "#" + ts, Computed: []string{}}
		for _, d := range x.m.DirectTypes(x.obj.Type, ts) {
			if d.Relation != "" || d.IsWildcard() || !x.m.HasRelation(d.Type, target) {
				continue
			}
			for _, id := range x.ids(ts, d.Type, "") {
				if id != tuple.Wildcard {
					ttu.Computed = append(ttu.Computed, d.Type+":"+id+"#"+target)
				}
			}
		}
		sort.Strings(ttu.Computed)
		n.TupleToUserset = ttu
	case *openfgav1.Userset_Union:
		for _, c := range v.Union.GetChild() {
			n.Union = append(n.Union, x.node(c))
		}
	case *openfgav1.Userset_Intersection:
		for _, c := range v.Intersection.GetChild() {
			n.Intersection = append(n.Intersection, x.node(c))
		}
	case *openfgav1.Userset_Difference:
		n.Difference = &Difference{Base: x.node(v.Difference.GetBase()), Subtract: x.node(v.Difference.GetSubtract())}
	}
	return n
}

// direct lists the users assigned to rel that the model admits.
func (x expander) direct(rel string) []string {
	var out []string
	for _, d := range x.m.DirectTypes(x.obj.Type, rel) {
		switch {
		case d.Relation != "":
			for _, id := range x.ids(rel, d.Type, d.Relation) {
				out = append(out, d.Type+":"+id+"#"+d.Relation)
			}
		case d.IsWildcard():
			if x.ts.has(x.svc, tuple.Tuple{Object: x.obj, Relation: rel, User: tuple.User{Type: d.Type, ID: tuple.Wildcard}}) {
				out = append(out, d.Type+":*")
			}
		default:
			for _, id := range x.ids(rel, d.Type, "") {
				if id != tuple.Wildcard {
					out = append(out, d.Type+":"+id)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// ids returns, sorted, the ids of the users of type utype (userset
// relation urel) assigned rel on the object.
func (x expander) ids(rel, utype, urel string) []string {
	return slices.Sorted(x.ts.users(x.svc, x.obj.Type, x.obj.ID, rel, utype, urel))
}
