package model

import (
	openfgav1 "github.com/openfga/api/proto/openfga/v1"
)

// relKey names one relation of one type.
type relKey struct{ typ, rel string }

// checkEntrypoints reports every relation that has no entrypoint: one that
// no set of tuples can ever satisfy, because every way of satisfying it
// leads back to itself (define viewer: viewer, or a: b with b: a) or to
// another such relation. OpenFGA rejects these models ("no entrypoints").
//
// A relation has an entrypoint when its rewrite does, where
//   - [types] has one if it allows a plain type or a wildcard, or a userset
//     type#rel whose rel has one;
//   - a computed userset has one if its target relation has;
//   - "x from ts" has one if x has one on some type ts may hold;
//   - a union needs one child with one, an intersection all children,
//     an exclusion both the base and the subtracted part (as in OpenFGA).
//
// This is a least fixed point: start with no relation satisfiable and keep
// marking relations whose rewrite has an entrypoint until nothing changes.
// Recursion through tuples (group#member: [user, group#member], or
// viewer from parent) is fine as long as some path bottoms out.
func (m *Model) checkEntrypoints(p *problems, src *source) {
	has := m.entrypoints()
	m.eachRelation(func(t, rel string, _ *openfgav1.Userset) {
		if !has[relKey{t, rel}] {
			p.add(src.relationPos(t, rel),
				"%s#%s has no entrypoint: no tuple can ever satisfy it, because its definition only leads back to itself "+
					"or to relations without an entrypoint (an intersection or exclusion needs one on every side)",
				t, rel)
		}
	})
}

// entrypoints returns the set of relations that have an entrypoint.
func (m *Model) entrypoints() map[relKey]bool {
	has := map[relKey]bool{}
	for changed := true; changed; {
		changed = false
		m.eachRelation(func(t, rel string, rw *openfgav1.Userset) {
			k := relKey{t, rel}
			if !has[k] && m.satisfiable(has, t, rel, rw) {
				has[k] = true
				changed = true
			}
		})
	}
	return has
}

// satisfiable evaluates one rewrite of t#rel given the relations already
// known to have an entrypoint.
func (m *Model) satisfiable(has map[relKey]bool, t, rel string, us *openfgav1.Userset) bool {
	switch u := us.GetUserset().(type) {
	case *openfgav1.Userset_This:
		for _, ref := range m.refs(t, rel) {
			if ref.GetRelation() == "" || has[relKey{ref.GetType(), ref.GetRelation()}] {
				return true
			}
		}
		return false
	case *openfgav1.Userset_ComputedUserset:
		return has[relKey{t, u.ComputedUserset.GetRelation()}]
	case *openfgav1.Userset_TupleToUserset:
		cr := u.TupleToUserset.GetComputedUserset().GetRelation()
		for _, ref := range m.refs(t, u.TupleToUserset.GetTupleset().GetRelation()) {
			if has[relKey{ref.GetType(), cr}] {
				return true
			}
		}
		return false
	case *openfgav1.Userset_Union:
		for _, c := range u.Union.GetChild() {
			if m.satisfiable(has, t, rel, c) {
				return true
			}
		}
		return false
	case *openfgav1.Userset_Intersection:
		for _, c := range u.Intersection.GetChild() {
			if !m.satisfiable(has, t, rel, c) {
				return false
			}
		}
		return true
	case *openfgav1.Userset_Difference:
		return m.satisfiable(has, t, rel, u.Difference.GetBase()) &&
			m.satisfiable(has, t, rel, u.Difference.GetSubtract())
	}
	return false
}
