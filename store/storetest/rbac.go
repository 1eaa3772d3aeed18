package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// RBACStore is what the RBAC suite runs on: roles live in workspaces and
// are assigned to their members and groups.
type RBACStore interface {
	store.Store
	store.WorkspaceStore
	store.RBACStore
}

// RunRBAC runs the RBAC suite. open must return a new, empty store for each
// call and release it when t ends. Subtests run in parallel, each on its
// own store. Every case checks the rows, the system tuples and the
// changelog, and that a failed call changes none of them.
func RunRBAC(t *testing.T, open func(t *testing.T) RBACStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s RBACStore)
	}{
		{"RegisterActions", testRegisterActions},
		{"RegisterActionsInvalid", testRegisterActionsInvalid},
		{"Roles", testRoles},
		{"RoleActions", testRoleActions},
		{"AssignRole", testAssignRole},
		{"RolesOfUser", testRolesOfUser},
		{"DeleteRole", testDeleteRole},
		{"DeleteServiceActions", testDeleteServiceActions},
		{"Cascades", testRBACCascades},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// rbacFixture is two workspaces with members, groups and registered
// actions: acme (owner anne, viewer bob; group eng ⊃ group core ∋ bob)
// and other (owner carl, group ops).
type rbacFixture struct {
	anne, bob, carl, dave store.User // dave is in no workspace
	acme, other           store.Workspace
	eng, core, ops        store.Group
	export, share, print  store.ServiceAction // notes:export, notes:share, docs:print
}

func newRBACFixture(t *testing.T, s RBACStore) *rbacFixture {
	t.Helper()
	ctx := t.Context()
	f := &rbacFixture{}
	for _, u := range []struct {
		p    *store.User
		name string
	}{{&f.anne, "anne"}, {&f.bob, "bob"}, {&f.carl, "carl"}, {&f.dave, "dave"}} {
		*u.p, _ = provision(t, s, sighting("test", u.name, u.name+"@example.com"))
	}
	var err error
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %s: %v", what, err)
		}
	}
	f.acme, err = s.CreateWorkspace(ctx, "acme", "Acme", "", f.anne.ID)
	must("CreateWorkspace acme", err)
	f.other, err = s.CreateWorkspace(ctx, "other", "Other", "", f.carl.ID)
	must("CreateWorkspace other", err)
	_, err = s.AddMember(ctx, f.acme.ID, f.bob.ID, store.RoleViewer)
	must("AddMember bob", err)
	f.eng, err = s.CreateGroup(ctx, f.acme.ID, "eng", "", f.anne.ID)
	must("CreateGroup eng", err)
	f.core, err = s.CreateGroup(ctx, f.acme.ID, "core", "", f.anne.ID)
	must("CreateGroup core", err)
	f.ops, err = s.CreateGroup(ctx, f.other.ID, "ops", "", f.carl.ID)
	must("CreateGroup ops", err)
	_, err = s.AddGroupMember(ctx, f.eng.ID, store.GroupMemberGroup, f.core.ID)
	must("AddGroupMember eng ⊃ core", err)
	_, err = s.AddGroupMember(ctx, f.core.ID, store.GroupMemberUser, f.bob.ID)
	must("AddGroupMember core ∋ bob", err)
	notes, err := s.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}, {Action: "notes:share"}})
	must("RegisterActions notes", err)
	docs, err := s.RegisterActions(ctx, "docs", []store.ActionSpec{{Action: "docs:print"}})
	must("RegisterActions docs", err)
	f.export, f.share, f.print = notes[0], notes[1], docs[0]
	return f
}

// role creates a role in the workspace.
func (f *rbacFixture) role(t testing.TB, s RBACStore, ws store.Workspace, name string) store.RBACRole {
	t.Helper()
	r, err := s.CreateRole(t.Context(), ws.ID, name, "", f.anne.ID)
	if err != nil {
		t.Fatalf("CreateRole(%q): %v", name, err)
	}
	return r
}

