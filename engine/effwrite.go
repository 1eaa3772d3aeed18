package engine

import (
	"slices"

	"github.com/sentinel-auth/sentinel/tuple"
)

// effWriter is the effective subjects of one service as a writer reads and
// changes them (see state). In place (batch false), it changes the
// service's sets directly, under the write lock. For a batch, it keeps its
// changes beside the index until install: the sets it stored (nil: removed)
// and the ids it interned, numbered after the index's. A set of the index
// is never changed in place then, as checks read it meanwhile: own copies
// its list of groups into the batch first, and set and remove replace the
// arrays of the group they change rather than write into them, so a copy
// may share the others with the index's set.
type effWriter struct {
	base *effService // nil while the service has no sets

	batch bool
	sets  map[node]*effSet
	names []string // interned by the batch: symbol len(base.names)+i
	syms  map[string]uint32
}

// get returns the set of a node, or nil.
func (w *effWriter) get(n node) *effSet {
	if w.batch {
		if s, ok := w.sets[n]; ok {
			return s
		}
	}
	if w.base == nil {
		return nil
	}
	return w.base.get(n)
}

// own returns the set of a node for the writer to change with set and
// remove, or nil if the node has none.
func (w *effWriter) own(n node) *effSet {
	s := w.get(n)
	if !w.batch || s == nil {
		return s
	}
	if _, mine := w.sets[n]; mine {
		return s
	}
	s = &effSet{height: s.height, groups: slices.Clone(s.groups)}
	w.sets[n] = s
	return s
}

// put stores the set of a node; nil removes it.
func (w *effWriter) put(n node, s *effSet) {
	if w.batch {
		w.sets[n] = s
		return
	}
	w.base.put(n, s)
}

// symOf returns the symbol of an id, if it has one.
func (w *effWriter) symOf(id string) (uint32, bool) {
	if w.base != nil {
		if x, ok := w.base.syms[id]; ok {
			return x, true
		}
	}
	x, ok := w.syms[id]
	return x, ok
}

// sym interns an id.
func (w *effWriter) sym(id string) uint32 {
	if !w.batch {
		return w.base.sym(id)
	}
	if x, ok := w.symOf(id); ok {
		return x
	}
	x := uint32(len(w.names))
	if w.base != nil {
		x += uint32(len(w.base.names))
	}
	w.syms[id] = x
	w.names = append(w.names, id)
	return x
}

// install stores the batch's symbols and sets into ix.
func (w *effWriter) install(ix effIndex, svc string) {
	sv := ix[svc]
	if sv == nil {
		if !w.stores() {
			return // only removals from a service without sets
		}
		sv = ix.service(svc, true)
	}
	for _, id := range w.names {
		sv.sym(id)
	}
	for n, s := range w.sets {
		sv.put(n, s)
	}
}

// stores reports whether the batch interned an id or stored a set.
func (w *effWriter) stores() bool {
	for _, s := range w.sets {
		if s != nil {
			return true
		}
	}
	return len(w.names) > 0
}

// lookup returns the steps from s to subject u.
func (w *effWriter) lookup(s *effSet, u tuple.User) (int, bool) {
	x, ok := w.symOf(u.ID)
	if !ok {
		return 0, false
	}
	return s.steps(u.Type, u.Relation, x)
}

// set records steps to subject u in s (an own set), in new arrays.
func (w *effWriter) set(s *effSet, u tuple.User, steps int) {
	gi := s.group(u.Type, u.Relation)
	if gi < 0 {
		s.groups = append(s.groups, effGroup{typ: u.Type, rel: u.Relation})
		gi = len(s.groups) - 1
	}
	g := &s.groups[gi]
	x := w.sym(u.ID)
	i, ok := slices.BinarySearch(g.ids, x)
	if ok {
		g.steps = slices.Clone(g.steps)
		g.steps[i] = stepsByte(steps)
		return
	}
	g.ids = inserted(g.ids, i, x)
	g.steps = inserted(g.steps, i, stepsByte(steps))
}

// inserted returns a new slice: a with v inserted at i.
func inserted[T any](a []T, i int, v T) []T {
	out := make([]T, len(a)+1)
	copy(out, a[:i])
	out[i] = v
	copy(out[i+1:], a[i:])
	return out
}

// remove deletes subject u from s (an own set), in new arrays.
func (w *effWriter) remove(s *effSet, u tuple.User) {
	gi := s.group(u.Type, u.Relation)
	x, ok := w.symOf(u.ID)
	if gi < 0 || !ok {
		return
	}
	g := &s.groups[gi]
	i, ok := slices.BinarySearch(g.ids, x)
	if !ok {
		return
	}
	if len(g.ids) == 1 {
		s.groups = slices.Delete(s.groups, gi, gi+1)
		return
	}
	g.ids = slices.Concat(g.ids[:i], g.ids[i+1:])
	g.steps = slices.Concat(g.steps[:i], g.steps[i+1:])
}

// newEffSet builds a set from users (userType → userId → steps) and sets
// ([setType, setRel] → setId → steps).
func (w *effWriter) newEffSet(height int, users map[string]map[string]int, sets map[[2]string]map[string]int) *effSet {
	s := &effSet{height: height}
	add := func(typ, rel string, ids map[string]int) {
		g := effGroup{typ: typ, rel: rel, ids: make([]uint32, 0, len(ids)), steps: make([]uint8, len(ids))}
		steps := make(map[uint32]int, len(ids))
		for id, n := range ids {
			x := w.sym(id)
			g.ids = append(g.ids, x)
			steps[x] = n
		}
		slices.Sort(g.ids)
		for i, x := range g.ids {
			g.steps[i] = stepsByte(steps[x])
		}
		s.groups = append(s.groups, g)
	}
	for typ, ids := range users {
		add(typ, "", ids)
	}
	for k, ids := range sets {
		add(k[0], k[1], ids)
	}
	return s
}
