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
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"

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

func folderID(f int32) string { return "f" + strconv.Itoa(int(f)) }

func groupObj(g int32) tuple.Object {
	return tuple.Object{Type: "group", ID: "g" + strconv.Itoa(int(g))}
}

func groupSet(g int32) tuple.User {
	return tuple.User{Type: "group", ID: "g" + strconv.Itoa(int(g)), Relation: "member"}
}

func userOf(u int32) tuple.User { return tuple.User{Type: "user", ID: "u" + strconv.Itoa(int(u))} }

func subject(g grant) tuple.User {
	switch g.kind {
	case kindGroup:
		return groupSet(g.id)
	case kindWildcard:
		return tuple.User{Type: "user", ID: tuple.Wildcard}
	}
	return userOf(g.id)
}

func (d *Dataset) object(o int32) tuple.Object {
	if int(o) < d.folders {
		return tuple.Object{Type: "folder", ID: folderID(o)}
	}
	return tuple.Object{Type: "doc", ID: "d" + strconv.Itoa(int(o)-d.folders)}
}

// objectIndex maps a folder or document of d to its index.
func (d *Dataset) objectIndex(o tuple.Object) (int32, bool) {
	var prefix string
	var base, limit int
	switch o.Type {
	case "folder":
		prefix, base, limit = "f", 0, d.folders
	case "doc":
		prefix, base, limit = "d", d.folders, len(d.parent)-d.folders
	default:
		return 0, false
	}
	i, ok := index(o.ID, prefix, limit)
	return int32(base + i), ok
}

// index parses prefix<i> with 0 <= i < limit.
func index(id, prefix string, limit int) (int, bool) {
	if len(id) <= len(prefix) || id[:len(prefix)] != prefix {
		return 0, false
	}
	i, err := strconv.Atoi(id[len(prefix):])
	if err != nil || i < 0 || i >= limit || strconv.Itoa(i) != id[len(prefix):] {
		return 0, false
	}
	return i, true
}

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
