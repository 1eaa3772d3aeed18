package engine

// batch is an Apply computed ahead of its install. Computing a write's
// consequences (the effective subjects of the objects below a folder, the
// closures of the groups above a group) took up to milliseconds at 1M
// tuples (a folder grant's removal: p99 1.6 ms), all of it under the write
// lock, so a check arriving meanwhile waited (CheckUnderWrites at 1,000
// writes/s: p99 ×1.5; with the batch: ×1.2, README). Apply is the only
// writer while it runs (indexStore.write), so the index cannot change
// between computing and installing: the batch is computed on the index as
// it stands plus its own changes so far (state), without the write lock,
// and install then makes all of it visible in one step, as map assignments.
//
// The batch holds its tuple changes by group of the forward index (an
// object's relation and user type, usersKey) and by key of the reverse
// index, an entry only where it differs from the index (true: added,
// false: removed), so reads of the index through state see them; the
// tuples are installed by replaying the mutations, the closures' changes
// by setting them in ts.closures.
type batch struct {
	muts  []Mutation                   // to replay into the index, in order
	hints []symHint                    // of muts' ids, found in the string table
	users map[usersKey]map[string]bool // user id → present
	objs  map[revKey]map[string]bool   // object id → present
	eff   map[string]*effWriter        // by service
	clos  map[closureKey]closureResult // closures recomputed
	edits []closureEdit                // the closures' changes to c, y and g
}

func newBatch() *batch {
	return &batch{users: map[usersKey]map[string]bool{}, objs: map[revKey]map[string]bool{},
		eff: map[string]*effWriter{}, clos: map[closureKey]closureResult{}}
}

// prepare computes a batch of mutations on ts without changing it. It runs
// as the only writer (indexStore.write) and without the write lock, so it
// only reads ts, which checks read meanwhile.
func (e *Engine) prepare(ts *tuples, muts []Mutation) *batch {
	b := newBatch()
	st := &state{ts: ts, b: b}
	muts = e.withMirrors(muts)
	var hints []symHint
	if ts.strs != nil {
		muts, hints = ts.strs.mutations(muts)
		b.hints = make([]symHint, 0, len(muts))
	}
	chainsDirty := map[string]map[node]bool{}
	for i, m := range muts {
		var h symHint
		if hints != nil {
			h = hints[i]
		}
		b.change(ts, m, h)
		// Effective subjects follow each tuple as it is applied.
		if c := e.current(m.ServiceID); c != nil && c.chains.touches(m.Tuple.Object.Type, m.Tuple.Relation) {
			if chainsDirty[m.ServiceID] == nil {
				chainsDirty[m.ServiceID] = map[node]bool{}
			}
			st.chainChange(m.ServiceID, c.chains, m.Tuple, m.Delete, chainsDirty[m.ServiceID])
		}
	}
	for svc, nodes := range chainsDirty {
		st.recomputeDirty(svc, e.current(svc).chains, nodes)
	}
	// Closures follow the tuples in the same batch.
	st.followClosures(muts, func(svc string) map[[2]string]closable {
		if c := e.current(svc); c != nil {
			return c.closables
		}
		return nil
	})
	b.finish(ts)
	return b
}

// change records a mutation, whose ids' symbols h holds where the index's
// string table has them. Writing a present tuple or deleting a missing one
// changes nothing.
func (b *batch) change(ts *tuples, m Mutation, h symHint) {
	present, uk := !m.Delete, usersKeyOf(m.ServiceID, m.Tuple)
	var inIndex bool
	switch {
	case ts.strs == nil:
		inIndex = ts.has(m.ServiceID, m.Tuple)
	case h.hasObj && h.hasUser: // else no tuple of the index names one of them
		inIndex = ts.fwd.users(m.ServiceID, m.Tuple.Object.Type, m.Tuple.Object.ID, m.Tuple.Relation,
			m.Tuple.User.Type, m.Tuple.User.Relation).contains(m.Tuple.User.ID, h.user)
	}
	now, changed := b.users[uk][m.Tuple.User.ID]
	if !changed {
		now = inIndex
	}
	if now == present {
		return
	}
	b.muts, b.hints = append(b.muts, m), append(b.hints, h)
	note(b.users, uk, m.Tuple.User.ID, present, inIndex)
	note(b.objs, revKeyOf(m.ServiceID, m.Tuple), m.Tuple.Object.ID, present, inIndex)
}

// note records that id is present or not under k, where the index has it
// or not: an entry only while the two differ.
func note[K comparable](m map[K]map[string]bool, k K, id string, present, inIndex bool) {
	ids := m[k]
	if present == inIndex {
		delete(ids, id)
		if len(ids) == 0 {
			delete(m, k)
		}
		return
	}
	if ids == nil {
		ids = map[string]bool{}
		m[k] = ids
	}
	ids[id] = present
}

// effs returns the batch's writer of the effective subjects of svc.
func (b *batch) effs(ts *tuples, svc string) *effWriter {
	w := b.eff[svc]
	if w == nil {
		w = &effWriter{base: ts.eff[svc], batch: true, sets: map[node]*effSet{}, syms: map[string]uint32{}}
		b.eff[svc] = w
	}
	return w
}

// closureKey is the closure of one object's membership relation.
type closureKey struct{ svc, typ, rel, id string }

// closureResult is a closure recomputed: its members (userType → userId →
// distance) and whether a cycle is reachable.
type closureResult struct {
	users  map[string]any
	cyclic bool
}

// closureEdit is one change to the closures (ts.closures, roots c, y and
// g): value at keys (nil deletes).
type closureEdit struct {
	keys  []string
	value any
}

// finish turns the closures recomputed into edits of the index, computed
// against the closures the index holds.
func (b *batch) finish(ts *tuples) {
	for k, r := range b.clos {
		b.edits = ts.closureEdits(k, r, b.edits)
	}
}

// install makes the batch visible: the tuples, the effective subjects, the
// closures. It runs under the index's write lock, on the state the batch
// was computed on.
func (b *batch) install(ts *tuples) {
	for i, m := range b.muts {
		if m.Delete {
			ts.removeWith(m.ServiceID, m.Tuple, b.hints[i])
		} else {
			ts.addWith(m.ServiceID, m.Tuple, b.hints[i])
		}
	}
	for svc, w := range b.eff {
		w.install(ts.eff, svc)
	}
	for _, e := range b.edits {
		ts.closures.set(e.keys, e.value)
	}
	if ts.strs != nil {
		ts.strs.sweep()
	}
}
