package engine

import (
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Contextual tuples and flattened chains. A contextual grant (a tuple of a
// relation in the chain plan) adds a subject to the nodes whose walk
// reaches it, for one evaluation: effOverlay holds those entries, found by
// the same backward walk as a write (chainChange), and the store's reads of
// data.sentinel.e and .f see them. Contextual tuples that change the shape
// of a walk (tuple-to-userset tuples) or a membership closure are not
// reflected: the request goes to the careful variant (tuples.careful).

// effOverlay is the subjects contextual grants add, each only where it is
// nearer than in the index.
type effOverlay struct {
	svc      string
	subjects map[node]map[tuple.User]int
}

// chainOverlay computes the overlay of grants. It must run under the
// store's read lock, in the transaction that evaluates with it.
func (ts *tuples) chainOverlay(svc string, p *chainPlan, grants []tuple.Tuple) *effOverlay {
	ov := &effOverlay{svc: svc, subjects: map[node]map[tuple.User]int{}}
	st := &state{ts: ts}
	for _, t := range grants {
		cr := p.rels[relRef{t.Object.Type, t.Relation}]
		if cr == nil || !cr.admits(t.User) {
			continue
		}
		st.chainAncestors(svc, p, node{t.Object.Type, t.Object.ID, t.Relation}, func(n node, steps int) {
			if !p.flat[relRef{n.typ, n.rel}] {
				return
			}
			if set := ts.eff.get(svc, n); set != nil {
				if cur, ok := ts.eff[svc].lookup(set, t.User); ok && cur <= steps {
					return
				}
			}
			m := ov.subjects[n]
			if m == nil {
				m = map[tuple.User]int{}
				ov.subjects[n] = m
			}
			if cur, ok := m[t.User]; !ok || steps < cur {
				m[t.User] = steps
			}
		})
	}
	return ov
}

// read returns the index's answer v (or err) for a path under e, f, h or
// u with the overlay's entries added.
func (ov *effOverlay) read(path storage.Path, v any, err error) (any, error) {
	if path[0] == "h" || len(ov.subjects) == 0 || (path[0] == "u" && len(path) != 7) {
		return v, err
	}
	if len(path) >= 5 && path[1] == ov.svc {
		m := ov.subjects[node{path[2], path[3], path[4]}]
		rest := path[5:]
		switch {
		case m == nil:
			return v, err
		case path[0] == "u" && len(rest) == 2:
			for _, id := range []string{rest[1], tuple.Wildcard} {
				if steps, ok := m[tuple.User{Type: rest[0], ID: id}]; ok {
					if cur, isInt := v.(int); err != nil || !isInt || steps < cur {
						v, err = steps, nil
					}
				}
			}
			return v, err
		case path[0] == "e" && len(rest) == 2:
			if steps, ok := m[tuple.User{Type: rest[0], ID: rest[1]}]; ok {
				return steps, nil
			}
			return v, err
		case path[0] == "f" && len(rest) == 3:
			if steps, ok := m[tuple.User{Type: rest[0], Relation: rest[1], ID: rest[2]}]; ok {
				return steps, nil
			}
			return v, err
		}
	}
	// A shorter path: the overlay as maps, merged (its steps are never more
	// than the index's, so merge may let them replace the index's).
	maps := map[string]any{}
	for n, subjects := range ov.subjects {
		for u, steps := range subjects {
			if (u.Relation != "") != (path[0] == "f") {
				continue
			}
			m := child(child(child(child(child(maps, ov.svc), n.typ), n.id), n.rel), u.Type)
			if u.Relation != "" {
				m = child(m, u.Relation)
			}
			m[u.ID] = steps
		}
	}
	o, oerr := lookup(maps, path[1:])
	switch {
	case oerr != nil:
		return v, err
	case err != nil:
		return o, nil
	}
	return merge(v, o), nil
}
