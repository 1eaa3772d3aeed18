package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/tuple"
)

// viaRoot is the view of the index a flattened relation's check reads to
// find a plain user in the groups granted on the object's chain:
//
//	data.sentinel.v[svc][type][id][rel][setType][setRel][userType][userId] = steps
//
// the fewest steps from type:id#rel to the user through a userset
// setType:x#setRel granted on the chain (data.sentinel.f, steps to x)
// that has the user as a member (the closure by member, data.sentinel.g,
// the user's nesting distance in x), one more to enter x; not found if the
// user is in none of them.
//
// The Rego it replaces (compiler's via functions) read the usersets granted
// and the user's groups, enumerated the groups (OPA sorts an object's keys
// to enumerate them) and looked each up among those granted, five
// expressions per group: about half of a denial's CPU. Here it is one
// read; the groups and grants are read through Read, so contextual tuples
// (the transaction's overlays) count as they did.
const viaRoot = "v"

// readVia serves a read under viaRoot; path is the whole path, indexPath
// included. Only full paths are served.
func (s *indexStore) readVia(ctx context.Context, t storage.Transaction, path storage.Path) (any, error) {
	const full = 10 // sentinel v svc type id rel setType setRel userType userId
	if len(path) != full {
		return nil, notFound(path)
	}
	svc, typ, id, rel, setType, setRel := path[2], path[3], path[4], path[5], path[6], path[7]
	groups, err := s.Read(ctx, t, storage.Path{indexPath[0], "g", svc, setType, setRel, path[8], path[9]})
	if err != nil {
		return nil, err
	}
	in, _ := groups.(map[string]any)
	// The grants are one set of the index (data.sentinel.f): found once,
	// then looked up per group, unless contextual grants are to be merged
	// in, which reading each through Read does.
	granted := storage.Path{indexPath[0], "f", svc, typ, id, rel, setType, setRel, ""}
	var set *effSet
	sv := s.data.eff[svc]
	if w, ok := t.(*txn); (!ok || w.eff == nil) && sv != nil {
		if set = sv.get(node{typ, id, rel}); set == nil {
			return nil, notFound(path) // no grants on the chain
		}
	}
	best, found := 0, false
	for x, distance := range in {
		var steps int
		if set != nil {
			var ok bool
			if steps, ok = sv.lookup(set, tuple.User{Type: setType, Relation: setRel, ID: x}); !ok {
				continue
			}
		} else {
			granted[len(granted)-1] = x
			v, err := s.Read(ctx, t, granted)
			if storage.IsNotFound(err) {
				continue
			} else if err != nil {
				return nil, err
			}
			var ok bool
			if steps, ok = v.(int); !ok {
				return nil, fmt.Errorf("index: %v is %v, not a number of steps", granted, v)
			}
		}
		d, ok := distance.(int)
		if !ok {
			return nil, fmt.Errorf("index: the distance of %s in %s:%s#%s is %v, not a number", path[9], setType, x, setRel, distance)
		}
		if total := steps + d + 1; !found || total < best {
			best, found = total, true
		}
	}
	if !found {
		return nil, notFound(path)
	}
	return best, nil
}