// rbacTuples returns the system tuples of roles and actions, sorted.
func rbacTuples(t testing.TB, s store.Store) []string {
	t.Helper()
	var out []string
	for _, tp := range strs(allTuples(t, s, store.SystemServiceID, store.TupleFilter{})) {
		if strings.HasPrefix(tp, "role:") || strings.HasPrefix(tp, "action:") {
			out = append(out, tp)
		}
	}
	slices.Sort(out)
	return out
}

// rbacChanges renders the system service's changes after rev.
func rbacChanges(t testing.TB, s store.Store, after uint64) []string {
	t.Helper()
	return changeStrings(allChanges(t, s, store.SystemServiceID, after))
}

// rbacState renders every RBAC row of the workspaces and services, every
// system tuple and the head revision: what a failed call must not change.
func rbacState(t testing.TB, s RBACStore, workspaces []store.Workspace, services ...string) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	fmt.Fprintf(&b, "head %d\n", head(t, s))
	all := strs(allTuples(t, s, store.SystemServiceID, store.TupleFilter{}))
	slices.Sort(all)
	fmt.Fprintf(&b, "tuples %q\n", all)
	for _, svc := range services {
		as, err := s.ServiceActions(ctx, svc)
		fmt.Fprintf(&b, "actions of %s %+v %v\n", svc, as, err)
	}
	for _, ws := range workspaces {
		roles, err := s.Roles(ctx, ws.ID)
		fmt.Fprintf(&b, "roles of %s %+v %v\n", ws.Slug, roles, err)
		for _, r := range roles {
			as, err := s.RoleActions(ctx, r.ID)
			fmt.Fprintf(&b, "role %s actions %+v %v\n", r.Name, as, err)
			held, err := s.RoleAssignments(ctx, r.ID)
			fmt.Fprintf(&b, "role %s assignments %+v %v\n", r.Name, held, err)
		}
	}
	return b.String()
}

// rbacUnchanged fails unless err is want and the state is still before.
func rbacUnchanged(t testing.TB, s RBACStore, before, what string, err, want error, workspaces []store.Workspace, services ...string) {
	t.Helper()
	wantErrIs(t, what, err, want)
	if after := rbacState(t, s, workspaces, services...); after != before {
		t.Fatalf("%s failed but changed the store:\nbefore %s\nafter  %s", what, before, after)
	}
}

// rbacStr returns a pointer to s.
func rbacStr(s string) *string { return &s }

