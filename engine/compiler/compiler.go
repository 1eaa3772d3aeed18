// Package compiler turns an OpenFGA authorization model into a Rego module
// that answers "does the input user have relation R on object T:id?" by
// walking the tuple index that datasync keeps in the OPA store.
//
// # Shape of the generated Rego
//
// Every relation T#R becomes boolean functions of the object id, one per
// resolution depth d (Rego forbids recursion, so nesting is unrolled):
//
//	rN_T_R_has_d(id)  the user definitely has R on T:id
//	rN_T_R_may_d(id)  the user has R, or the answer is unknown (a cycle)
//
// A cycle in the data (group:a ∈ group:b ∈ group:a) is "unknown", as in
// OpenFGA: it is false at the top, and it also makes an exclusion false,
// so `base but not sub` compiles to `base.has and not sub.may`. Only
// relations on a cycle of the model's relation graph can meet a data cycle;
// their functions carry the set of object#relation nodes on the current path
// and stop at a repeat. Reaching depth MaxDepth+1 calls
// sentinel.too_complex, which aborts evaluation with an error: the request
// is refused rather than answered from a partial search.
//
// Data read (see package engine):
//
//	data.sentinel.t[svc][type][id][relation][userType][userId]          plain and wildcard ("*") users
//	data.sentinel.s[svc][type][id][relation][userType][userRel][userId] userset users
//
// and, by the fast variant only, what the engine keeps instead of walks:
// membership closures (data.sentinel.c, .y, .g; see Closable) and
// flattened parent chains (data.sentinel.e, .f, .h, and the views .u and
// .v the engine computes on read; see Flattened and flatBodies).
//
// Input: {"id": object id, "utype", "uid", "urel"} — the user as type, id
// and relation ("" unless the user is a userset).
package compiler

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
)

// DefaultMaxDepth is OpenFGA's default resolution depth.
const DefaultMaxDepth = 25

// TooComplexBuiltin is the name of the builtin the generated Rego calls
// when it would resolve deeper than MaxDepth; the engine registers it.
const TooComplexBuiltin = "sentinel.too_complex"

// Options control compilation.
type Options struct {
	// Package is the Rego package of the module, e.g. "sentinel.models.m1".
	Package string
	// ServiceID is baked into every data reference.
	ServiceID string
	// MaxDepth is the deepest resolution allowed (default 25).
	MaxDepth int
	// TrackCycles compiles the careful variant: relations on a cycle carry
	// the path and tell a data cycle (unknown) from excessive depth. Without
	// it (the fast variant) there are no path sets and no "may" functions,
	// so repeated calls hit OPA's function cache; an evaluation that meets
	// a cycle runs into the depth limit instead, and the caller retries with
	// the careful variant. An evaluation that stays within the limit cannot
	// have revisited a node on its path, so both variants agree on it.
	TrackCycles bool
}

// Compiled is a model compiled to Rego.
type Compiled struct {
	// Package is the module's package path.
	Package string
	// Module is the Rego source.
	Module  string
	entries map[relKey]entry
	// Functions counts the generated functions.
	Functions int
}

type entry struct {
	fn        string
	recursive bool
	// plain, if set, decides the relation for a plain user (no userset
	// relation, not the wildcard) without testing the input for it.
	plain string
}

// Query returns the Rego query that decides objType#relation for the
// object id in input.id, and false if the model has no such relation.
func (c *Compiled) Query(objType, relation string) (string, bool) {
	e, ok := c.entries[relKey{objType, relation}]
	if !ok {
		return "", false
	}
	if e.recursive {
		return fmt.Sprintf("data.%s.%s(input.id, set())", c.Package, e.fn), true
	}
	return fmt.Sprintf("data.%s.%s(input.id)", c.Package, e.fn), true
}

// PlainQuery is Query for a plain user (input.urel "", input.uid not "*").
// For a flattened or membership relation of the fast variant it calls an
// entry made for such users, which decides from the engine's sets without
// first testing what kind of user it was given (a third of the expressions
// a denial evaluated); otherwise it is Query.
func (c *Compiled) PlainQuery(objType, relation string) (string, bool) {
	if e, ok := c.entries[relKey{objType, relation}]; ok && e.plain != "" {
		return fmt.Sprintf("data.%s.%s(input.id)", c.Package, e.plain), true
	}
	return c.Query(objType, relation)
}

type relKey struct{ typ, rel string }

