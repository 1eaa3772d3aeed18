package engine

import (
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

// readVia serves a read of sub, a path below indexPath under viaRoot.
// Only full paths are served. Its reads go through readIndex, whose paths
// stay on the stack.
func (s *indexStore) readVia(t storage.Transaction, sub storage.Path) (any, error) {
	const full = 9 // v svc type id rel setType setRel userType userId
	if len(sub) != full {
		return nil, notFound(sub)
	}
	svc, typ, id, rel, setType, setRel := sub[1], sub[2], sub[3], sub[4], sub[5], sub[6]
	groups, err := s.readIndex(t, storage.Path{"g", svc, setType, setRel, sub[7], sub[8]})
	if err != nil {
		return nil, err
	}
	in, _ := groups.(map[string]any)
	// The grants are one set of the index (data.sentinel.f): found once,
	// then looked up per group, unless contextual grants are to be merged
	// in, which reading each through readIndex does.
	granted := storage.Path{"f", svc, typ, id, rel, setType, setRel, ""}
	var set *effSet
	sv := s.data.eff[svc]
	if w, ok := t.(*txn); (!ok || w.eff == nil) && sv != nil {
		if set = sv.get(node{typ, id, rel}); set == nil {
			return nil, notFound(sub) // no grants on the chain
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
			v, err := s.readIndex(t, granted)
			if storage.IsNotFound(err) {
				continue
			} else if err != nil {
				return nil, err
			}
			var ok bool
			if steps, ok = v.(int); !ok {
				return nil, fmt.Errorf("index: %s%s is %v, not a number of steps", indexPath, granted.String(), v)
			}
		}
		d, ok := distance.(int)
		if !ok {
			return nil, fmt.Errorf("index: the distance of %s in %s:%s#%s is %v, not a number", sub[8], setType, x, setRel, distance)
		}
		if total := steps + d + 1; !found || total < best {
			best, found = total, true
		}
	}
	if !found {
		return nil, notFound(sub)
	}
	return best, nil
}