func testRegisterActions(t *testing.T, s RBACStore) {
	ctx := t.Context()
	h0 := head(t, s)
	got, err := s.RegisterActions(ctx, "notes", []store.ActionSpec{
		{Action: "notes:share", Description: rbacStr("Share a note")},
		{Action: "notes:export"},
		{Action: "notes:share", Description: rbacStr("Share a note with anyone")}, // repeated: registered once, last description
	})
	if err != nil {
		t.Fatalf("RegisterActions: %v", err)
	}
	if len(got) != 2 || got[0].Action != "notes:share" || got[1].Action != "notes:export" {
		t.Fatalf("RegisterActions = %+v, want notes:share then notes:export", got)
	}
	for _, a := range got {
		if _, err := uuid.Parse(a.ID); err != nil || a.ServiceName != "notes" || a.CreatedAt.IsZero() {
			t.Fatalf("registered action %+v: want a UUID id, service notes and a creation time", a)
		}
	}
	if got[0].Description != "Share a note with anyone" || got[1].Description != "" {
		t.Fatalf("descriptions %q, %q", got[0].Description, got[1].Description)
	}
	share, export := got[0], got[1]
	if h := head(t, s); h != h0 {
		t.Fatalf("registering actions appended changelog rows (head %d → %d): actions have no tuples", h0, h)
	}

	// Upsert: the id and creation time stay; nil keeps the description.
	again, err := s.RegisterActions(ctx, "notes", []store.ActionSpec{
		{Action: "notes:export", Description: rbacStr("Export as PDF")},
		{Action: "notes:share"},
		{Action: "notes:delete", Description: rbacStr("")},
	})
	if err != nil {
		t.Fatalf("RegisterActions again: %v", err)
	}
	export.Description = "Export as PDF"
	if again[0] != export || again[1] != share || again[2].Action != "notes:delete" {
		t.Fatalf("upsert = %+v, want %+v, %+v, notes:delete", again, export, share)
	}
	list, err := s.ServiceActions(ctx, "notes")
	if err != nil {
		t.Fatalf("ServiceActions: %v", err)
	}
	if want := []store.ServiceAction{again[2], export, share}; !slices.Equal(list, want) {
		t.Fatalf("ServiceActions = %+v, want by name %+v", list, want)
	}

	// Another service's actions are its own, even with the same name.
	docs, err := s.RegisterActions(ctx, "docs", []store.ActionSpec{{Action: "notes:export"}})
	if err != nil || len(docs) != 1 || docs[0].ID == export.ID {
		t.Fatalf("same action name in another service: %+v, %v", docs, err)
	}
	if list, err := s.ServiceActions(ctx, "docs"); err != nil || len(list) != 1 || list[0] != docs[0] {
		t.Fatalf("ServiceActions(docs) = %+v, %v", list, err)
	}
	if list, err := s.ServiceActions(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Fatalf("ServiceActions(nobody) = %+v, %v", list, err)
	}
	if _, err := s.RegisterActions(ctx, "notes", nil); err != nil {
		t.Fatalf("registering no action: %v", err)
	}
}

func testRegisterActionsInvalid(t *testing.T, s RBACStore) {
	ctx := t.Context()
	if _, err := s.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}}); err != nil {
		t.Fatal(err)
	}
	before := rbacState(t, s, nil, "notes", "Notes")
	for _, c := range []struct {
		name    string
		service string
		specs   []store.ActionSpec
	}{
		{"upper-case service", "Notes", []store.ActionSpec{{Action: "a"}}},
		{"empty service", "", []store.ActionSpec{{Action: "a"}}},
		{"service with a slash", "notes/x", []store.ActionSpec{{Action: "a"}}},
		{"long service", "n" + strings.Repeat("x", 100), []store.ActionSpec{{Action: "a"}}},
		{"empty action", "notes", []store.ActionSpec{{Action: "notes:new"}, {Action: ""}}},
		{"action with a space", "notes", []store.ActionSpec{{Action: "notes:new"}, {Action: "notes: export"}}},
		{"action with a newline", "notes", []store.ActionSpec{{Action: "notes:new\n"}}},
		{"long action", "notes", []store.ActionSpec{{Action: strings.Repeat("a", 101)}}},
		{"invalid UTF-8", "notes", []store.ActionSpec{{Action: "notes:\xff"}}},
	} {
		_, err := s.RegisterActions(ctx, c.service, c.specs)
		rbacUnchanged(t, s, before, c.name, err, store.ErrInvalidRBAC, nil, "notes", "Notes")
	}
}

