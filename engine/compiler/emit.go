package compiler

import (
	"fmt"
	"strings"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"
)

// scope is where a body is generated: the function's relation, mode and
// depth, and the name of its path argument ("" outside recursive relations).
type scope struct {
	ri    *relInfo
	has   bool
	depth int
	path  string
}

func (g *generator) emit(k fnKey) error {
	ri := g.rels[k.rel]
	name := g.fnName(k)
	params := "id"
	if g.guarded(ri) {
		params = "id, path"
	}
	if k.node == -1 {
		// The cycle guard: a node already on the path is unknown.
		key := fmt.Sprintf(`concat("", [%s, id])`, lit(fmt.Sprintf("%d:", ri.num)))
		body := g.enqueue(fnKey{rel: k.rel, node: 0, has: k.has, depth: k.depth})
		fmt.Fprintf(&g.out, "\n# %s (%s)\n", ri.key, modeDoc(k.has))
		guarded := []string{"k := " + key, "not path[k]", body + "(id, path | {k})"}
		if k.has {
			g.function(name, params, [][]string{guarded})
		} else {
			g.function(name, params, [][]string{{"path[" + key + "]"}, guarded})
		}
		return nil
	}
	node := ri.nodes[k.node]
	sc := scope{ri: ri, has: k.has, depth: k.depth}
	if g.guarded(ri) {
		sc.path = "path"
	}
	bodies, err := g.bodies(sc, node)
	if err != nil {
		return err
	}
	if k.node == 0 && !g.opts.TrackCycles {
		switch {
		case Closable(g.m, ri.key.typ, ri.key.rel):
			bodies = append(g.closure(ri, k.depth), bodies...)
		case g.flat[ri.key]:
			bodies = append(g.flatBodies(ri, k.depth, false), usersetBodies(bodies)...)
		}
	}
	if k.node == 0 {
		// A userset is related to itself: T:id#R has R on T:id.
		bodies = append(bodies, []string{
			fmt.Sprintf("input.urel == %s", lit(ri.key.rel)),
			fmt.Sprintf("input.utype == %s", lit(ri.key.typ)),
			"input.uid == id",
		})
	}
	if k.node == 0 || k.node == -1 {
		fmt.Fprintf(&g.out, "\n# %s (%s)\n", ri.key, modeDoc(k.has))
		if k.node == 0 && !g.opts.TrackCycles && g.flat[ri.key] {
			g.out.WriteString("# A plain user: from the flattened chain (data.sentinel.e, .f, .h); a userset: the walk.\n")
		}
	}
	if len(bodies) == 0 {
		// Never true; Rego needs a body, so emit one that fails.
		bodies = [][]string{{"false"}}
	}
	g.function(name, params, bodies)
	return nil
}

// closure is how the fast variant decides a membership relation for a
// plain user: from the closure the engine keeps (data.sentinel.c); absent
// there, false unless the member graph below the object has a cycle
// (data.sentinel.y), which the careful variant must judge. Usersets asked
// about go on to the ordinary bodies.
//
// A closure entry is the member's shortest nesting distance; at depth d the
// walk it replaces could go MaxDepth-d levels deeper, so only members that
// close are accepted. A member further down is not false but too deep:
// like a cycle, it falls through to the careful variant, which refuses it.
func (g *generator) closure(ri *relInfo, depth int) [][]string {
	c := g.ref("c", lit(ri.key.typ), "id", lit(ri.key.rel))
	y := g.ref("y", lit(ri.key.typ), "id", lit(ri.key.rel))
	left := fmt.Sprint(g.opts.MaxDepth - depth)
	return [][]string{
		{plainUser, notWildcard, c + "[input.utype][input.uid] <= " + left},
		{plainUser, c + `[input.utype]["*"] <= ` + left},
		{falseBody, plainUser, "not " + y, "not " + c + "[input.utype][input.uid]", "not " + c + `[input.utype]["*"]`},
		{plainUser, fmt.Sprintf("%s(%s)", TooComplexBuiltin, lit(ri.key.String()+" (cycle or depth)"))},
	}
}

