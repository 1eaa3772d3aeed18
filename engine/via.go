package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/storage"
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
	granted := storage.Path{indexPath[0], "f", svc, typ, id, rel, setType, setRel, ""}
	best, found := 0, false
	for x, distance := range in {
		granted[len(granted)-1] = x
		v, err := s.Read(ctx, t, granted)
		if storage.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		steps, ok1 := v.(int)
		d, ok2 := distance.(int)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("index: %v (%v) or %v (%v) is not a number of steps", granted, v, path[:8], distance)
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
