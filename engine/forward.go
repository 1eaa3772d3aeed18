package engine

import (
	"github.com/sentinel-auth/sentinel/tuple"
)

// fwdIndex is the forward tuple index: every tuple under its object. OPA
// sees it as the nested maps
//
//	data.sentinel.t[svc][type][id][relation][userType][userId] = true
//	data.sentinel.s[svc][type][id][relation][userType][userRel][userId] = true
//
// (forward_read.go serves them). It is held by object instead: maps down to
// the object, then the object's few (relation, user type, userset
// relation) groups in a slice, each with its ids in an idSet (by symbol,
// strTable: the methods that read or write ids take the index's). Below the
// object, most of those maps held a single entry (at 1M benchmark tuples,
// 490k of the 700k maps, ≈300 bytes each even so): as maps the t and s
// trees took ≈250 MiB of heap, held by object ≈45.
//
// Deletes prune what they leave empty, up to the service, so memory
// follows the live tuple count.
type fwdIndex map[string]map[string]map[string]objTuples // service → type → id →

// objTuples is the tuples of one object, a group per relation, user type
// and userset relation; an object has a few, searched in order.
type objTuples []userGroup

// userGroup is the users of one type (plain users and the wildcard when
// urel is "", else usersets type#urel) assigned one relation.
type userGroup struct {
	*groupKey
	ids idSet
}

// groupKey is what a userGroup holds: its relation, user type and userset
// relation. The index's groups of the same key share one (strTable.group):
// three strings in each of the 264k groups at 1M tuples were 12 MiB of
// pointers for the collector to scan, for a few dozen distinct keys.
type groupKey struct{ rel, utype, urel string }

// find returns the index of the group of rel, utype and urel, or -1.
func (o objTuples) find(rel, utype, urel string) int {
	for i := range o {
		if g := &o[i]; g.rel == rel && g.utype == utype && g.urel == urel {
			return i
		}
	}
	return -1
}

// users returns the ids of the group of rel, utype and urel (empty if it
// has none).
func (o objTuples) users(rel, utype, urel string) idSet {
	if i := o.find(rel, utype, urel); i >= 0 {
		return o[i].ids
	}
	return idSet{}
}

// hasRel reports whether any tuple of the object has relation rel.
func (o objTuples) hasRel(rel string) bool {
	for i := range o {
		if o[i].rel == rel {
			return true
		}
	}
	return false
}

// object returns the tuples of svc's object typ:id (nil if it has none).
func (ix fwdIndex) object(svc, typ, id string) objTuples {
	return ix[svc][typ][id]
}

// objects returns svc's objects of type typ with their tuples (nil if it
// has none). The caller must not modify it.
func (ix fwdIndex) objects(svc, typ string) map[string]objTuples {
	return ix[svc][typ]
}

// users returns the ids of the users of type utype (userset relation
// urel, "" for plain users and wildcards) assigned rel on svc's typ:id.
func (ix fwdIndex) users(svc, typ, id, rel, utype, urel string) idSet {
	return ix.object(svc, typ, id).users(rel, utype, urel)
}

// has reports whether the index holds a tuple of svc.
func (ix fwdIndex) has(svc string, t tuple.Tuple, syms *strTable) bool {
	return ix.users(svc, t.Object.Type, t.Object.ID, t.Relation, t.User.Type, t.User.Relation).has(t.User.ID, syms)
}

// add records a tuple of svc and reports whether it was new, and whether
// its object was (the index holds the object's id from then on). With
// syms, uid is the symbol of the tuple's user id.
func (ix fwdIndex) add(svc string, t tuple.Tuple, uid uint32, syms *strTable) (added, newObject bool) {
	types := ix[svc]
	if types == nil {
		types = map[string]map[string]objTuples{}
		ix[svc] = types
	}
	ids := types[t.Object.Type]
	if ids == nil {
		ids = map[string]objTuples{}
		types[t.Object.Type] = ids
	}
	o := ids[t.Object.ID]
	newObject = o == nil
	i := o.find(t.Relation, t.User.Type, t.User.Relation)
	if i < 0 {
		// Grown by one, not doubled: an object keeps its few groups for
		// good, and the slack of doubling was a third of their memory.
		grown := make(objTuples, len(o)+1)
		copy(grown, o)
		i = len(o)
		grown[i] = userGroup{groupKey: syms.group(groupKey{t.Relation, t.User.Type, t.User.Relation})}
		o = grown
	}
	if !o[i].ids.add(t.User.ID, uid, syms) {
		return false, false
	}
	ids[t.Object.ID] = o
	return true, newObject
}

// remove deletes a tuple of svc and prunes what it leaves empty, and
// reports whether the tuple was there and whether it was its object's
// last. Removing a missing tuple is a no-op. With syms, uid is the symbol
// of the tuple's user id.
func (ix fwdIndex) remove(svc string, t tuple.Tuple, uid uint32, syms *strTable) (removed, objectGone bool) {
	types := ix[svc]
	ids := types[t.Object.Type]
	o := ids[t.Object.ID]
	i := o.find(t.Relation, t.User.Type, t.User.Relation)
	if i < 0 || !o[i].ids.remove(t.User.ID, uid, syms) {
		return false, false
	}
	if o[i].ids.len() > 0 {
		return true, false
	}
	last := len(o) - 1
	o[i] = o[last]
	o[last] = userGroup{}
	if o = o[:last]; len(o) > 0 {
		ids[t.Object.ID] = o
		return true, false
	}
	delete(ids, t.Object.ID)
	if len(ids) == 0 {
		delete(types, t.Object.Type)
		if len(types) == 0 {
			delete(ix, svc)
		}
	}
	return true, true
}
