package policies_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Workspaces of the scenario: acme (the one under test) and globex.
const (
	acme   = "0b1f3c1e-0000-4000-8000-00000000ac3e"
	globex = "0b1f3c1e-0000-4000-8000-0000000061b0"
)

// scenario is one world of every relationship the check semantics name.
// Users are named after what they are; every acme user but the first four
// has the role viewer, so only the rule under test can grant them access.
func scenario() []tuple.Tuple {
	var ts []tuple.Tuple
	for uid, role := range map[string]string{
		"wsowner": "owner", "wsadmin": "admin", "editor": "editor", "viewer": "viewer",
		"author": "viewer", "sharedv": "viewer", "sharede": "viewer", "grpv": "viewer",
		"grpe": "viewer", "nested": "viewer", "deep": "viewer", "mixed": "viewer",
	} {
		ts = append(ts, member(acme, uid, role))
	}
	ts = append(ts, member(globex, "xowner", "owner"), member(globex, "xviewer", "viewer"))
	// "stranger" has no tuple at all.

	ts = slices.Concat(ts,
		group("readers", acme, "grpv", "mixed"),
		group("writers", acme, "grpe"),
		group("inner", acme, "nested"),
		group("innermost", acme, "deep"),
		[]tuple.Tuple{nest("readers", "inner"), nest("inner", "innermost")},
	)
	for _, r := range resources {
		ts = append(ts, r.tuples()...)
	}
	return append(ts,
		shareUser("private", "sharedv", "view"),
		shareUser("private", "sharede", "edit"),
		shareGroup("private", "readers", "view"),
		shareGroup("private", "writers", "edit"),
		shareUser("other", "mixed", "view"),
	)
}

var resources = []resource{
	{name: "public", wid: acme, owner: "author", workspaceVisible: true},
	{name: "private", wid: acme, owner: "author"},
	{name: "child", wid: acme, owner: "author", parent: "private"},
	{name: "grandchild", wid: acme, owner: "editor", parent: "child"},
	{name: "pubchild", wid: acme, owner: "author", parent: "public"},
	{name: "mine", wid: acme, owner: "mixed"},
	{name: "other", wid: acme, owner: "author"},
	{name: "foreign", wid: globex, owner: "xowner", workspaceVisible: true},
}

// allUsers are every user of the scenario, the stranger included.
var allUsers = []string{
	"wsowner", "wsadmin", "editor", "viewer", "author", "sharedv", "sharede", "grpv",
	"grpe", "nested", "deep", "mixed", "xowner", "xviewer", "stranger",
}

