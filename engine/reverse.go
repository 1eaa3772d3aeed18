package engine

import (
	"iter"

	"github.com/sentinel-auth/sentinel/tuple"
)

// reverse indexes tuples by their user: the objects of each type and
// relation that a user (plain, wildcard or userset) is assigned to. Only Go
// reads it (list objects), so it is typed rather than OPA-shaped.
//
// It is held per user, the few (object type, relation) pairs the user is
// assigned on in a slice and their objects in idSets (by symbol, strTable:
// the methods that read or write ids take the index's), as most hold one
// object or a few: at 1M tuples a map per (user, type, relation), keyed by
// all six strings, plus a map of each user's pairs took 156 MiB of heap;
// this, 46 MiB with sets of strings.
type reverse map[userKey][]revEntry

// revEntry is the objects of one type a user is assigned to by one relation.
type revEntry struct {
	*entryKey
	ids idSet
}

// entryKey is what a revEntry holds: its object type and relation, shared
// by the index's entries of the same key (strTable.entry), as groupKey is.
type entryKey struct{ objType, rel string }

// userKey is a user within a service.
type userKey struct {
	svc, userType, userID, userRel string
}

// revKey is a user and the object type and relation it is assigned to.
type revKey struct {
	svc, userType, userID, userRel, objType, rel string
}

func revKeyOf(serviceID string, t tuple.Tuple) revKey {
	return revKey{serviceID, t.User.Type, t.User.ID, t.User.Relation, t.Object.Type, t.Relation}
}

func (k revKey) user() userKey { return userKey{k.svc, k.userType, k.userID, k.userRel} }

// entry returns the index of k's entry among es, or -1.
func entry(es []revEntry, k revKey) int {
	for i := range es {
		if es[i].objType == k.objType && es[i].rel == k.rel {
			return i
		}
	}
	return -1
}

// add records a tuple and reports whether its user was new (the index
// holds the user's id from then on). With syms, oid is the symbol of the
// tuple's object id.
func (r reverse) add(serviceID string, t tuple.Tuple, oid uint32, syms *strTable) (newUser bool) {
	k := revKeyOf(serviceID, t)
	es := r[k.user()]
	newUser = es == nil
	i := entry(es, k)
	if i < 0 {
		// Grown by one, not doubled, as fwdIndex.add does: a user keeps
		// its few entries.
		grown := make([]revEntry, len(es)+1)
		copy(grown, es)
		i = len(es)
		grown[i] = revEntry{entryKey: syms.entry(entryKey{k.objType, k.rel})}
		es = grown
	}
	es[i].ids.add(t.Object.ID, oid, syms)
	r[k.user()] = es
	return newUser
}

// remove deletes a tuple and reports whether that was its user's last.
// With syms, oid is the symbol of the tuple's object id.
func (r reverse) remove(serviceID string, t tuple.Tuple, oid uint32, syms *strTable) (userGone bool) {
	k := revKeyOf(serviceID, t)
	u := k.user()
	es := r[u]
	i := entry(es, k)
	if i < 0 || !es[i].ids.remove(t.Object.ID, oid, syms) || es[i].ids.len() > 0 {
		return false
	}
	last := len(es) - 1
	es[i] = es[last]
	es[last] = revEntry{}
	if es = es[:last]; len(es) == 0 {
		delete(r, u)
		return true
	}
	r[u] = es
	return false
}

// set returns the ids of the objects of k (empty if k is absent).
func (r reverse) set(k revKey) idSet {
	es := r[k.user()]
	if i := entry(es, k); i >= 0 {
		return es[i].ids
	}
	return idSet{}
}

// tuples is the whole in-memory tuple set: the forward index, the
// membership closures and flattened chains built on it (all OPA-visible),
// and the Go-only reverse index.
type tuples struct {
	fwd      fwdIndex
	closures index
	rev      reverse
	eff      effIndex
	// strs interns the strings the indexes hold (intern.go); nil in an
	// overlay of contextual tuples, which lives for one evaluation.
	strs *strTable
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
	return &tuples{fwd: fwdIndex{}, closures: newIndex(), rev: reverse{}, eff: effIndex{}}
}

// add records a tuple in every index and reports whether it was new. The
// indexes keep the interned copies of its strings and symbols of its ids
// (ts.strs).
func (ts *tuples) add(serviceID string, t tuple.Tuple) bool {
	if ts.strs != nil {
		serviceID, t = ts.strs.named(serviceID, t)
	}
	return ts.addWith(serviceID, t, symHint{})
}

// addWith is add of a tuple whose names are the table's already, and the
// symbols of whose ids h holds where the table had them.
func (ts *tuples) addWith(serviceID string, t tuple.Tuple, h symHint) bool {
	oid, uid := h.obj, h.user
	if ts.strs != nil {
		if !h.hasObj {
			t.Object.ID, oid = ts.strs.intern(t.Object.ID)
		}
		if !h.hasUser {
			t.User.ID, uid = ts.strs.intern(t.User.ID)
		}
	}
	added, newObject := ts.fwd.add(serviceID, t, uid, ts.strs)
	if !added {
		return false
	}
	newUser := ts.rev.add(serviceID, t, oid, ts.strs)
	if ts.strs != nil {
		if newObject {
			ts.strs.hold(oid)
		}
		if newUser {
			ts.strs.hold(uid)
		}
	}
	return true
}

// users yields the ids of the users of type utype (userset relation urel,
// "" for plain users and wildcards) assigned rel on svc's typ:id.
func (ts *tuples) users(svc, typ, id, rel, utype, urel string) iter.Seq[string] {
	return ts.fwd.users(svc, typ, id, rel, utype, urel).all(ts.strs)
}

// has reports whether the index holds a tuple of svc.
func (ts *tuples) has(svc string, t tuple.Tuple) bool { return ts.fwd.has(svc, t, ts.strs) }

// remove deletes a tuple from every index (a missing tuple is a no-op).
func (ts *tuples) remove(serviceID string, t tuple.Tuple) { ts.removeWith(serviceID, t, symHint{}) }

// removeWith is remove, with the symbols of the tuple's ids that h holds.
func (ts *tuples) removeWith(serviceID string, t tuple.Tuple, h symHint) {
	oid, uid := h.obj, h.user
	if ts.strs != nil {
		ok := true
		if !h.hasObj {
			oid, ok = ts.strs.sym(t.Object.ID)
		}
		if ok && !h.hasUser {
			uid, ok = ts.strs.sym(t.User.ID)
		}
		if !ok {
			return // no tuple names it
		}
	}
	removed, objectGone := ts.fwd.remove(serviceID, t, uid, ts.strs)
	if !removed {
		return
	}
	userGone := ts.rev.remove(serviceID, t, oid, ts.strs)
	if ts.strs != nil {
		if objectGone {
			ts.strs.release(oid)
		}
		if userGone {
			ts.strs.release(uid)
		}
	}
}
