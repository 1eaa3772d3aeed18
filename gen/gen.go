// Package gen generates a deterministic authorization dataset of realistic
// shape for benchmarks and load tests: users; groups nested up to four deep
// (a forest of group#member usersets); folders in parent chains up to five
// deep; documents, each in a folder; owner, editor and viewer grants on
// folders and documents to users, to group usersets and (about 2% of viewer
// grants) to the wildcard user:*.
//
// The dataset is sized by a target tuple count and fixed by a seed: the same
// Config yields the same tuples in the same order on every run
// (math/rand/v2's PCG). About 10% of the tuples are group memberships, 5%
// folder structure (parent tuples) and 85% grants.
//
// Besides the tuples, a Dataset answers its own questions with a small
// reference evaluator of Model written in plain Go, so benchmarks and load
// tests can check the engine's answers: SampleChecks returns questions with
// their expected answers (about half allowed) and HeavyUser a user who can
// edit many documents (≈10,000 at 1M tuples), for list benchmarks.
//
// Public documents: about 2% of viewer tuples are user:*, at most one per
// document, on documents only ("anyone with the link"); with ≈17 grants per
// object that makes ≈21% of the documents viewable by every user, so a
// viewer list of any user holds at least that many.
package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Model is the authorization model (OpenFGA DSL 1.1) the generated tuples
// are written under.
const Model = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define parent: [folder]
    define owner: [user]
    define editor: [user, group#member] or owner or editor from parent
    define viewer: [user, user:*, group#member] or editor or viewer from parent
type doc
  relations
    define parent: [folder]
    define owner: [user]
    define editor: [user, group#member] or owner or editor from parent
    define viewer: [user, user:*, group#member] or editor or viewer from parent
`

// DefaultSeed is the seed of a Config whose Seed is 0.
const DefaultSeed uint64 = 0x5e471e1

// MinTuples is the smallest target Build accepts.
const MinTuples = 1000

// Shape constants.
const (
	maxGroupLevel  = 3    // group levels 0..3: nesting up to four deep
	maxFolderLevel = 4    // folder levels 0..4: parent chains up to five deep
	wildcardShare  = 0.02 // of viewer grants
	groupShare     = 0.20 // of the other non-owner grants
	editorShare    = 0.30 // of non-owner grants; the rest are viewer grants
	heavyShare     = 0.22 // of documents the heavy user edits (≈10k of 45k at 1M)
)

// Config selects a dataset.
type Config struct {
	// Tuples is the target tuple count (at least MinTuples); the generated
	// count is within a fraction of a percent of it.
	Tuples int
	// Seed selects the dataset; 0 means DefaultSeed.
	Seed uint64
}

func (c Config) seed() uint64 {
	if c.Seed == 0 {
		return DefaultSeed
	}
	return c.Seed
}

// Relation ranks: a grant of a higher rank implies the lower ones on the
// same object (owner ⊂ editor ⊂ viewer).
const (
	relNone uint8 = iota
	relViewer
	relEditor
	relOwner
)

var relNames = [...]string{relViewer: "viewer", relEditor: "editor", relOwner: "owner"}

func relRank(relation string) uint8 {
	switch relation {
	case "viewer":
		return relViewer
	case "editor":
		return relEditor
	case "owner":
		return relOwner
	}
	return relNone
}

// Subject kinds of a grant.
const (
	kindUser uint8 = iota
	kindGroup
	kindWildcard
)

type grant struct {
	rel  uint8
	kind uint8
	id   int32 // user or group index; unused for the wildcard
}

// Dataset is a generated dataset. It is immutable and safe for concurrent
// use.
type Dataset struct {
	cfg   Config
	users int

	groupParent   []int32   // -1 for a root group
	groupLevel    []uint8   // 0 for a root
	groupChildren [][]int32 // the inverse of groupParent
	members       [][]int32 // direct user members of each group
	userGroups    [][]int32 // the inverse of members

	// Objects 0..folders-1 are folders (folder:f<i>), the rest documents
	// (doc:d<i-folders>). parent is a folder index or -1.
	folders int
	parent  []int32
	grants  [][]grant

	heavyUser  int32
	heavyGroup int32 // the root group granted editor on the heavy folders

	count int
}

// Build generates the dataset of cfg.
func Build(cfg Config) (*Dataset, error) {
	if cfg.Tuples < MinTuples {
		return nil, fmt.Errorf("gen: %d tuples requested; the generator needs at least %d", cfg.Tuples, MinTuples)
	}
	n := cfg.Tuples
	seed := cfg.seed()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &Dataset{cfg: cfg, users: max(20, n/20)}

	groups := max(8, n/200)
	docs := max(10, n*5/110) // docs + non-root folders ≈ 5% of n
	folders := max(5, docs/10)
	rootFolders := max(4, folders/10)
	rootGroups := max(2, groups/8)

	// Groups: a forest; each non-root group hangs under an earlier group
	// of a lower level, so there are no cycles and nesting stops at four.
	d.groupParent, d.groupLevel = forest(r, groups, rootGroups, maxGroupLevel)
	d.groupChildren = make([][]int32, groups)
	for g, p := range d.groupParent {
		if p >= 0 {
			d.groupChildren[p] = append(d.groupChildren[p], int32(g))
		}
	}

	// Folders: the same, five levels; documents sit in any folder.
	d.folders = folders
	fparent, _ := forest(r, folders, rootFolders, maxFolderLevel)
	d.parent = make([]int32, folders+docs)
	copy(d.parent, fparent)
	for i := range docs {
		d.parent[folders+i] = int32(r.IntN(folders))
	}

	structure := (folders - rootFolders) + docs
	memberBudget := n/10 - (groups - rootGroups)
	grantBudget := n - n/10 - structure

	// The heavy user: a member of the deepest group, whose root group is
	// editor on folders (top-level ones first) holding ≈ heavyShare of the
	// documents.
	deepest := int32(0)
	for g, l := range d.groupLevel {
		if l > d.groupLevel[deepest] {
			deepest = int32(g)
		}
	}
	d.heavyGroup = deepest
	for d.groupParent[d.heavyGroup] >= 0 {
		d.heavyGroup = d.groupParent[d.heavyGroup]
	}
	d.heavyUser = int32(d.users - 1)
	heavyRoots := d.heavyRoots(docs)

	// Direct user members of each group.
	d.members = make([][]int32, groups)
	d.userGroups = make([][]int32, d.users)
	sizes := spread(r, memberBudget-1, groups) // one slot for the heavy user
	for g := range groups {
		var mem []int32
		if int32(g) == deepest {
			mem = append(mem, d.heavyUser)
		}
		for range sizes[g] {
			for try := 0; try < 8; try++ {
				u := int32(r.IntN(d.users - 1)) // the heavy user joins only its own group
				if !slices.Contains(mem, u) {
					mem = append(mem, u)
					break
				}
			}
		}
		d.members[g] = mem
		for _, u := range mem {
			d.userGroups[u] = append(d.userGroups[u], int32(g))
		}
	}

	// Grants: an owner on every object, then editors and viewers. Only
	// documents are public (user:*), as "anyone with the link" sharing, so
	// their share of viewer grants is raised to keep wildcardShare overall.
	var heavyChain []int32 // the heavy user's groups get no other grants
	for g := deepest; g >= 0; g = d.groupParent[g] {
		heavyChain = append(heavyChain, g)
	}
	objects := folders + docs
	pWildcard := wildcardShare * float64(objects) / float64(docs)
	d.grants = make([][]grant, objects)
	sizes = spread(r, grantBudget-len(heavyRoots), objects)
	for o := range objects {
		k := sizes[o]
		gs := make([]grant, 0, k+1)
		gs = append(gs, grant{rel: relOwner, kind: kindUser, id: d.pickUser(r)})
		for range k - 1 {
			for try := 0; try < 8; try++ {
				g := grant{rel: relViewer}
				if r.Float64() < editorShare {
					g.rel = relEditor
				}
				switch {
				case g.rel == relViewer && o >= folders && r.Float64() < pWildcard:
					g.kind = kindWildcard
				case r.Float64() < groupShare:
					g.kind, g.id = kindGroup, d.pickGroup(r, heavyChain)
				default:
					g.kind, g.id = kindUser, d.pickUser(r)
				}
				if !slices.ContainsFunc(gs, func(h grant) bool { return h.kind == g.kind && h.id == g.id }) {
					gs = append(gs, g)
					break
				}
			}
		}
		d.grants[o] = gs
	}
	for _, f := range heavyRoots {
		g := grant{rel: relEditor, kind: kindGroup, id: d.heavyGroup}
		if !slices.Contains(d.grants[f], g) {
			d.grants[f] = append(d.grants[f], g)
		}
	}

	d.count = groups - rootGroups + folders - rootFolders + docs
	for _, m := range d.members {
		d.count += len(m)
	}
	for _, gs := range d.grants {
		d.count += len(gs)
	}
	return d, nil
}

// forest returns the parent (-1 for a root) and level of n nodes: the first
// roots are roots, every other node hangs under a random earlier node whose
// level is below maxLevel.
func forest(r *rand.Rand, n, roots int, maxLevel uint8) ([]int32, []uint8) {
	parent := make([]int32, n)
	level := make([]uint8, n)
	open := make([]int32, 0, n) // nodes that may take children
	for i := range n {
		if i < roots {
			parent[i] = -1
		} else {
			p := open[r.IntN(len(open))]
			parent[i], level[i] = p, level[p]+1
		}
		if level[i] < maxLevel {
			open = append(open, int32(i))
		}
	}
	return parent, level
}

// spread splits total into n counts of at least 1 (0 if total < n), each
// drawn uniformly around the mean, then nudged so they sum to total exactly.
func spread(r *rand.Rand, total, n int) []int {
	out := make([]int, n)
	if total < n {
		for i := range total {
			out[i] = 1
		}
		return out
	}
	mean := total / n
	sum := 0
	for i := range out {
		out[i] = 1 + r.IntN(2*mean-1)
		sum += out[i]
	}
	for sum != total {
		i := r.IntN(n)
		switch {
		case sum < total:
			out[i]++
			sum++
		case out[i] > 1:
			out[i]--
			sum--
		}
	}
	return out
}

// pickUser draws a user with a skew towards low indexes: a few users hold
// many grants, most hold a few. The heavy user is never drawn.
func (d *Dataset) pickUser(r *rand.Rand) int32 {
	f := r.Float64()
	return int32(f * f * float64(d.users-1))
}

// pickGroup draws a group uniformly, other than those in skip.
func (d *Dataset) pickGroup(r *rand.Rand, skip []int32) int32 {
	for {
		if g := int32(r.IntN(len(d.groupParent))); !slices.Contains(skip, g) {
			return g
		}
	}
}

// heavyRoots picks folders with disjoint subtrees, top-level ones first,
// while the documents in their subtrees stay within heavyShare of all (+5%);
// a folder whose subtree is too big is skipped for its children. It picks at
// least one folder.
func (d *Dataset) heavyRoots(docs int) []int32 {
	sub := make([]int, d.folders) // documents in each folder's subtree
	for i := d.folders; i < len(d.parent); i++ {
		sub[d.parent[i]]++
	}
	for f := d.folders - 1; f >= 0; f-- { // children come after parents
		if p := d.parent[f]; p >= 0 {
			sub[p] += sub[f]
		}
	}
	want := int(heavyShare * float64(docs))
	taken := make([]bool, d.folders) // in a chosen subtree
	var out []int32
	sum := 0
	for f := range d.folders {
		if p := d.parent[f]; p >= 0 && taken[p] {
			taken[f] = true
			continue
		}
		if sub[f] > 0 && sum+sub[f] <= want+want/20 {
			out = append(out, int32(f))
			taken[f] = true
			sum += sub[f]
		}
	}
	if len(out) == 0 {
		out = append(out, 0)
	}
	return out
}

func (d *Dataset) root(f int32) int32 {
	for d.parent[f] >= 0 {
		f = d.parent[f]
	}
	return f
}

// Config is the configuration d was built from.
func (d *Dataset) Config() Config { return d.cfg }

// Len is the number of tuples of d.
func (d *Dataset) Len() int { return d.count }

// Counts describes the size of each part of a dataset.
type Counts struct {
	Users, Groups, Folders, Docs int
	Memberships                  int // group#member tuples, user and group members
	Structure                    int // parent tuples
	Grants                       int // owner, editor and viewer tuples
	Wildcards                    int // viewer grants to user:*
}

// Counts returns the size of each part of d.
func (d *Dataset) Counts() Counts {
	c := Counts{Users: d.users, Groups: len(d.groupParent), Folders: d.folders, Docs: len(d.parent) - d.folders}
	for g, p := range d.groupParent {
		if p >= 0 {
			c.Memberships++
		}
		c.Memberships += len(d.members[g])
	}
	for _, p := range d.parent {
		if p >= 0 {
			c.Structure++
		}
	}
	for _, gs := range d.grants {
		c.Grants += len(gs)
		for _, g := range gs {
			if g.kind == kindWildcard {
				c.Wildcards++
			}
		}
	}
	return c
}

// Generate builds the dataset of cfg and emits its tuples; it stops at the
// first error emit returns.
func Generate(cfg Config, emit func(tuple.Tuple) error) error {
	d, err := Build(cfg)
	if err != nil {
		return err
	}
	return d.Each(emit)
}

// Each emits the tuples of d, always in the same order: group memberships
// (nested groups first), folder and document parents, then the grants of
// each folder and document. No tuple is emitted twice.
func (d *Dataset) Each(emit func(tuple.Tuple) error) error {
	for g, p := range d.groupParent {
		if p < 0 {
			continue
		}
		if err := emit(tuple.Tuple{Object: groupObj(p), Relation: "member", User: groupSet(int32(g))}); err != nil {
			return err
		}
	}
	for g, mem := range d.members {
		for _, u := range mem {
			if err := emit(tuple.Tuple{Object: groupObj(int32(g)), Relation: "member", User: userOf(u)}); err != nil {
				return err
			}
		}
	}
	for o, p := range d.parent {
		if p < 0 {
			continue
		}
		if err := emit(tuple.Tuple{Object: d.object(int32(o)), Relation: "parent", User: tuple.User{Type: "folder", ID: folderID(p)}}); err != nil {
			return err
		}
	}
	for o, gs := range d.grants {
		obj := d.object(int32(o))
		for _, g := range gs {
			if err := emit(tuple.Tuple{Object: obj, Relation: relNames[g.rel], User: subject(g)}); err != nil {
				return err
			}
		}
	}
	return nil
}