// usersetBodies drops the bodies that apply to plain users only: after a
// flattened relation's bodies, which decide every plain user, they are
// never reached.
func usersetBodies(bodies [][]string) [][]string {
	out := bodies[:0:0]
	for _, b := range bodies {
		if len(b) == 0 || b[0] != plainUser {
			out = append(out, b)
		}
	}
	return out
}

// falseBody marks a body whose value is false: the chain stops there.
const falseBody = "#false"

// function writes a function true when any body holds (else false), as one
// else chain:
// OPA evaluates every definition of a function even after one succeeded,
// but stops an else chain at its first success, so alternatives are tried
// in order (cheap lookups first) and only until one grants.
func (g *generator) function(name, params string, bodies [][]string) {
	for i, b := range bodies {
		value := "true"
		if len(b) > 0 && b[0] == falseBody {
			value, b = "false", b[1:]
		}
		if i == 0 {
			fmt.Fprintf(&g.out, "%s(%s) := %s if {\n", name, params, value)
		} else {
			fmt.Fprintf(&g.out, " else := %s if {\n", value)
		}
		fmt.Fprintf(&g.out, "\t%s\n}", strings.Join(b, "\n\t"))
	}
	// Total functions: OPA caches a call's value for the rest of the
	// evaluation, but only if there is one; an explicit false makes the
	// many failing sub-calls of a search cacheable too.
	g.out.WriteString(" else := false\n")
}

func modeDoc(has bool) string {
	if has {
		return "definitely related"
	}
	return "related or unknown"
}

// bodies returns the alternatives (each a conjunction) of a rewrite node.
func (g *generator) bodies(sc scope, u *openfgav1.Userset) ([][]string, error) {
	switch v := u.GetUserset().(type) {
	case *openfgav1.Userset_This:
		return g.direct(sc), nil
	case *openfgav1.Userset_ComputedUserset:
		target := relKey{sc.ri.key.typ, v.ComputedUserset.GetRelation()}
		if ti := g.rels[target]; ti != nil && !(sc.ri.recursive && ti.scc == sc.ri.scc) {
			// A computed relation outside the caller's cycle cannot lead
			// back to it, so it costs no depth. Keeping the depth lets OPA's
			// per-evaluation function cache answer the repeated calls a
			// parent chain makes (viewer → editor at every level).
			return [][]string{{g.call(sc, target, "id", sc.depth)}}, nil
		}
		return [][]string{{g.dispatch(sc, target, "id")}}, nil
	case *openfgav1.Userset_TupleToUserset:
		return g.tupleToUserset(sc, v.TupleToUserset), nil
	case *openfgav1.Userset_Union:
		var out [][]string
		for _, c := range v.Union.GetChild() {
			switch c.GetUserset().(type) {
			case *openfgav1.Userset_Intersection, *openfgav1.Userset_Difference:
				out = append(out, []string{g.sub(sc, c, sc.has)})
			default:
				bs, err := g.bodies(sc, c)
				if err != nil {
					return nil, err
				}
				out = append(out, bs...)
			}
		}
		return out, nil
	case *openfgav1.Userset_Intersection:
		var body []string
		for _, c := range v.Intersection.GetChild() {
			body = append(body, g.sub(sc, c, sc.has))
		}
		return [][]string{body}, nil
	case *openfgav1.Userset_Difference:
		// has: base has and sub not may; may: base may and sub not has.
		// Without cycles (the fast variant) may is has.
		subHas := !sc.has || !g.opts.TrackCycles
		return [][]string{{
			g.sub(sc, v.Difference.GetBase(), sc.has),
			"not " + g.sub(sc, v.Difference.GetSubtract(), subHas),
		}}, nil
	}
	return nil, fmt.Errorf("compile %s: unsupported rewrite %T", sc.ri.key, u.GetUserset())
}

