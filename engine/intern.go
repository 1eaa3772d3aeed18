package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// strTable interns the strings of the tuple index, so that each distinct
// id or name is one allocation however many tuples and indexes hold it.
//
// Every tuple arrives with its own strings (a row scanned from the store:
// seven allocations), and the indexes keep them: the forward index a
// tuple's user id, the reverse index its object id, and each new object,
// user, group of users or reverse entry the strings of the tuple that
// created it. At 1M benchmark tuples that was 2.2M strings for ≈110k
// distinct ones, more than half the heap's objects, each marked by the
// collector on every cycle.
//
// Ids (objects' and users') are counted, so that one no tuple names any
// more is dropped: the count is the forward index's object entries plus
// the reverse index's user keys that hold it (each tuple's object is the
// one, its user the other), kept by tuples.add and tuples.remove. Names
// (services, types, relations) are few, as models name them; they are not
// counted, and the table of them starts afresh past namesMax, so it stays
// small whatever is written. A string dropped from the table stays shared
// by what holds it; a later tuple naming it brings a new copy.
//
// Only the writer uses it (Loader, or Apply under indexStore.write), never
// an evaluation.
type strTable struct {
	ids   map[string]idRef
	names map[string]string
}

// idRef is an interned id and how many index entries hold it.
type idRef struct {
	s string
	n int32
}

// namesMax bounds the table of names: past it, the table is started
// afresh.
const namesMax = 4096

func newStrTable() *strTable {
	return &strTable{ids: map[string]idRef{}, names: map[string]string{}}
}

// name returns the table's copy of a service, type or relation name,
// adding s if it has none.
func (st *strTable) name(s string) string {
	if s == "" {
		return s
	}
	if c, ok := st.names[s]; ok {
		return c
	}
	if len(st.names) >= namesMax {
		st.names = map[string]string{}
	}
	st.names[s] = s
	return s
}

// id returns the table's copy of an id, or s if it has none (hold adds
// it).
func (st *strTable) id(s string) string {
	if r, ok := st.ids[s]; ok {
		return r.s
	}
	return s
}

// hold counts one more index entry holding id s, the table's copy (or
// one the table does not have yet, which it adopts).
func (st *strTable) hold(s string) {
	r, ok := st.ids[s]
	if !ok {
		r.s = s
	}
	r.n++
	st.ids[s] = r
}

// release counts one index entry less holding id s, and drops s when none
// holds it.
func (st *strTable) release(s string) {
	r, ok := st.ids[s]
	switch {
	case !ok:
	case r.n <= 1:
		delete(st.ids, s)
	default:
		r.n--
		st.ids[s] = r
	}
}

// tuple returns svc and t with the table's copies of their strings (or
// one copy of an id it names twice that the table does not have).
func (st *strTable) tuple(svc string, t tuple.Tuple) (string, tuple.Tuple) {
	oid, uid := st.id(t.Object.ID), st.id(t.User.ID)
	if uid == oid {
		uid = oid // group:g#member@group:g#member, new
	}
	return st.name(svc), tuple.Tuple{
		Object:   tuple.Object{Type: st.name(t.Object.Type), ID: oid},
		Relation: st.name(t.Relation),
		User:     tuple.User{Type: st.name(t.User.Type), ID: uid, Relation: st.name(t.User.Relation)},
	}
}

// mutations returns a copy of muts with the table's copies of their
// strings, so that what a batch computes from them (closures, effective
// subjects) shares them with the index too. An id the table does not have
// yet is shared among the batch's mutations: installing them (tuples.add)
// adopts it.
func (st *strTable) mutations(muts []Mutation) []Mutation {
	out := make([]Mutation, len(muts))
	fresh := map[string]string{}
	id := func(s string) string {
		if r, ok := st.ids[s]; ok {
			return r.s
		}
		if c, ok := fresh[s]; ok {
			return c
		}
		fresh[s] = s
		return s
	}
	for i, m := range muts {
		t := m.Tuple
		out[i] = Mutation{ServiceID: st.name(m.ServiceID), Delete: m.Delete, Tuple: tuple.Tuple{
			Object:   tuple.Object{Type: st.name(t.Object.Type), ID: id(t.Object.ID)},
			Relation: st.name(t.Relation),
			User:     tuple.User{Type: st.name(t.User.Type), ID: id(t.User.ID), Relation: st.name(t.User.Relation)},
		}}
	}
	return out
}
