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
// batch being prepared only reads it, and notes the symbols it finds
// (symHint), which hold while it installs: an id no entry holds any more
// keeps its symbol until the writer is done (sweep).
type strTable struct {
	ids   map[string]uint32 // id → symbol
	refs  []idRef           // by symbol; a free one is zero
	free  []uint32          // free symbols, to reuse
	dead  []uint32          // symbols whose count fell to 0 since the last sweep
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

// hold counts one more index entry holding the id of symbol x.
func (st *strTable) hold(x uint32) { st.refs[x].n++ }

// release counts one index entry less holding the id of symbol x; the
// next sweep drops the id if none holds it then.
func (st *strTable) release(x uint32) {
	if r := &st.refs[x]; r.n > 1 {
		r.n--
	} else {
		r.n = 0
		st.dead = append(st.dead, x)
	}
}

// sweep drops the ids that no index entry holds, freeing their symbols. A
// writer calls it when done.
func (st *strTable) sweep() {
	for _, x := range st.dead {
		r := &st.refs[x]
		if y, ok := st.ids[r.s]; r.n == 0 && ok && y == x {
			delete(st.ids, r.s)
			*r = idRef{}
			st.free = append(st.free, x)
		}
	}
	st.dead = st.dead[:0]
}

// symHint is what a batch being prepared found of a tuple's ids in the
// table: their symbols, where it has them, which hold until the batch is
// installed (sweep), so the install need not look them up again.
type symHint struct {
	obj, user       uint32
	hasObj, hasUser bool
}

// named returns svc and t with the table's copies of their names.
func (st *strTable) named(svc string, t tuple.Tuple) (string, tuple.Tuple) {
	t.Object.Type, t.Relation = st.name(t.Object.Type), st.name(t.Relation)
	t.User.Type, t.User.Relation = st.name(t.User.Type), st.name(t.User.Relation)
	return st.name(svc), t
}

// mutations returns a copy of muts with the table's copies of their
// strings, so that what a batch computes from them (closures, effective
// subjects) shares them with the index too, and the symbols of their ids
// as far as the table has them. An id the table does not have yet is
// shared among the batch's mutations: installing them (tuples.addWith)
// adds it. It only reads the table's ids, as evaluations may meanwhile.
func (st *strTable) mutations(muts []Mutation) ([]Mutation, []symHint) {
	out, hints := make([]Mutation, len(muts)), make([]symHint, len(muts))
	var fresh map[string]string
	id := func(s string) (string, uint32, bool) {
		if x, ok := st.ids[s]; ok {
			return st.refs[x].s, x, true
		}
		if c, ok := fresh[s]; ok {
			return c, 0, false
		}
		if fresh == nil {
			fresh = make(map[string]string, len(muts))
		}
		fresh[s] = s
		return s, 0, false
	}
	for i, m := range muts {
		svc, t := st.named(m.ServiceID, m.Tuple)
		h := &hints[i]
		t.Object.ID, h.obj, h.hasObj = id(t.Object.ID)
		t.User.ID, h.user, h.hasUser = id(t.User.ID)
		out[i] = Mutation{ServiceID: svc, Delete: m.Delete, Tuple: t}
	}
	return out, hints
}
