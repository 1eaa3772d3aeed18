package engine

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/tuple"
)

// effIndex holds the effective subjects of flattened relations (chain.go)
// compactly, and serves them to OPA as if they were the nested maps
//
//	data.sentinel.e[svc][type][id][rel][userType][userId] = steps
//	data.sentinel.f[svc][type][id][rel][setType][setRel][setId] = steps
//	data.sentinel.h[svc][type][id][rel] = height
//	data.sentinel.u[svc][type][id][rel][userType][userId] = steps  (a view: e's steps to the
//	                                                        user or to its type's wildcard, the nearer)
//
// u exists so that a plain user's check reads once what it would read twice
// in e; it answers full paths only. A height reads as hCycle (2^30) where
// the walk can go round a cycle, and also while any membership relation of
// the service has a cycle (data.sentinel.y, closure.go): the fast variant
// answers a denial only below its depth limit, so the one read of h tells
// it both, and leaves a service with a group cycle to the careful variant.
//
// Why not nested maps like the tuples: every document's set repeats the
// grants of all its ancestors. At 1M generated tuples that is 4.5M entries,
// and as Go maps (a map per object, relation and user type, each sized for
// growth) they took 630 MiB of heap, more than the tuples themselves. Here a
// set is, per user type, a sorted slice of ids (sharing the id strings of
// the tuple index) with a byte of steps each: ≈17 bytes an entry. A read of
// a whole entry is two small map lookups and a binary search; a read of a
// shorter path (iteration, or a policy reading the index) builds the maps
// it asks for.
type effIndex map[string]*effService

// effService is the sets of one service. Subject ids are interned: a set
// holds 4-byte symbols, not 16-byte string headers (at 1M tuples, 20 MiB
// instead of 78). Symbols are never freed; recomputing the service (a new
// model, a full reload) starts a fresh table.
type effService struct {
	syms  map[string]uint32
	names []string
	objs  map[string]map[string][]effRel // type → id → relations
}

// effRel is the set of one relation of an object.
type effRel struct {
	rel string
	set *effSet
}

// effSet is one node's effective subjects and height.
type effSet struct {
	height int
	groups []effGroup
}

// effGroup is the subjects of one user type (rel "") or userset type.
type effGroup struct {
	typ, rel string
	ids      []uint32 // symbols, sorted
	steps    []uint8  // stepsFar for 255 steps or more
}

// stepsFar stands for a subject 255 or more steps away, which no depth
// limit of the fast variant accepts: it is read as hCycle.
const stepsFar = 255

func stepsByte(n int) uint8 { return uint8(min(n, stepsFar)) }

func stepsValue(b uint8) int {
	if b == stepsFar {
		return hCycle
	}
	return int(b)
}

// service returns the sets of svc, created if asked.
func (ix effIndex) service(svc string, create bool) *effService {
	sv := ix[svc]
	if sv == nil && create {
		sv = &effService{syms: map[string]uint32{}, objs: map[string]map[string][]effRel{}}
		ix[svc] = sv
	}
	return sv
}

// get returns the set of a node, or nil.
func (ix effIndex) get(svc string, n node) *effSet {
	if sv := ix[svc]; sv != nil {
		return sv.get(n)
	}
	return nil
}

func (sv *effService) get(n node) *effSet {
	for _, r := range sv.objs[n.typ][n.id] {
		if r.rel == n.rel {
			return r.set
		}
	}
	return nil
}

func (sv *effService) put(n node, s *effSet) {
	ids := sv.objs[n.typ]
	rels := ids[n.id]
	i := slices.IndexFunc(rels, func(r effRel) bool { return r.rel == n.rel })
	switch {
	case s == nil && i < 0:
		return
	case s == nil:
		rels = slices.Delete(rels, i, i+1)
	case i < 0:
		rels = append(rels, effRel{n.rel, s})
	default:
		rels[i].set = s
	}
	if ids == nil {
		ids = map[string][]effRel{}
		sv.objs[n.typ] = ids
	}
	if len(rels) > 0 {
		ids[n.id] = rels
		return
	}
	delete(ids, n.id)
	if len(ids) == 0 {
		delete(sv.objs, n.typ)
	}
}

// sym interns an id.
func (sv *effService) sym(id string) uint32 {
	if x, ok := sv.syms[id]; ok {
		return x
	}
	x := uint32(len(sv.names))
	sv.syms[id] = x
	sv.names = append(sv.names, id)
	return x
}

func (s *effSet) group(typ, rel string) int {
	return slices.IndexFunc(s.groups, func(g effGroup) bool { return g.typ == typ && g.rel == rel })
}