// TestCheckSemantics asserts each rule of the original's check semantics
// (COMPAT.md), and the additions (nested groups, parent resources), for
// view and for edit. The workspace comparison with the token's wid is the
// API's; the model still never lets one workspace's role reach another's
// resources, which the cross-workspace cases show.
func TestCheckSemantics(t *testing.T) {
	w := newWorld(t)
	w.write(scenario(), nil)
	cases := []struct {
		rule, user, resource string
		view, edit           bool
	}{
		{"unregistered resource: deny, even to the workspace owner", "wsowner", "unregistered", false, false},
		{"resource owner (role viewer): view and edit", "author", "private", true, true},
		{"workspace owner: everything in the workspace", "wsowner", "private", true, true},
		{"workspace admin: everything in the workspace", "wsadmin", "private", true, true},
		{"workspace admin: resources below a parent too", "wsadmin", "grandchild", true, true},
		{"visibility workspace, role editor: view and edit", "editor", "public", true, true},
		{"visibility workspace, role viewer: view only", "viewer", "public", true, false},
		{"visibility workspace, role admin: view and edit", "wsadmin", "public", true, true},
		{"private, role editor: nothing", "editor", "private", false, false},
		{"private, role viewer: nothing", "viewer", "private", false, false},
		{"direct user share view: view only", "sharedv", "private", true, false},
		{"direct user share edit: edit implies view", "sharede", "private", true, true},
		{"group share view: view only", "grpv", "private", true, false},
		{"group share edit: edit implies view", "grpe", "private", true, true},
		{"nested group share", "nested", "private", true, false},
		{"group nested two levels deep", "deep", "private", true, false},
		{"parent: the owner of the parent", "author", "child", true, true},
		{"parent: a view share on the parent", "sharedv", "child", true, false},
		{"parent: an edit share on the parent", "sharede", "child", true, true},
		{"parent: inherited across two levels (edit)", "sharede", "grandchild", true, true},
		{"parent: inherited across two levels (group view)", "grpv", "grandchild", true, false},
		{"parent: a nested group's share on the parent", "nested", "child", true, false},
		{"parent visibility workspace, role viewer: view", "viewer", "pubchild", true, false},
		{"parent visibility workspace, role editor: edit", "editor", "pubchild", true, true},
		{"owning a child grants nothing on its parent", "editor", "child", false, false},
		{"the owner of a child owns it", "editor", "grandchild", true, true},
		{"another workspace's owner, no share: deny", "xowner", "public", false, false},
		{"another workspace's owner, private: deny", "xowner", "private", false, false},
		{"this workspace's owner on another workspace's resource: deny", "wsowner", "foreign", false, false},
		{"this workspace's viewer on another workspace's visible resource: deny", "viewer", "foreign", false, false},
		{"another workspace's viewer on its own visible resource: view", "xviewer", "foreign", true, false},
		{"non-member, visibility workspace: deny", "stranger", "public", false, false},
		{"non-member, private: deny", "stranger", "private", false, false},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			id := rid(c.resource)
			if got := w.check(c.user, id, "view"); got != c.view {
				t.Errorf("view: got %v, want %v", got, c.view)
			}
			if got := w.check(c.user, id, "edit"); got != c.edit {
				t.Errorf("edit: got %v, want %v", got, c.edit)
			}
		})
	}
}