// sub calls the function of a child node of the same relation.
func (g *generator) sub(sc scope, child *openfgav1.Userset, has bool) string {
	name := g.enqueue(fnKey{rel: sc.ri.key, node: sc.ri.nodeIndex[child], has: has, depth: sc.depth})
	if sc.path != "" {
		return fmt.Sprintf("%s(id, %s)", name, sc.path)
	}
	return name + "(id)"
}

// dispatch calls the entry of another relation (or the same one on another
// object) one level deeper.
func (g *generator) dispatch(sc scope, target relKey, idExpr string) string {
	if _, ok := g.rels[target]; !ok {
		return "false"
	}
	return g.call(sc, target, idExpr, sc.depth+1)
}

// call calls the entry of target at the given depth.
func (g *generator) call(sc scope, target relKey, idExpr string, depth int) string {
	ti := g.rels[target]
	switch {
	case sc.depth == free || g.fits(ti, depth):
		depth = free
	case depth > g.opts.MaxDepth:
		return fmt.Sprintf("%s(%s)", TooComplexBuiltin, lit(target.String()))
	}
	name := g.enqueue(fnKey{rel: target, node: g.entryNode(ti), has: sc.has, depth: depth})
	if !g.guarded(ti) {
		return fmt.Sprintf("%s(%s)", name, idExpr)
	}
	path := "set()"
	if sc.path != "" && ti.scc == sc.ri.scc {
		path = sc.path
	}
	return fmt.Sprintf("%s(%s, %s)", name, idExpr, path)
}

func (g *generator) ref(index string, parts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data.sentinel.%s[%s]", index, lit(g.opts.ServiceID))
	for _, p := range parts {
		b.WriteString("[" + p + "]")
	}
	return b.String()
}

// direct is assignment ([user, user:*, group#member]): only the user types
// the current model admits are looked at, so tuples an older model allowed
// are ignored.
func (g *generator) direct(sc scope) [][]string {
	t, r := sc.ri.key.typ, sc.ri.key.rel
	var out [][]string
	for _, d := range g.m.DirectTypes(t, r) {
		switch {
		case d.Relation != "":
			set := g.ref("s", lit(t), "id", lit(r), lit(d.Type), lit(d.Relation))
			out = append(out,
				// The user is this very userset.
				[]string{fmt.Sprintf("input.urel == %s", lit(d.Relation)), fmt.Sprintf("input.utype == %s", lit(d.Type)), set + "[input.uid]"},
				// The user is reached through the userset's members.
				[]string{set + "[uid]", g.dispatch(sc, relKey{d.Type, d.Relation}, "uid")},
			)
		case d.IsWildcard():
			out = append(out, []string{`input.urel == ""`, fmt.Sprintf("input.utype == %s", lit(d.Type)),
				g.ref("t", lit(t), "id", lit(r), lit(d.Type), `"*"`)})
		default:
			// A stored wildcard only counts where the model admits it.
			out = append(out, []string{`input.urel == ""`, fmt.Sprintf("input.utype == %s", lit(d.Type)), `input.uid != "*"`,
				g.ref("t", lit(t), "id", lit(r), lit(d.Type), "input.uid")})
		}
	}
	return out
}

// tupleToUserset is "target from tupleset": every parent object related
// through the tupleset relation (of a type that defines target) is asked
// for target.
func (g *generator) tupleToUserset(sc scope, ttu *openfgav1.TupleToUserset) [][]string {
	t := sc.ri.key.typ
	tupleset := ttu.GetTupleset().GetRelation()
	target := ttu.GetComputedUserset().GetRelation()
	var out [][]string
	for _, x := range g.tuplesetTypes(t, tupleset, target) {
		out = append(out, []string{
			g.ref("t", lit(t), "id", lit(tupleset), lit(x)) + "[pid]",
			`pid != "*"`,
			g.dispatch(sc, relKey{x, target}, "pid"),
		})
	}
	return out
}