func testRoles(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	h0 := head(t, s)
	r, err := s.CreateRole(ctx, f.acme.ID, "Exporter", "Exports notes", f.anne.ID)
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if _, err := uuid.Parse(r.ID); err != nil {
		t.Fatalf("role id %q is not a UUID", r.ID)
	}
	want := store.RBACRole{ID: r.ID, WorkspaceID: f.acme.ID, Name: "Exporter", Description: "Exports notes",
		CreatedBy: f.anne.ID, CreatedAt: r.CreatedAt}
	if r != want || r.CreatedAt.IsZero() {
		t.Fatalf("CreateRole = %+v, want %+v", r, want)
	}
	if got, err := s.Role(ctx, r.ID); err != nil || got != r {
		t.Fatalf("Role = %+v, %v; want %+v", got, err, r)
	}
	wsTuple := fmt.Sprintf("role:%s#workspace@workspace:%s", r.ID, f.acme.ID)
	equalStrings(t, "tuples", rbacTuples(t, s), []string{wsTuple})
	equalStrings(t, "changes", rbacChanges(t, s, h0), []string{"write " + wsTuple})

	// The same name in another workspace is another role.
	o := f.role(t, s, f.other, "Exporter")
	a := f.role(t, s, f.acme, "Auditor")
	if roles, err := s.Roles(ctx, f.acme.ID); err != nil || !slices.Equal(roles, []store.RBACRole{a, r}) {
		t.Fatalf("Roles(acme) = %+v, %v; want Auditor, Exporter", roles, err)
	}
	if roles, err := s.Roles(ctx, f.other.ID); err != nil || !slices.Equal(roles, []store.RBACRole{o}) {
		t.Fatalf("Roles(other) = %+v, %v", roles, err)
	}

	ws := []store.Workspace{f.acme, f.other}
	before := rbacState(t, s, ws)
	_, err = s.CreateRole(ctx, f.acme.ID, "Exporter", "", "")
	rbacUnchanged(t, s, before, "taken name", err, store.ErrAlreadyExists, ws)
	_, err = s.CreateRole(ctx, uuid.NewString(), "Exporter", "", "")
	rbacUnchanged(t, s, before, "unknown workspace", err, store.ErrNotFound, ws)
	for _, name := range []string{"", "  ", "a\tb", strings.Repeat("r", 101)} {
		_, err = s.CreateRole(ctx, f.acme.ID, name, "", "")
		rbacUnchanged(t, s, before, fmt.Sprintf("role name %q", name), err, store.ErrInvalidRBAC, ws)
	}
	_, err = s.Role(ctx, uuid.NewString())
	wantErrIs(t, "unknown role", err, store.ErrNotFound)

	// Updates change the row only.
	h1 := head(t, s)
	r2, err := s.UpdateRole(ctx, r.ID, store.RBACRoleUpdate{Name: rbacStr("Export team")})
	r.Name = "Export team"
	if err != nil || r2 != r {
		t.Fatalf("UpdateRole(name) = %+v, %v; want %+v", r2, err, r)
	}
	r2, err = s.UpdateRole(ctx, r.ID, store.RBACRoleUpdate{Description: rbacStr("")})
	r.Description = ""
	if err != nil || r2 != r {
		t.Fatalf("UpdateRole(description) = %+v, %v; want %+v", r2, err, r)
	}
	if r2, err = s.UpdateRole(ctx, r.ID, store.RBACRoleUpdate{Name: rbacStr(r.Name)}); err != nil || r2 != r {
		t.Fatalf("UpdateRole(own name) = %+v, %v", r2, err)
	}
	if got, _ := s.Role(ctx, r.ID); got != r {
		t.Fatalf("Role after updates = %+v, want %+v", got, r)
	}
	equalStrings(t, "changes of updates", rbacChanges(t, s, h1), nil)
	before = rbacState(t, s, ws)
	_, err = s.UpdateRole(ctx, r.ID, store.RBACRoleUpdate{Name: rbacStr("Auditor"), Description: rbacStr("x")})
	rbacUnchanged(t, s, before, "rename to a taken name", err, store.ErrAlreadyExists, ws)
	_, err = s.UpdateRole(ctx, r.ID, store.RBACRoleUpdate{Name: rbacStr(" ")})
	rbacUnchanged(t, s, before, "rename to a blank name", err, store.ErrInvalidRBAC, ws)
	_, err = s.UpdateRole(ctx, uuid.NewString(), store.RBACRoleUpdate{Description: rbacStr("x")})
	rbacUnchanged(t, s, before, "update an unknown role", err, store.ErrNotFound, ws)
}

