package gen

// Sample questions, the heavy user and fresh tuples for benchmarks.

import (
	"math/rand/v2"
	"strconv"

	"github.com/sentinel-auth/sentinel/tuple"
)

func (d *Dataset) SampleChecks(n int) []Check {
	seed := d.cfg.seed()
	r := rand.New(rand.NewPCG(seed+1, seed^0x2545f4914f6cdd1d))
	out := make([]Check, 0, n)
	docs := len(d.parent) - d.folders
	for i := range n {
		likely := i%2 == 0
		var c Check
		switch x := r.IntN(10); {
		case x == 0:
			g := int32(r.IntN(len(d.groupParent)))
			c.Object, c.Relation = groupObj(g), "member"
			c.User = userOf(int32(r.IntN(d.users)))
			if likely {
				c.User = userOf(d.memberOf(r, g))
			}
		default:
			o := int32(r.IntN(d.folders))
			if x > 2 {
				o = int32(d.folders + r.IntN(docs))
			}
			rank := relViewer
			if y := r.IntN(10); y == 0 {
				rank = relOwner
			} else if y <= 2 {
				rank = relEditor
			}
			c.Object, c.Relation = d.object(o), relNames[rank]
			c.User = userOf(int32(r.IntN(d.users)))
			if likely {
				c.User = userOf(d.grantee(r, o, rank))
			}
		}
		c.Allowed, _ = d.Allowed(c.Object, c.Relation, c.User)
		// The other half: a few random users, until one is denied.
		for try := 0; !likely && c.Allowed && try < 8; try++ {
			c.User = userOf(int32(r.IntN(d.users)))
			c.Allowed, _ = d.Allowed(c.Object, c.Relation, c.User)
		}
		out = append(out, c)
	}
	return out
}

// grantee picks a user that a grant on o or up its chain gives rank.
func (d *Dataset) grantee(r *rand.Rand, o int32, rank uint8) int32 {
	var cands []grant
	for p, self := o, true; p >= 0; p, self = d.parent[p], false {
		if !self && rank == relOwner {
			break
		}
		for _, g := range d.grants[p] {
			if g.rel >= rank {
				cands = append(cands, g)
			}
		}
	}
	if len(cands) == 0 {
		return int32(r.IntN(d.users))
	}
	g := cands[r.IntN(len(cands))]
	switch g.kind {
	case kindUser:
		return g.id
	case kindGroup:
		return d.memberOf(r, g.id)
	}
	return int32(r.IntN(d.users))
}

// memberOf picks a user member of g or of a group nested in it.
func (d *Dataset) memberOf(r *rand.Rand, g int32) int32 {
	for len(d.groupChildren[g]) > 0 && r.IntN(2) == 0 {
		g = d.groupChildren[g][r.IntN(len(d.groupChildren[g]))]
	}
	if len(d.members[g]) == 0 {
		return int32(r.IntN(d.users))
	}
	return d.members[g][r.IntN(len(d.members[g]))]
}

// Heavy is a user who can reach many objects, for list benchmarks.
type Heavy struct {
	User     tuple.User
	Type     string // "doc"
	Relation string // "editor"
	// Objects is how many objects of Type the user has Relation on
	// (≈10,000 at 1M tuples, ≈22% of the documents at any size).
	Objects int
	// Viewable is how many objects of Type the user has viewer on: Objects
	// plus the public documents (≈21% more of them).
	Viewable int
}

// HeavyUser returns the user of d who edits ≈22% of the documents (about
// 10,000 at 1M tuples), every one through the long path: the user is a
// member of a group nested up to four deep whose root group is editor on
// top-level folders, which the documents inherit through parent chains up
// to five deep. Editor is the relation to list, since wildcards do not
// apply to it; a viewer list adds every public document.
func (d *Dataset) HeavyUser() Heavy {
	h := Heavy{User: userOf(d.heavyUser), Type: "doc", Relation: "editor"}
	h.Objects = len(d.ListObjects(h.Type, h.Relation, h.User))
	h.Viewable = len(d.ListObjects(h.Type, "viewer", h.User))
	return h
}

// FreshTuples returns n distinct tuples that are valid for Model and not in
// d, always the same for the same Config and n, for write workloads: 70%
// viewer grants on documents to new users (user:w<k>), 20% new users joining
// existing groups, 10% editor grants on folders to new groups' members
// (group:w<k>#member).
func (d *Dataset) FreshTuples(n int) []tuple.Tuple {
	seed := d.cfg.seed()
	r := rand.New(rand.NewPCG(seed+2, seed^0x6a09e667f3bcc909))
	docs := len(d.parent) - d.folders
	out := make([]tuple.Tuple, 0, n)
	for k := range n {
		id := "w" + strconv.Itoa(k)
		user := tuple.User{Type: "user", ID: id}
		switch x := k % 10; {
		case x < 7:
			doc := int32(d.folders + r.IntN(docs))
			out = append(out, tuple.Tuple{Object: d.object(doc), Relation: "viewer", User: user})
		case x < 9:
			g := int32(r.IntN(len(d.groupParent)))
			out = append(out, tuple.Tuple{Object: groupObj(g), Relation: "member", User: user})
		default:
			f := int32(r.IntN(d.folders))
			out = append(out, tuple.Tuple{Object: d.object(f), Relation: "editor", User: tuple.User{Type: "group", ID: id, Relation: "member"}})
		}
	}
	return out
}

// SampleChecks is Build(cfg).SampleChecks(n).
func SampleChecks(cfg Config, n int) ([]Check, error) {
	d, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	return d.SampleChecks(n), nil
}

// HeavyUser is Build(cfg).HeavyUser().
func HeavyUser(cfg Config) (Heavy, error) {
	d, err := Build(cfg)
	if err != nil {
		return Heavy{}, err
	}
	return d.HeavyUser(), nil
}
