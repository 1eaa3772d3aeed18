package compiler

import (
	"fmt"
	"slices"
	"sort"
)

// The tests that the input is a plain user, which plainEntries leaves out.
const (
	plainUser   = `input.urel == ""`
	notWildcard = `input.uid != "*"`
)

// flatBodies is how the fast variant decides a flattened relation (see
// Flattened) for a plain user at the given depth, from what the engine keeps
// per object:
//
//	data.sentinel.e[svc][type][id][rel][userType][userId] = steps   plain users and wildcards ("*")
//	data.sentinel.f[svc][type][id][rel][setType][setRel][setId] = steps  usersets (group:eng#member)
//	data.sentinel.h[svc][type][id][rel] = height                    the longest chain of steps below; 2^30 on a cycle,
//	                                                                 or while any membership of the service has one
//	data.sentinel.u[svc][type][id][rel][userType][userId] = steps   e's steps to the user or its type's wildcard (plain entries)
//	data.sentinel.g[svc][setType][setRel][userType][userId][setId] = steps  the closures, by member
//	data.sentinel.v[svc][type][id][rel][setType][setRel][userType][userId] = steps  through the usersets of f the user is in (g)
//
// A subject counts where the walk it replaces would reach it within the
// depth left. A userset subject counts where the user is in it: for a
// closable relation, the engine matches the user's closure entries
// (data.sentinel.g) against the usersets granted and serves the fewest
// steps (data.sentinel.v); otherwise the relation is asked. The answer is
// false only where the walk would have ended within the depth left without
// a cycle; anything else (a cycle, a chain too deep, a group too deep)
// calls too_complex, so the careful variant judges it. Usersets asked
// about go on to the ordinary bodies.
func (g *generator) flatBodies(ri *relInfo, depth int, plainOnly bool) [][]string {
	t, r := ri.key.typ, ri.key.rel
	left := g.opts.MaxDepth - depth
	if depth == free {
		// Called only where the whole walk fits, so every subject does.
		left = g.opts.MaxDepth
	}
	e := g.ref("e", lit(t), "id", lit(r))
	f := g.ref("f", lit(t), "id", lit(r))
	plain := plainUser
	closable, other, wildcards := g.chainUsersets(ri.key)
	out := [][]string{{plain, notWildcard, fmt.Sprintf("%s[input.utype][input.uid] <= %d", e, left)}}
	switch {
	case wildcards && plainOnly:
		// One read for the user and its type's wildcard: data.sentinel.u.
		out = [][]string{{fmt.Sprintf("%s[input.utype][input.uid] <= %d", g.ref("u", lit(t), "id", lit(r)), left)}}
	case wildcards:
		out = append(out, []string{plain, fmt.Sprintf(`%s[input.utype]["*"] <= %d`, e, left)})
	}
	var deny []string
	if len(closable) > 0 {
		via := g.viaFunction(ri, closable)
		out = append(out, []string{plain, fmt.Sprintf("%s(id) <= %d", via, left)})
		// No "not data.sentinel.y[...]" (a group cycle): while the
		// service has one, its heights read as cycles (deep). The call
		// is the one above, answered from OPA's function cache.
		deny = append(deny, fmt.Sprintf("%s(id) == %d", via, noGroup))
	}
	if len(other) > 0 {
		for _, u := range other {
			steps := 1 + g.height[u]
			if steps > left {
				continue
			}
			ti := g.rels[u]
			name := g.enqueue(fnKey{rel: u, node: g.entryNode(ti), has: true, depth: free})
			out = append(out, []string{plain, "some x",
				fmt.Sprintf("k := %s[%s][%s][x]", f, lit(u.typ), lit(u.rel)),
				fmt.Sprintf("k + %d <= %d", steps, left),
				name + "(x)",
			})
		}
		deny = append(deny, "not "+g.farFunction(ri, left, f, other)+"(id)")
	}
	if g.staticHeight(ri.key) < left {
		body := append([]string{falseBody, plain, fmt.Sprintf("not %s(id, %d)", g.deepFunction(ri), left)}, deny...)
		out = append(out, body)
	}
	return append(out, []string{plain, fmt.Sprintf("%s(%s)", TooComplexBuiltin, lit(ri.key.String()+" (cycle or depth)"))})
}

// chainUsersets returns the userset types admitted anywhere in k's
// flattened rewrite, closable ones apart, sorted, and whether any wildcard
// is admitted.
func (g *generator) chainUsersets(k relKey) (closable, other []relKey, wildcards bool) {
	seen := map[relKey]bool{k: true}
	stack := []relKey{k}
	found := map[relKey]bool{}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range g.m.DirectTypes(n.typ, n.rel) {
			if d.Relation != "" {
				found[relKey{d.Type, d.Relation}] = true
			}
			wildcards = wildcards || d.IsWildcard()
		}
		for _, t := range g.chainEdges(n) {
			if !seen[t] {
				seen[t] = true
				stack = append(stack, t)
			}
		}
	}
	for u := range found {
		if Closable(g.m, u.typ, u.rel) {
			closable = append(closable, u)
		} else {
			other = append(other, u)
		}
	}
	less := func(s []relKey) func(i, j int) bool {
		return func(i, j int) bool { return s[i].String() < s[j].String() }
	}
	sort.Slice(closable, less(closable))
	sort.Slice(other, less(other))
	return closable, other, wildcards
}

