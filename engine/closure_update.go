package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// Closures after a batch. A change to the nesting (a userset member, such
// as group:eng#member in group:all) can change every member of the objects
// above it, which are recomputed whole. A change of a plain member (a user
// or the wildcard) changes only its own entry in each object above: its
// distance to the nearest object it is directly in, which one breadth-first
// walk up from those objects gives. Recomputing a group and its ancestors
// whole for one user took ≈130 µs at 1M tuples (half the CPU of the bench
// write load); the walk up visits the few groups above.

// closureChanges are a batch's changed tuples of one membership relation.
type closureChanges struct {
	cl      closable
	nesting bool                    // a userset member changed: recompute whole
	ids     []string                // the objects changed
	members map[tuple.User][]string // plain member → the objects it changed in
}

// followClosures brings the closures in line with the changed tuples muts,
// once all of them are applied to st. closables returns the membership
// relations of a service's model.
func (st *state) followClosures(muts []Mutation, closables func(svc string) map[[2]string]closable) {
	changes := map[[3]string]*closureChanges{}
	var order [][3]string
	for _, m := range muts {
		cl, ok := closables(m.ServiceID)[[2]string{m.Tuple.Object.Type, m.Tuple.Relation}]
		if !ok {
			continue
		}
		key := [3]string{m.ServiceID, cl.typ, cl.rel}
		c := changes[key]
		if c == nil {
			c = &closureChanges{cl: cl, members: map[tuple.User][]string{}}
			changes[key] = c
			order = append(order, key)
		}
		c.ids = append(c.ids, m.Tuple.Object.ID)
		if m.Tuple.User.Relation != "" {
			c.nesting = true
		} else {
			c.members[m.Tuple.User] = append(c.members[m.Tuple.User], m.Tuple.Object.ID)
		}
	}
	for _, key := range order {
		c, svc := changes[key], key[0]
		if c.nesting {
			done := map[string]bool{}
			for _, id := range c.ids {
				st.recomputeWithAncestors(svc, c.cl, id, done)
			}
			continue
		}
		for u, ids := range c.members {
			st.memberChanged(svc, c.cl, u, ids)
		}
	}
}

// memberChanged updates plain member u's entries in the closures of the
// objects ids and of every object above them, and in the transposed
// closure, after u was added to or removed from ids. The nesting has not
// changed (else they are recomputed whole).
func (st *state) memberChanged(svc string, cl closable, u tuple.User, ids []string) {
	if !cl.keeps(u) {
		return
	}
	var in []string
	for id := range st.objects(revKey{svc, u.Type, u.ID, "", cl.typ, cl.rel}) {
		in = append(in, id)
	}
	dist := st.above(svc, cl, in)
	for id := range st.above(svc, cl, ids) {
		d, now := dist[id]
		old, had := st.ts.closureEntry(svc, cl, id, u)
		switch {
		case now && (!had || old != d):
			st.edit([]string{"c", svc, cl.typ, id, cl.rel, u.Type, u.ID}, d)
			st.edit([]string{"g", svc, cl.typ, cl.rel, u.Type, u.ID, id}, d)
		case !now && had:
			st.edit([]string{"c", svc, cl.typ, id, cl.rel, u.Type, u.ID}, nil)
			st.edit([]string{"g", svc, cl.typ, cl.rel, u.Type, u.ID, id}, nil)
		}
	}
}

// keeps reports whether the closure of cl holds member u.
func (cl closable) keeps(u tuple.User) bool {
	types := cl.plain
	if u.ID == tuple.Wildcard {
		types = cl.wildcard
	}
	for _, t := range types {
		if t == u.Type {
			return true
		}
	}
	return false
}

// above returns the objects whose membership nests one of from, with the
// fewest steps down to one (from themselves at 0), breadth first.
func (st *state) above(svc string, cl closable, from []string) map[string]int {
	dist := make(map[string]int, len(from))
	queue := make([]string, 0, len(from))
	for _, id := range from {
		if _, seen := dist[id]; !seen {
			dist[id] = 0
			queue = append(queue, id)
		}
	}
	for i := 0; i < len(queue); i++ {
		n := queue[i]
		for parent := range st.objects(revKey{svc, cl.typ, n, cl.rel, cl.typ, cl.rel}) {
			if _, seen := dist[parent]; !seen {
				dist[parent] = dist[n] + 1
				queue = append(queue, parent)
			}
		}
	}
	return dist
}

// closureEntry returns the distance of member u in the closure of id, as
// the index holds it.
func (ts *tuples) closureEntry(svc string, cl closable, id string, u tuple.User) (int, bool) {
	v, err := lookup(map[string]any(ts.closures), []string{"c", svc, cl.typ, id, cl.rel, u.Type, u.ID})
	d, ok := v.(int)
	return d, err == nil && ok
}