func (k relKey) String() string { return k.typ + "#" + k.rel }

// relInfo is what the generator knows about one relation.
type relInfo struct {
	key       relKey
	name      string // rN_type_rel
	num       int    // N
	recursive bool   // on a cycle of the relation graph
	scc       int
	nodes     []*openfgav1.Userset // pre-order; nodes[0] is the rewrite root
	nodeIndex map[*openfgav1.Userset]int
}

// fnKey names one generated function.
type fnKey struct {
	rel   relKey
	node  int // index into relInfo.nodes; -1 is the cycle guard of a recursive relation
	has   bool
	depth int
}

type generator struct {
	m      *model.Model
	opts   Options
	rels   map[relKey]*relInfo
	order  []relKey
	done   map[fnKey]bool
	queue  []fnKey
	out    strings.Builder
	height map[relKey]int
	// flat are the flattened relations (fast variant only).
	flat map[relKey]bool
	// emitted names the helper functions already written.
	emitted map[string]bool
}

// Compile compiles m.
func Compile(m *model.Model, opts Options) (*Compiled, error) {
	if opts.Package == "" {
		return nil, fmt.Errorf("compile model: no package name")
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	g := &generator{m: m, opts: opts, rels: map[relKey]*relInfo{}, done: map[fnKey]bool{}, emitted: map[string]bool{}}
	g.index()
	g.findCycles()
	fmt.Fprintf(&g.out, "# Generated by Sentinel from an OpenFGA model; do not edit.\n")
	fmt.Fprintf(&g.out, "# Service %s, resolution depth %d.\n", opts.ServiceID, opts.MaxDepth)
	fmt.Fprintf(&g.out, "package %s\n", opts.Package)
	entries := map[relKey]entry{}
	g.heights()
	g.flat = map[relKey]bool{}
	if !opts.TrackCycles {
		g.flat = g.flattened()
	}
	for _, k := range g.order {
		ri := g.rels[k]
		depth := 0
		if g.fits(ri, 0) {
			depth = free
		}
		entries[k] = entry{fn: g.entryName(ri, true, depth), recursive: g.guarded(ri)}
		g.enqueue(fnKey{rel: k, node: g.entryNode(ri), has: true, depth: depth})
	}
	if err := g.drain(); err != nil {
		return nil, err
	}
	if !opts.TrackCycles {
		g.plainEntries(entries)
		if err := g.drain(); err != nil {
			return nil, err
		}
	}
	return &Compiled{Package: opts.Package, Module: g.out.String(), entries: entries, Functions: len(g.done)}, nil
}

// drain emits the queued functions and those they enqueue.
func (g *generator) drain() error {
	for len(g.queue) > 0 {
		k := g.queue[0]
		g.queue = g.queue[1:]
		if err := g.emit(k); err != nil {
			return err
		}
	}
	return nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

func ident(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// index numbers relations and their rewrite nodes.
func (g *generator) index() {
	for _, t := range g.m.Types() {
		for _, r := range g.m.Relations(t) {
			k := relKey{t, r}
			g.order = append(g.order, k)
			rw, _ := g.m.Relation(t, r)
			ri := &relInfo{key: k, num: len(g.order), name: fmt.Sprintf("r%d_%s_%s", len(g.order), ident(t), ident(r)), nodeIndex: map[*openfgav1.Userset]int{}}
			var walk func(u *openfgav1.Userset)
			walk = func(u *openfgav1.Userset) {
				ri.nodeIndex[u] = len(ri.nodes)
				ri.nodes = append(ri.nodes, u)
				for _, c := range model.Children(u) {
					walk(c)
				}
			}
			walk(rw)
			g.rels[k] = ri
		}
	}
}

// edges lists the relations that resolving k may dispatch to.
func (g *generator) edges(k relKey) []relKey {
	var out []relKey
	for _, u := range g.rels[k].nodes {
		switch v := u.GetUserset().(type) {
		case *openfgav1.Userset_This:
			for _, d := range g.m.DirectTypes(k.typ, k.rel) {
				if d.Relation != "" {
					out = append(out, relKey{d.Type, d.Relation})
				}
			}
		case *openfgav1.Userset_ComputedUserset:
			out = append(out, relKey{k.typ, v.ComputedUserset.GetRelation()})
		case *openfgav1.Userset_TupleToUserset:
			target := v.TupleToUserset.GetComputedUserset().GetRelation()
			for _, x := range g.tuplesetTypes(k.typ, v.TupleToUserset.GetTupleset().GetRelation(), target) {
				out = append(out, relKey{x, target})
			}
		}
	}
	return out
}

// tuplesetTypes returns the plain types a tupleset relation admits that
// define target (others are skipped, as in OpenFGA).
func (g *generator) tuplesetTypes(typ, tupleset, target string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range g.m.DirectTypes(typ, tupleset) {
		if d.Relation == "" && !d.IsWildcard() && g.m.HasRelation(d.Type, target) && !seen[d.Type] {
			seen[d.Type] = true
			out = append(out, d.Type)
		}
	}
	sort.Strings(out)
	return out
}

// findCycles marks relations on a cycle of the relation graph (Tarjan's
// strongly connected components).
func (g *generator) findCycles() {
	index, low := map[relKey]int{}, map[relKey]int{}
	onStack := map[relKey]bool{}
	var stack []relKey
	next, scc := 0, 0
	var strong func(v relKey)
	strong = func(v relKey) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.edges(v) {
			if _, ok := g.rels[w]; !ok {
				continue
			}
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var members []relKey
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			members = append(members, w)
			if w == v {
				break
			}
		}
		scc++
		selfLoop := false
		for _, w := range g.edges(v) {
			selfLoop = selfLoop || w == v
		}
		for _, w := range members {
			g.rels[w].scc = scc
			g.rels[w].recursive = len(members) > 1 || selfLoop
		}
	}
	for _, k := range g.order {
		if _, seen := index[k]; !seen {
			strong(k)
		}
	}
}

func (g *generator) entryNode(ri *relInfo) int {
	if g.guarded(ri) {
		return -1
	}
	return 0
}

// guarded reports whether ri's functions track the path for cycles: only
// relations on a cycle, and only in the careful variant.
func (g *generator) guarded(ri *relInfo) bool { return ri.recursive && g.opts.TrackCycles }

func (g *generator) entryName(ri *relInfo, has bool, depth int) string {
	return g.fnName(fnKey{rel: ri.key, node: g.entryNode(ri), has: has, depth: depth})
}

func (g *generator) fnName(k fnKey) string {
	ri := g.rels[k.rel]
	mode := "may"
	if k.has {
		mode = "has"
	}
	depth := fmt.Sprintf("_%d", k.depth)
	if k.depth == free {
		depth = ""
	}
	switch k.node {
	case -1:
		return fmt.Sprintf("%s_%s%s", ri.name, mode, depth)
	case 0:
		if g.guarded(ri) {
			return fmt.Sprintf("%s_body_%s%s", ri.name, mode, depth)
		}
		return fmt.Sprintf("%s_%s%s", ri.name, mode, depth)
	}
	return fmt.Sprintf("%s_n%d_%s%s", ri.name, k.node, mode, depth)
}

// free is the depth of a function that cannot reach the depth limit: an
// acyclic relation whose longest dispatch chain fits in the depth left.
// Such a relation needs one function, not one per depth, which keeps the
// generated code linear in the model for the common, shallow case.
const free = -1

// unbounded is the height of a relation that can reach a cycle.
const unbounded = 1 << 30

// heights computes, for every relation, the longest chain of dispatches
// its resolution can make (unbounded if it can reach a cycle).
func (g *generator) heights() {
	g.height = map[relKey]int{}
	var h func(k relKey, onPath map[relKey]bool) int
	h = func(k relKey, onPath map[relKey]bool) int {
		if v, ok := g.height[k]; ok {
			return v
		}
		ri := g.rels[k]
		if ri == nil {
			return 0
		}
		if ri.recursive || onPath[k] {
			return unbounded
		}
		onPath[k] = true
		best := 0
		for _, t := range g.edges(k) {
			best = max(best, min(unbounded, 1+h(t, onPath)))
		}
		delete(onPath, k)
		g.height[k] = best
		return best
	}
	for _, k := range g.order {
		h(k, map[relKey]bool{})
	}
}

// fits reports whether a relation reached at depth can never pass the limit.
func (g *generator) fits(ri *relInfo, depth int) bool {
	return !ri.recursive && depth+g.height[ri.key] <= g.opts.MaxDepth
}

func (g *generator) enqueue(k fnKey) string {
	if !g.done[k] {
		g.done[k] = true
		g.queue = append(g.queue, k)
	}
	return g.fnName(k)
}

// lit is a Rego string literal (JSON escaping is valid Rego).
func lit(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