// lookup returns the steps from s to subject u.
func (sv *effService) lookup(s *effSet, u tuple.User) (int, bool) {
	x, ok := sv.syms[u.ID]
	if !ok {
		return 0, false
	}
	return s.steps(u.Type, u.Relation, x)
}

// steps returns the steps from s to the subject of type typ (userset
// relation rel) whose id is symbol x.
func (s *effSet) steps(typ, rel string, x uint32) (int, bool) {
	gi := s.group(typ, rel)
	if gi < 0 {
		return 0, false
	}
	g := &s.groups[gi]
	if i, ok := slices.BinarySearch(g.ids, x); ok {
		return stepsValue(g.steps[i]), true
	}
	return 0, false
}

// isEffRoot reports whether an index root is served by effIndex.
func isEffRoot(k string) bool { return k == "e" || k == "f" || k == "h" || k == "u" }

// read serves a path under one of the roots e, f and h (path[0]) as the
// nested maps would.
func (ix effIndex) read(path storage.Path) (any, error) {
	if path[0] == "u" && len(path) != 7 {
		return nil, notFound(path) // a view of full paths only
	}
	if len(path) < 5 {
		return ix.materialize(path)
	}
	sv := ix[path[1]]
	if sv == nil {
		return nil, notFound(path)
	}
	s := sv.get(node{path[2], path[3], path[4]})
	if s == nil {
		return nil, notFound(path)
	}
	rest := path[5:]
	switch path[0] {
	case "h":
		if len(rest) == 0 {
			return s.height, nil
		}
	case "u":
		if len(rest) == 2 {
			steps, ok := sv.lookup(s, tuple.User{Type: rest[0], ID: rest[1]})
			if w, wok := sv.lookup(s, tuple.User{Type: rest[0], ID: tuple.Wildcard}); wok && (!ok || w < steps) {
				steps, ok = w, true
			}
			if ok {
				return steps, nil
			}
		}
	case "e":
		switch len(rest) {
		case 0, 1:
			if m := sv.maps(s, false); len(m) > 0 {
				return lookup(m, rest)
			}
		case 2:
			if steps, ok := sv.lookup(s, tuple.User{Type: rest[0], ID: rest[1]}); ok {
				return steps, nil
			}
		}
	case "f":
		switch len(rest) {
		case 2:
			// The usersets of one type granted (compiled checks read
			// them whole and match the user's groups against them).
			if m := sv.userset(s, rest[0], rest[1]); m != nil {
				return m, nil
			}
		case 0, 1:
			if m := sv.maps(s, true); len(m) > 0 {
				return lookup(m, rest)
			}
		case 3:
			if steps, ok := sv.lookup(s, tuple.User{Type: rest[0], Relation: rest[1], ID: rest[2]}); ok {
				return steps, nil
			}
		}
	}
	return nil, notFound(path)
}

// userset returns a set's usersets of one type as a map of id to steps,
// or nil if it has none.
func (sv *effService) userset(s *effSet, typ, rel string) map[string]any {
	gi := s.group(typ, rel)
	if gi < 0 || rel == "" {
		return nil
	}
	g := &s.groups[gi]
	m := make(map[string]any, len(g.ids))
	for i, x := range g.ids {
		m[sv.names[x]] = stepsValue(g.steps[i])
	}
	return m
}

// maps returns a set's users (or usersets) as nested maps.
func (sv *effService) maps(s *effSet, usersets bool) map[string]any {
	out := map[string]any{}
	for _, g := range s.groups {
		if (g.rel != "") != usersets {
			continue
		}
		m := child(out, g.typ)
		if usersets {
			m = child(m, g.rel)
		}
		for i, x := range g.ids {
			m[sv.names[x]] = stepsValue(g.steps[i])
		}
	}
	return out
}

// materialize builds the nested maps below a short path (fewer than five
// keys: root, service, type, id), for reads that iterate over objects or
// read the whole index, which the compiled queries never make.
func (ix effIndex) materialize(path storage.Path) (any, error) {
	out := map[string]any{}
	match := func(level int, key string) bool { return len(path) <= level || path[level] == key }
	for svc, sv := range ix {
		if !match(1, svc) {
			continue
		}
		for typ, ids := range sv.objs {
			if !match(2, typ) {
				continue
			}
			for id, rels := range ids {
				if !match(3, id) {
					continue
				}
				for _, r := range rels {
					var v any
					switch path[0] {
					case "h":
						v = r.set.height
					case "e":
						v = sv.maps(r.set, false)
					default:
						v = sv.maps(r.set, true)
					}
					if m, ok := v.(map[string]any); ok && len(m) == 0 {
						continue
					}
					child(child(child(out, svc), typ), id)[r.rel] = v
				}
			}
		}
	}
	return lookup(out, path[1:])
}
