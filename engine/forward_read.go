package engine

import (
	"github.com/open-policy-agent/opa/v1/storage"
)

// isFwdRoot reports whether an index root is served by fwdIndex.
func isFwdRoot(k string) bool { return k == "t" || k == "s" }

// groupKeys is how many keys name a group below its object: relation and
// user type, and for a userset (root s) the userset relation.
func groupKeys(usersets bool) int {
	if usersets {
		return 3
	}
	return 2
}

// read serves a path under t or s (path[0]) as the nested maps would: a
// whole tuple reads true; a shorter path, which OPA reads to iterate (the
// parents of an object, the usersets granted), the maps below it, built
// for the read, except that a large idSet hands over its own map.
//
// The compiled queries of a check read whole tuples, or one group to
// iterate over its ids; shorter paths are read by policies and by reads
// of the whole index, and cost a map per level and group below them.
func (ix fwdIndex) read(path storage.Path, syms *strTable) (any, error) {
	if len(path) < 4 { // root, service, type: every object below
		return ix.materialize(path, syms)
	}
	usersets := path[0] == "s"
	o := ix.object(path[1], path[2], path[3])
	rest, n := path[4:], groupKeys(usersets)
	if len(rest) < n {
		if m := o.view(usersets, rest, syms); m != nil {
			return m, nil
		}
		return nil, notFound(path)
	}
	urel := ""
	if usersets {
		if urel = rest[2]; urel == "" {
			return nil, notFound(path) // a userset always has a relation
		}
	}
	ids := o.users(rest[0], rest[1], urel)
	switch {
	case ids.len() == 0 || len(rest) > n+1:
	case len(rest) == n:
		return ids.view(syms), nil
	case ids.has(rest[n], syms):
		return true, nil
	}
	return nil, notFound(path)
}

// view returns, as nested maps, the object's plain tuples (t) or its
// usersets (s) below the given first keys of their groups (fewer than a
// group has), or nil if there are none.
func (o objTuples) view(usersets bool, prefix []string, syms *strTable) map[string]any {
	n := groupKeys(usersets)
	var out map[string]any
	for i := range o {
		g := &o[i]
		if (g.urel != "") != usersets {
			continue
		}
		keys := [3]string{g.rel, g.utype, g.urel}
		if !hasPrefix(keys[:n], prefix) {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		m := out
		for _, k := range keys[len(prefix) : n-1] {
			m = child(m, k)
		}
		m[keys[n-1]] = g.ids.view(syms)
	}
	return out
}

func hasPrefix(keys, prefix []string) bool {
	if len(prefix) > len(keys) {
		return false
	}
	for i, k := range prefix {
		if keys[i] != k {
			return false
		}
	}
	return true
}

// materialize builds the nested maps below a path of fewer than four keys
// (root, service, type), for reads that iterate over objects or read the
// whole index, which the compiled queries never make. The root always
// exists, if empty.
func (ix fwdIndex) materialize(path storage.Path, syms *strTable) (any, error) {
	usersets := path[0] == "s"
	out := map[string]any{}
	for svc, types := range ix {
		if len(path) > 1 && path[1] != svc {
			continue
		}
		for typ, ids := range types {
			if len(path) > 2 && path[2] != typ {
				continue
			}
			for id, o := range ids {
				if m := o.view(usersets, nil, syms); m != nil {
					child(child(out, svc), typ)[id] = m
				}
			}
		}
	}
	return lookup(out, path[1:])
}

// readIndex serves a read of path (below data.sentinel, not under e, f, h
// or u) from the index: the tuples, the closures, or, for the empty path,
// the whole of it.
func (ts *tuples) readIndex(path storage.Path) (any, error) {
	switch {
	case len(path) == 0:
		return ts.withEff(), nil
	case isFwdRoot(path[0]):
		return ts.fwd.read(path, ts.strs)
	}
	return lookup(map[string]any(ts.closures), path)
}

// readOverlay serves a read of path from an overlay of contextual tuples,
// which holds tuples only, and no strTable.
func (ix fwdIndex) readOverlay(path storage.Path) (any, error) {
	switch {
	case len(path) == 0:
		out := map[string]any{}
		for _, root := range []string{"t", "s"} {
			out[root], _ = ix.read(storage.Path{root}, nil)
		}
		return out, nil
	case isFwdRoot(path[0]):
		return ix.read(path, nil)
	}
	return nil, notFound(path)
}
