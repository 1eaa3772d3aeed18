package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// reverse indexes tuples by their user: the objects of each type and
// relation that a user (plain, wildcard or userset) is assigned to. Only Go
// reads it (list objects), so it is typed rather than OPA-shaped.
type reverse map[revKey]map[string]struct{}

// revKey is a user and the object type and relation it is assigned to.
type revKey struct {
	svc, userType, userID, userRel, objType, rel string
}

func revKeyOf(serviceID string, t tuple.Tuple) revKey {
	return revKey{serviceID, t.User.Type, t.User.ID, t.User.Relation, t.Object.Type, t.Relation}
}

func (r reverse) add(serviceID string, t tuple.Tuple) {
	k := revKeyOf(serviceID, t)
	ids, ok := r[k]
	if !ok {
		ids = map[string]struct{}{}
		r[k] = ids
	}
	ids[t.Object.ID] = struct{}{}
}

func (r reverse) remove(serviceID string, t tuple.Tuple) {
	k := revKeyOf(serviceID, t)
	if ids, ok := r[k]; ok {
		delete(ids, t.Object.ID)
		if len(ids) == 0 {
			delete(r, k)
		}
	}
}

// userKey is a user within a service: the part of a revKey before the object.
type userKey struct {
	svc, userType, userID, userRel string
}

// byUser groups a reverse index's keys by user, so list objects can find
// every (object type, relation) a user is assigned to without a scan. An
// entry exists exactly while the reverse index has the key (tuples.add and
// tuples.remove keep them in step), so it is a set.
type byUser map[userKey]map[[2]string]struct{}

func (b byUser) add(k revKey) {
	u := userKey{k.svc, k.userType, k.userID, k.userRel}
	m, ok := b[u]
	if !ok {
		m = map[[2]string]struct{}{}
		b[u] = m
	}
	m[[2]string{k.objType, k.rel}] = struct{}{}
}

func (b byUser) remove(k revKey) {
	u := userKey{k.svc, k.userType, k.userID, k.userRel}
	if m := b[u]; m != nil {
		delete(m, [2]string{k.objType, k.rel})
		if len(m) == 0 {
			delete(b, u)
		}
	}
}

// tuples is the whole in-memory tuple set: the OPA-visible forward index
// and the Go-only reverse indexes.
type tuples struct {
	fwd   index
	rev   reverse
	users byUser
	eff   effIndex
	// careful marks an overlay of contextual tuples that changes a
	// membership relation or the shape of a flattened chain: the closures
	// and effective subjects do not reflect it, so the request is decided by
	// the careful variant, which walks the nesting.
	careful bool
	// grants are an overlay's contextual tuples that add subjects to
	// flattened chains (see chain_context.go).
	grants []tuple.Tuple
}

func newTuples() *tuples {
	return &tuples{fwd: newIndex(), rev: reverse{}, users: byUser{}, eff: effIndex{}}
}

// add records a tuple in every index and reports whether it was new.
func (ts *tuples) add(serviceID string, t tuple.Tuple) bool {
	if !ts.fwd.add(serviceID, t) {
		return false
	}
	k := revKeyOf(serviceID, t)
	if _, ok := ts.rev[k]; !ok {
		ts.users.add(k)
	}
	ts.rev.add(serviceID, t)
	return true
}

// remove deletes a tuple from every index (a missing tuple is a no-op).
func (ts *tuples) remove(serviceID string, t tuple.Tuple) {
	k := revKeyOf(serviceID, t)
	ids, ok := ts.rev[k]
	if !ok {
		return
	}
	if _, ok := ids[t.Object.ID]; !ok {
		return
	}
	ts.fwd.remove(serviceID, t)
	ts.rev.remove(serviceID, t)
	if _, ok := ts.rev[k]; !ok {
		ts.users.remove(k)
	}
}
