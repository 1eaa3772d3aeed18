package gen

// The dataset answers its own questions: the reference for benchmarks.

import (
	"cmp"
	"slices"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Check is one authorization question and the answer Model gives on the
// generated data.
type Check struct {
	Object   tuple.Object
	Relation string
	User     tuple.User
	Allowed  bool
}

// Key is the wire form of the question.
func (c Check) Key() tuple.Key {
	return tuple.Key{Object: c.Object.String(), Relation: c.Relation, User: c.User.String()}
}

// Allowed answers a question about d with the reference evaluator: member
// on a group, or owner, editor or viewer on a folder or document, for a
// plain user (user:<id>). It reports false for an unknown user or object,
// and ok == false for a question outside that set.
func (d *Dataset) Allowed(object tuple.Object, relation string, user tuple.User) (allowed, ok bool) {
	if user.Type != "user" || user.IsUserset() || user.IsWildcard() {
		return false, false
	}
	u, known := index(user.ID, "u", d.users)
	groups := d.groupsOf(int32(u), known)
	if object.Type == "group" {
		if relation != "member" {
			return false, false
		}
		g, ok := index(object.ID, "g", len(d.groupParent))
		return ok && slices.Contains(groups, int32(g)), true
	}
	rank := relRank(relation)
	if rank == relNone || (object.Type != "folder" && object.Type != "doc") {
		return false, false
	}
	o, exists := d.objectIndex(object)
	if !exists {
		return false, true
	}
	if !known {
		u = -1 // matches only wildcard grants
	}
	return d.rank(o, int32(u), groups) >= rank, true
}

// groupsOf returns every group u is a member of, directly or through
// nesting.
func (d *Dataset) groupsOf(u int32, known bool) []int32 {
	if !known {
		return nil
	}
	var out []int32
	for _, g := range d.userGroups[u] {
		for ; g >= 0; g = d.groupParent[g] {
			if slices.Contains(out, g) {
				break // an ancestor already walked
			}
			out = append(out, g)
		}
	}
	return out
}

// direct is the highest rank the grants on o give u.
func (d *Dataset) direct(o, u int32, groups []int32) uint8 {
	best := relNone
	for _, g := range d.grants[o] {
		if g.rel <= best {
			continue
		}
		if g.kind == kindWildcard || (g.kind == kindUser && g.id == u) || (g.kind == kindGroup && slices.Contains(groups, g.id)) {
			best = g.rel
		}
	}
	return best
}

// rank is the highest relation u has on o: its own grants, and what it
// inherits from the parent folder — editor and viewer, never owner.
func (d *Dataset) rank(o, u int32, groups []int32) uint8 {
	best := d.direct(o, u, groups)
	for p := d.parent[o]; p >= 0 && best < relEditor; p = d.parent[p] {
		best = max(best, min(d.direct(p, u, groups), relEditor))
	}
	return best
}

// ListObjects returns every object of typ ("folder" or "doc") on which
// user has relation, sorted, with the reference evaluator.
func (d *Dataset) ListObjects(typ, relation string, user tuple.User) []tuple.Object {
	rank := relRank(relation)
	if user.Type != "user" || user.IsUserset() || user.IsWildcard() || rank == relNone {
		return nil
	}
	u, known := index(user.ID, "u", d.users)
	if !known {
		u = -1
	}
	groups := d.groupsOf(int32(u), known)
	// Folders first, parents before children is not guaranteed, so memoize.
	memo := make([]int8, d.folders)
	for i := range memo {
		memo[i] = -1
	}
	var folderRank func(f int32) uint8
	folderRank = func(f int32) uint8 {
		if memo[f] >= 0 {
			return uint8(memo[f])
		}
		best := d.direct(f, int32(u), groups)
		if p := d.parent[f]; p >= 0 {
			best = max(best, min(folderRank(p), relEditor))
		}
		memo[f] = int8(best)
		return best
	}
	lo, hi := 0, d.folders
	if typ == "doc" {
		lo, hi = d.folders, len(d.parent)
	} else if typ != "folder" {
		return nil
	}
	var out []tuple.Object
	for o := lo; o < hi; o++ {
		var r uint8
		if o < d.folders {
			r = folderRank(int32(o))
		} else {
			r = max(d.direct(int32(o), int32(u), groups), min(folderRank(d.parent[o]), relEditor))
		}
		if r >= rank {
			out = append(out, d.object(int32(o)))
		}
	}
	slices.SortFunc(out, func(a, b tuple.Object) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// SampleChecks returns n questions with their answers, always the same for
// the same Config and n: 70% on documents, 20% on folders (viewer 70%,
// editor 20%, owner 10%), 10% group membership. Every other question asks
// about a user who holds a matching grant somewhere up the chain (or is a
// member of a group that does); the others ask about random users, drawn
// again (a few times) while allowed, so about half are allowed.