// grant is the action tuple of a role_actions row.
func grant(ws store.Workspace, a store.ServiceAction, r store.RBACRole) string {
	return fmt.Sprintf("action:%s/%s#granted@role:%s#assignee", ws.ID, a.ID, r.ID)
}

func testRoleActions(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	r := f.role(t, s, f.acme, "Publisher")
	o := f.role(t, s, f.other, "Publisher")
	h0 := head(t, s)
	if err := s.AddRoleActions(ctx, r.ID, []string{f.export.ID, f.print.ID, f.export.ID}); err != nil {
		t.Fatalf("AddRoleActions: %v", err)
	}
	if err := s.AddRoleActions(ctx, o.ID, []string{f.export.ID}); err != nil {
		t.Fatalf("AddRoleActions(other): %v", err)
	}
	grants := []string{grant(f.acme, f.export, r), grant(f.acme, f.print, r), grant(f.other, f.export, o)}
	equalStrings(t, "changes", rbacChanges(t, s, h0), prefixedRBAC("write", grants...))
	wantTuples := sortedRBAC(append(grants,
		fmt.Sprintf("role:%s#workspace@workspace:%s", r.ID, f.acme.ID), fmt.Sprintf("role:%s#workspace@workspace:%s", o.ID, f.other.ID))...)
	equalStrings(t, "tuples", rbacTuples(t, s), wantTuples)
	// Sorted by service, then action.
	if as, err := s.RoleActions(ctx, r.ID); err != nil || !slices.Equal(as, []store.ServiceAction{f.print, f.export}) {
		t.Fatalf("RoleActions = %+v, %v; want docs:print, notes:export", as, err)
	}

	// Adding what the role has is a no-op, with no changelog row.
	h1 := head(t, s)
	if err := s.AddRoleActions(ctx, r.ID, []string{f.print.ID}); err != nil {
		t.Fatalf("AddRoleActions again: %v", err)
	}
	equalStrings(t, "changes of a repeated add", rbacChanges(t, s, h1), nil)

	ws := []store.Workspace{f.acme, f.other}
	before := rbacState(t, s, ws)
	err := s.AddRoleActions(ctx, r.ID, []string{f.share.ID, uuid.NewString()})
	rbacUnchanged(t, s, before, "an unknown action among known ones", err, store.ErrNotFound, ws)
	err = s.AddRoleActions(ctx, uuid.NewString(), []string{f.share.ID})
	rbacUnchanged(t, s, before, "add to an unknown role", err, store.ErrNotFound, ws)
	err = s.RemoveRoleAction(ctx, r.ID, f.share.ID)
	rbacUnchanged(t, s, before, "remove an action the role lacks", err, store.ErrNotFound, ws)
	err = s.RemoveRoleAction(ctx, uuid.NewString(), f.export.ID)
	rbacUnchanged(t, s, before, "remove from an unknown role", err, store.ErrNotFound, ws)

	h2 := head(t, s)
	if err := s.RemoveRoleAction(ctx, r.ID, f.export.ID); err != nil {
		t.Fatalf("RemoveRoleAction: %v", err)
	}
	equalStrings(t, "changes of a removal", rbacChanges(t, s, h2), []string{"delete " + grant(f.acme, f.export, r)})
	if as, err := s.RoleActions(ctx, r.ID); err != nil || !slices.Equal(as, []store.ServiceAction{f.print}) {
		t.Fatalf("RoleActions after removal = %+v, %v", as, err)
	}
	if as, err := s.RoleActions(ctx, o.ID); err != nil || !slices.Equal(as, []store.ServiceAction{f.export}) {
		t.Fatalf("the other workspace's role lost its action: %+v, %v", as, err)
	}
}

// prefixedRBAC returns "op t" for each t.
func prefixedRBAC(op string, ts ...string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, op+" "+t)
	}
	return out
}

// sortedRBAC returns a sorted copy.
func sortedRBAC(ss ...string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}
