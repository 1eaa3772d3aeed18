package policies_test

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/sentinel-auth/sentinel/tuple"
)

// dataset is a generated population of workspaces, members, groups and
// resources, held both as the rows the original product stored and as the
// system tuples Sentinel writes for them, so the model's answers can be
// compared with the original's rules evaluated directly on the rows.
type dataset struct {
	workspaces []*workspaceRow
	resources  []*resourceRow
	byID       map[string]*resourceRow
	role       map[[2]string]string   // (workspace, user) → role
	groupsOf   map[string][]*groupRow // user → groups they are directly in
	users      []string
}

type workspaceRow struct {
	id        string
	members   []string
	groups    []*groupRow
	resources []*resourceRow
}

type groupRow struct {
	id      string
	wid     string
	members []string
	parents []*groupRow // groups this one is nested in
}

type resourceRow struct {
	id, wid, owner string
	visible        bool         // visibility "workspace"
	parent         *resourceRow // optional, same workspace
	shares         []shareRow
}

type shareRow struct {
	user  string    // grantee user, or
	group *groupRow // grantee group
	edit  bool
}

// dataConfig sizes a dataset.
type dataConfig struct {
	workspaces, members, groups, resources int // members, groups and resources per workspace
	seed                                   uint64
}

// roles are assigned in this order: one owner, one admin, a sixth editors,
// the rest viewers.
func roleOf(i, members int) string {
	switch {
	case i == 0:
		return "owner"
	case i == 1:
		return "admin"
	case i < 2+members/6:
		return "editor"
	}
	return "viewer"
}

func id(kind string, w, i int) string {
	return fmt.Sprintf("%08x-%04x-4000-8000-%012x", w, len(kind), i)
}

// generate builds a dataset: 85% of resources visible to the workspace,
// 20% below a parent, 30% shared (a user or a group, 30% of shares edit),
// groups of five members, the second nested in the first and the third in
// the second.
func generate(c dataConfig) *dataset {
	rng := rand.New(rand.NewPCG(c.seed, 0x5e17))
	d := &dataset{byID: map[string]*resourceRow{}, role: map[[2]string]string{}, groupsOf: map[string][]*groupRow{}}
	for w := range c.workspaces {
		ws := &workspaceRow{id: id("workspace", w, 0)}
		for i := range c.members {
			u := id("user", w, i)
			ws.members = append(ws.members, u)
			d.users = append(d.users, u)
			d.role[[2]string{ws.id, u}] = roleOf(i, c.members)
		}
		for g := range c.groups {
			gr := &groupRow{id: id("group", w, g), wid: ws.id}
			for _, i := range rng.Perm(c.members)[:min(5, c.members)] {
				gr.members = append(gr.members, ws.members[i])
				d.groupsOf[ws.members[i]] = append(d.groupsOf[ws.members[i]], gr)
			}
			if g > 0 && g < 3 {
				gr.parents = []*groupRow{ws.groups[g-1]}
			}
			ws.groups = append(ws.groups, gr)
		}
		for r := range c.resources {
			res := &resourceRow{
				id:      "notes/note/" + id("resource", w, r),
				wid:     ws.id,
				owner:   ws.members[rng.IntN(c.members)],
				visible: rng.Float64() < 0.85,
			}
			if r > 0 && rng.Float64() < 0.2 {
				res.parent = ws.resources[rng.IntN(r)]
			}
			if rng.Float64() < 0.3 {
				sh := shareRow{edit: rng.Float64() < 0.3}
				if c.groups > 0 && rng.IntN(2) == 0 {
					sh.group = ws.groups[rng.IntN(c.groups)]
				} else {
					sh.user = ws.members[rng.IntN(c.members)]
				}
				res.shares = append(res.shares, sh)
			}
			ws.resources = append(ws.resources, res)
			d.resources = append(d.resources, res)
			d.byID[res.id] = res
		}
		d.workspaces = append(d.workspaces, ws)
	}
	return d
}

// tuples are the system tuples of every row, in the schema's shapes.
func (d *dataset) tuples() []tuple.Tuple {
	var out []tuple.Tuple
	for _, ws := range d.workspaces {
		for _, u := range ws.members {
			out = append(out, member(ws.id, u, d.role[[2]string{ws.id, u}]))
		}
		for _, g := range ws.groups {
			out = append(out, group(g.id, g.wid, g.members...)...)
			for _, p := range g.parents {
				out = append(out, nest(p.id, g.id))
			}
		}
	}
	for _, r := range d.resources {
		obj := tuple.Object{Type: "resource", ID: r.id}
		add := func(rel string, u tuple.User) { out = append(out, tuple.Tuple{Object: obj, Relation: rel, User: u}) }
		add("workspace", tuple.User{Type: "workspace", ID: r.wid})
		add("owner", userRef(r.owner))
		if r.parent != nil {
			add("parent", tuple.User{Type: "resource", ID: r.parent.id})
		}
		if r.visible {
			add("visible_to", tuple.User{Type: "workspace", ID: r.wid, Relation: "member"})
			add("editable_by", tuple.User{Type: "workspace", ID: r.wid, Relation: "editor"})
		}
		for _, s := range r.shares {
			rel := "shared_viewer"
			if s.edit {
				rel = "shared_editor"
			}
			if s.group != nil {
				add(rel, tuple.User{Type: "group", ID: s.group.id, Relation: "member"})
			} else {
				add(rel, userRef(s.user))
			}
		}
	}
	return out
}

// inGroup reports whether u is in g, directly or through nested groups.
func (d *dataset) inGroup(u string, g *groupRow) bool {
	seen := map[*groupRow]bool{}
	stack := slices.Clone(d.groupsOf[u]) // popped and pushed below: never alias the rows
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x == g {
			return true
		}
		if !seen[x] {
			seen[x] = true
			stack = append(stack, x.parents...)
		}
	}
	return false
}

// allowed is the original's check (COMPAT.md, "Check semantics"), written
// over the rows, for a caller whose token names the resource's workspace,
// extended with nested groups and parent resources. It shares nothing
// with the model, so agreement is evidence, not tautology.
func (d *dataset) allowed(u string, r *resourceRow, action string) bool {
	role := d.role[[2]string{r.wid, u}]
	if role == "" {
		return false // not a member: no token for this workspace
	}
	switch {
	case r.owner == u:
		return true
	case role == "admin" || role == "owner":
		return true
	case r.visible && (action == "view" || role == "editor"):
		return true
	}
	for _, s := range r.shares {
		if (s.user == u || (s.group != nil && d.inGroup(u, s.group))) && (action == "view" || s.edit) {
			return true
		}
	}
	return r.parent != nil && d.allowed(u, r.parent, action)
}