// names maps resource ids back to the scenario's names, sorted.
func names(t *testing.T, ids []string) []string {
	t.Helper()
	byID := map[string]string{}
	for _, r := range resources {
		byID[rid(r.name)] = r.name
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		n, ok := byID[id]
		if !ok {
			t.Fatalf("listed %q, which is no resource of the scenario", id)
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestListObjects asserts that listing resources a user can view is the
// union of what `accessible` returns in the original — owned,
// workspace-visible, user-shared and group-shared — plus what parents
// pass down, and never another workspace's resources.
func TestListObjects(t *testing.T) {
	w := newWorld(t)
	w.write(scenario(), nil)
	cases := []struct {
		name, user, rel string
		want            []string
	}{
		{"owned + visible + user share + group share + children, view", "mixed", "view",
			[]string{"child", "grandchild", "mine", "other", "private", "pubchild", "public"}},
		{"a role viewer edits only what they own", "mixed", "edit", []string{"mine"}},
		{"edit share, view", "sharede", "view", []string{"child", "grandchild", "private", "pubchild", "public"}},
		{"edit share, edit", "sharede", "edit", []string{"child", "grandchild", "private"}},
		{"role editor, edit: workspace-visible and owned", "editor", "edit", []string{"grandchild", "pubchild", "public"}},
		{"workspace owner: every resource of the workspace, no other", "wsowner", "view",
			[]string{"child", "grandchild", "mine", "other", "private", "pubchild", "public"}},
		{"another workspace's owner: only its own", "xowner", "view", []string{"foreign"}},
		{"non-member: nothing", "stranger", "view", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := names(t, w.list(c.user, c.rel)); !slices.Equal(got, c.want) {
				t.Errorf("list %s for %s: got %v, want %v", c.rel, c.user, got, c.want)
			}
		})
	}
	// List and check never disagree, for anyone, on any resource.
	for _, u := range allUsers {
		for _, rel := range []string{"view", "edit"} {
			listed := map[string]bool{}
			for _, id := range w.list(u, rel) {
				listed[id] = true
			}
			for _, r := range resources {
				if got := w.check(u, rid(r.name), rel); got != listed[rid(r.name)] {
					t.Errorf("%s %s %s: check says %v, list says %v", u, rel, r.name, got, listed[rid(r.name)])
				}
			}
		}
	}
}

// TestRevocation asserts that deleting the tuple a grant rests on revokes
// it, in check and in list, while everything else stays.
func TestRevocation(t *testing.T) {
	type grant struct {
		user, resource, rel string
		before, after       bool
	}
	cases := []struct {
		name    string
		deletes []tuple.Tuple
		writes  []tuple.Tuple
		grants  []grant
	}{
		{
			name:    "unshare a user's view share",
			deletes: []tuple.Tuple{shareUser("private", "sharedv", "view")},
			grants: []grant{
				{"sharedv", "private", "view", true, false},
				{"sharedv", "child", "view", true, false},
				{"sharede", "private", "edit", true, true},
			},
		},
		{
			name:    "downgrade an edit share to view (upsert)",
			deletes: []tuple.Tuple{shareUser("private", "sharede", "edit")},
			writes:  []tuple.Tuple{shareUser("private", "sharede", "view")},
			grants: []grant{
				{"sharede", "private", "edit", true, false},
				{"sharede", "private", "view", true, true},
			},
		},
		{
			name:    "unshare a group",
			deletes: []tuple.Tuple{shareGroup("private", "readers", "view")},
			grants: []grant{
				{"grpv", "private", "view", true, false},
				{"nested", "private", "view", true, false},
				{"grpe", "private", "edit", true, true},
			},
		},
		{
			name:    "remove a user from a group",
			deletes: []tuple.Tuple{tp("group", "readers", "member", userRef("grpv"))},
			grants: []grant{
				{"grpv", "private", "view", true, false},
				{"mixed", "private", "view", true, true},
			},
		},
		{
			name:    "un-nest a group",
			deletes: []tuple.Tuple{nest("readers", "inner")},
			grants: []grant{
				{"nested", "private", "view", true, false},
				{"deep", "private", "view", true, false},
				{"grpv", "private", "view", true, true},
			},
		},
		{
			name:    "visibility back to private",
			deletes: visibility("public", acme),
			grants: []grant{
				{"viewer", "public", "view", true, false},
				{"editor", "public", "edit", true, false},
				{"viewer", "pubchild", "view", true, false},
				{"author", "public", "edit", true, true},
				{"wsadmin", "public", "edit", true, true},
			},
		},
		{
			name:    "remove a member from the workspace",
			deletes: []tuple.Tuple{member(acme, "viewer", "viewer")},
			grants:  []grant{{"viewer", "public", "view", true, false}},
		},
		{
			name:    "demote an editor to viewer",
			deletes: []tuple.Tuple{member(acme, "editor", "editor")},
			writes:  []tuple.Tuple{member(acme, "editor", "viewer")},
			grants: []grant{
				{"editor", "public", "edit", true, false},
				{"editor", "public", "view", true, true},
			},
		},
		{
			name:    "demote an admin to editor",
			deletes: []tuple.Tuple{member(acme, "wsadmin", "admin")},
			writes:  []tuple.Tuple{member(acme, "wsadmin", "editor")},
			grants: []grant{
				{"wsadmin", "private", "view", true, false},
				{"wsadmin", "public", "edit", true, true},
			},
		},
		{
			name:    "detach a resource from its parent",
			deletes: []tuple.Tuple{tp("resource", rid("child"), "parent", tuple.User{Type: "resource", ID: rid("private")})},
			grants: []grant{
				{"sharedv", "child", "view", true, false},
				{"sharede", "grandchild", "edit", true, false},
				{"author", "child", "edit", true, true},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.write(scenario(), nil)
			assert := func(when string, want func(grant) bool) {
				t.Helper()
				for _, g := range c.grants {
					listed := slices.Contains(w.list(g.user, g.rel), rid(g.resource))
					if got := w.check(g.user, rid(g.resource), g.rel); got != want(g) || listed != want(g) {
						t.Errorf("%s: %s %s %s: check %v, listed %v, want %v", when, g.user, g.rel, g.resource, got, listed, want(g))
					}
				}
			}
			assert("before", func(g grant) bool { return g.before })
			w.write(c.writes, c.deletes)
			assert("after", func(g grant) bool { return g.after })
		})
	}
}
