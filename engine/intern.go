package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// strTable interns the strings of the tuple index, so that each distinct
// id or name is one allocation however many tuples and indexes hold it,
// and numbers the ids, so that the sets of ids of the forward and reverse
// indexes (idSet) hold 4-byte symbols, not 16-byte string headers.
//
// Every tuple arrives with its own strings (a row scanned from the store:
// seven allocations), and the indexes kept them: the forward index a
// tuple's user id, the reverse index its object id, and each new object,
// user, group of users or reverse entry the strings of the tuple that
// created it. At 1M benchmark tuples that was 2.2M strings for ≈110k
// distinct ones, more than half the heap's objects. And the sets held 2M
// string headers, each a pointer the collector follows on every cycle: as
// symbols the sets hold no pointer, and a forced collection of the loaded
// 1M index took half the CPU.
//
// Ids (objects' and users') are counted, so that one no tuple names any
// more is dropped and its symbol reused: the count is the forward index's
// object entries plus the reverse index's user keys that hold it (each
// tuple's object is the one, its user the other; a set holds only ids of
// tuples it indexes), kept by tuples.add and tuples.remove. Names
// (services, types, relations) are few, as models name them; they are not
// counted, and the table of them starts afresh past namesMax, so it stays
// small whatever is written. A name dropped from the table stays shared by
// what holds it; a later tuple naming it brings a new copy. So do the keys
// of the forward index's groups and the reverse index's entries (groupKey,
// entryKey), which are names only.
//
// The writer changes the table, under the write lock (tuples.add and
// remove, from a batch's install) or before the index is published (a
// Loader); evaluations read the ids and symbols under the read lock. A
// batch being prepared only reads it.
type strTable struct {
	ids   map[string]uint32 // id → symbol
	refs  []idRef           // by symbol; a free one is zero
	free  []uint32          // free symbols, to reuse
	names map[string]string // services, types, relations

	groups  map[groupKey]*groupKey
	entries map[entryKey]*entryKey
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
	return &strTable{ids: map[string]uint32{}, names: map[string]string{},
		groups: map[groupKey]*groupKey{}, entries: map[entryKey]*entryKey{}}
}

// group returns the table's copy of a group key (a new one without a
// table: an overlay's), adding k if it has none.
func (st *strTable) group(k groupKey) *groupKey {
	if st == nil {
		p := new(groupKey)
		*p = k
		return p
	}
	return shared(k, &st.groups)
}

// entry returns the table's copy of an entry key, as group does.
func (st *strTable) entry(k entryKey) *entryKey {
	if st == nil {
		p := new(entryKey)
		*p = k
		return p
	}
	return shared(k, &st.entries)
}

// shared returns the copy of k in the table *m, adding it if it has none,
// and starting *m afresh past namesMax.
func shared[K comparable](k K, m *map[K]*K) *K {
	if p, ok := (*m)[k]; ok {
		return p
	}
	if len(*m) >= namesMax {
		*m = map[K]*K{}
	}
	p := new(K) // not &k, which would allocate k on every call
	*p = k
	(*m)[k] = p
	return p
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

// sym returns the symbol of id, if the table has it.
func (st *strTable) sym(id string) (uint32, bool) {
	x, ok := st.ids[id]
	return x, ok
}

// str returns the id of symbol x.
func (st *strTable) str(x uint32) string { return st.refs[x].s }

// id returns the table's copy of an id, or s if it has none.
func (st *strTable) id(s string) string {
	if x, ok := st.ids[s]; ok {
		return st.refs[x].s
	}
	return s
}

// intern returns the table's copy of an id and its symbol, adding s,
// uncounted, if the table has none: the tuple being added that names it
// then holds it (tuples.add).
func (st *strTable) intern(s string) (string, uint32) {
	if x, ok := st.ids[s]; ok {
		return st.refs[x].s, x
	}
	var x uint32
	if n := len(st.free); n > 0 {
		x, st.free = st.free[n-1], st.free[:n-1]
		st.refs[x] = idRef{s: s}
	} else {
		x = uint32(len(st.refs))
		st.refs = append(st.refs, idRef{s: s})
	}
	st.ids[s] = x
	return s, x
}

// hold counts one more index entry holding id s, which the table has.
func (st *strTable) hold(s string) {
	if x, ok := st.ids[s]; ok {
		st.refs[x].n++
	}
}

// release counts one index entry less holding id s, and drops s, freeing
// its symbol, when none holds it.
func (st *strTable) release(s string) {
	x, ok := st.ids[s]
	if !ok {
		return
	}
	if r := &st.refs[x]; r.n > 1 {
		r.n--
		return
	}
	delete(st.ids, s)
	st.refs[x] = idRef{}
	st.free = append(st.free, x)
}

// tuple returns svc and t with the table's copies of their strings, and
// the symbols of its object's and its user's ids, added if new.
func (st *strTable) tuple(svc string, t tuple.Tuple) (string, tuple.Tuple, uint32, uint32) {
	oid, ox := st.intern(t.Object.ID)
	uid, ux := st.intern(t.User.ID)
	return st.name(svc), tuple.Tuple{
		Object:   tuple.Object{Type: st.name(t.Object.Type), ID: oid},
		Relation: st.name(t.Relation),
		User:     tuple.User{Type: st.name(t.User.Type), ID: uid, Relation: st.name(t.User.Relation)},
	}, ox, ux
}

// mutations returns a copy of muts with the table's copies of their
// strings, so that what a batch computes from them (closures, effective
// subjects) shares them with the index too. An id the table does not have
// yet is shared among the batch's mutations: installing them (tuples.add)
// adds it. It only reads the table's ids, as evaluations may meanwhile.
func (st *strTable) mutations(muts []Mutation) []Mutation {
	out := make([]Mutation, len(muts))
	fresh := map[string]string{}
	id := func(s string) string {
		if x, ok := st.ids[s]; ok {
			return st.refs[x].s
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