// viaFunction writes, once per relation, the function giving the fewest
// steps from T:id#R to the input user through the closable usersets on its
// chain (steps to the userset, one to enter it, its closure distance), or
// noGroup if the user is in none of them. The engine serves that number
// for each userset type as one read (data.sentinel.v), matching the
// usersets granted (.f) with the user's groups (.g) in Go: matched in Rego
// it was about half of a denial's CPU, and a read of the index for each
// group the user is in a third. noGroup, being more than any depth left,
// lets a grant test the value once.
func (g *generator) viaFunction(ri *relInfo, closable []relKey) string {
	name := ri.name + "_via"
	if g.emitted[name] {
		return name
	}
	g.emitted[name] = true
	var arms []string
	for _, u := range closable {
		uids := []string{"input.uid"}
		for _, d := range g.m.DirectTypes(u.typ, u.rel) {
			if d.IsWildcard() {
				// Members through a wildcard (group:all member user:*).
				uids = append(uids, `"*"`)
				break
			}
		}
		for _, uid := range uids {
			arms = append(arms, g.ref("v", lit(ri.key.typ), "id", lit(ri.key.rel), lit(u.typ), lit(u.rel), "input.utype", uid))
		}
	}
	fmt.Fprintf(&g.out, "\n# %s: fewest steps to the user through a group on the chain, or %d (none)\n", ri.key, noGroup)
	if len(arms) == 1 {
		fmt.Fprintf(&g.out, "%s(id) := %s if true\n\telse := %d\n", name, arms[0], noGroup)
		return name
	}
	// Several: the least of those defined (an array, not a set: only the
	// least matters, and a set hashes each element).
	for i, a := range arms {
		arms[i] = fmt.Sprintf("[d | d := %s]", a)
	}
	all := arms[0]
	for _, a := range arms[1:] {
		all = fmt.Sprintf("array.concat(%s, %s)", all, a)
	}
	fmt.Fprintf(&g.out, "%s(id) := min(%s) if true\n\telse := %d\n", name, all, noGroup)
	return name
}

// noGroup is what a via function (viaFunction) returns when the user is in
// none of the groups granted: more steps than any walk may take.
const noGroup = unbounded

// deepFunction writes, once per relation, the function true when the walk
// from T:id#R can take at least `steps` steps (a missing height is that of
// an object without tuples, which the caller has checked). It is a
// function because OPA hoists the reference out of `not ref >= n`, which
// would make a missing height fail the body instead of passing it.
func (g *generator) deepFunction(ri *relInfo) string {
	name := ri.name + "_deep"
	if g.emitted[name] {
		return name
	}
	g.emitted[name] = true
	fmt.Fprintf(&g.out, "\n# %s: the chain below the object is at least this many steps long\n", ri.key)
	fmt.Fprintf(&g.out, "%s(id, steps) if %s >= steps\n", name, g.ref("h", lit(ri.key.typ), "id", lit(ri.key.rel)))
	return name
}

// farFunction writes, once per relation and depth, the function true when
// a non-closable userset on the chain is too far to walk within the depth
// left (the grant bodies skipped it, so a denial would be unfounded).
func (g *generator) farFunction(ri *relInfo, left int, f string, other []relKey) string {
	name := fmt.Sprintf("%s_far_%d", ri.name, left)
	if g.emitted[name] {
		return name
	}
	g.emitted[name] = true
	var bodies [][]string
	for _, u := range other {
		bodies = append(bodies, []string{"some x", fmt.Sprintf("k := %s[%s][%s][x]", f, lit(u.typ), lit(u.rel)),
			fmt.Sprintf("k + %d > %d", 1+g.height[u], left)})
	}
	fmt.Fprintf(&g.out, "\n# %s: a userset on the chain is too deep for the %d steps left\n", ri.key, left)
	g.function(name, "id", bodies)
	return name
}

// plainEntries writes, for each flattened or membership relation, an entry
// for plain users: the bodies that decide such a user (flatBodies,
// closure), without the tests that the input is one. The engine calls it
// only with a plain user, so the tests would always hold; a denial ran five
// of them.
func (g *generator) plainEntries(entries map[relKey]entry) {
	for _, k := range g.order {
		ri, e := g.rels[k], entries[k]
		depth := 0
		if g.fits(ri, 0) {
			depth = free
		}
		var bodies [][]string
		switch {
		case g.flat[k]:
			bodies = g.flatBodies(ri, depth, true)
		case Closable(g.m, k.typ, k.rel):
			bodies = g.closure(ri, depth)
		default:
			continue
		}
		for i, b := range bodies {
			bodies[i] = slices.DeleteFunc(slices.Clone(b), func(x string) bool { return x == plainUser || x == notWildcard })
		}
		e.plain = e.fn + "_plain"
		entries[k] = e
		fmt.Fprintf(&g.out, "\n# %s for a plain user (the engine calls it only with one)\n", k)
		g.function(e.plain, "id", bodies)
	}
}
