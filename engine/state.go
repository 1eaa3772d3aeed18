package engine

import (
	"iter"

	"github.com/sentinel-auth/sentinel/tuple"
)

// state is the index as a writer computes on it: the tuples, and while a
// batch is being prepared (b non-nil), the batch's changes so far, which
// only the writer sees until they are installed at once (batch.go).
// Without a batch, changes go to the tuples directly: the full rebuilds
// (SetModel, Replace, DropModel), which run under the write lock.
//
// The closures (closure.go) and flattened chains (chain*.go) read tuples
// only through state's methods, which read the forward index (held by
// object, forward.go) under the batch's changes, and change effective
// subjects only through its effWriter, so the same code computes in place
// and ahead of time.
type state struct {
	ts *tuples
	b  *batch
}

// userIDs yields the ids of the users of type utype (usersets of relation
// urel; "" for plain users and the wildcard) assigned to typ:id by rel.
func (st *state) userIDs(svc, typ, id, rel, utype, urel string) iter.Seq[string] {
	return func(yield func(string) bool) {
		var pending map[string]bool
		if st.b != nil {
			pending = st.b.users[usersKey{svc, typ, id, rel, utype, urel}]
		}
		for uid := range st.ts.fwd.users(svc, typ, id, rel, utype, urel).all(st.ts.strs) {
			if _, changed := pending[uid]; changed {
				continue // removed by the batch (an entry differs from the index)
			}
			if !yield(uid) {
				return
			}
		}
		for uid, present := range pending {
			if present && !yield(uid) {
				return
			}
		}
	}
}

// has reports whether tuple t of svc is present.
func (st *state) has(svc string, t tuple.Tuple) bool {
	if st.b != nil {
		if present, ok := st.b.users[usersKeyOf(svc, t)][t.User.ID]; ok {
			return present
		}
	}
	return st.ts.has(svc, t)
}

// objects yields the ids of the objects of k's type its user is assigned
// to by k's relation (the reverse index).
func (st *state) objects(k revKey) iter.Seq[string] {
	return func(yield func(string) bool) {
		var pending map[string]bool
		if st.b != nil {
			pending = st.b.objs[k]
		}
		for id := range st.ts.rev.set(k).all(st.ts.strs) {
			if _, changed := pending[id]; changed {
				continue
			}
			if !yield(id) {
				return
			}
		}
		for id, present := range pending {
			if present && !yield(id) {
				return
			}
		}
	}
}

// edit sets value at keys of the closures (c, y or g; nil deletes): in
// the batch, or in the closures directly.
func (st *state) edit(keys []string, value any) {
	if st.b == nil {
		st.ts.closures.set(keys, value)
		return
	}
	st.b.edits = append(st.b.edits, closureEdit{keys, value})
}

// effs returns the effective subjects of svc, to read and change.
func (st *state) effs(svc string) *effWriter {
	if st.b == nil {
		return &effWriter{base: st.ts.eff.service(svc, true)}
	}
	return st.b.effs(st.ts, svc)
}

// usersKey is an object's relation and a user type (and userset relation):
// one group of the forward index (forward.go), the ids of which a batch
// overrides.
type usersKey struct {
	svc, typ, id, rel, utype, urel string
}

func usersKeyOf(svc string, t tuple.Tuple) usersKey {
	return usersKey{svc, t.Object.Type, t.Object.ID, t.Relation, t.User.Type, t.User.Relation}
}
