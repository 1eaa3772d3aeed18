package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// userAssignee and groupAssignee name role holders.
func userAssignee(u store.User) store.Assignee {
	return store.Assignee{Type: store.AssigneeUser, ID: u.ID}
}

func groupAssignee(g store.Group) store.Assignee {
	return store.Assignee{Type: store.AssigneeGroup, ID: g.ID}
}

// holder is the assignee tuple of an assignment.
func holder(r store.RBACRole, a store.Assignee) string {
	if a.Type == store.AssigneeGroup {
		return fmt.Sprintf("role:%s#assignee@group:%s#member", r.ID, a.ID)
	}
	return fmt.Sprintf("role:%s#assignee@user:%s", r.ID, a.ID)
}

// assign gives the role, failing the test on an error.
func assign(t testing.TB, s RBACStore, r store.RBACRole, a store.Assignee) {
	t.Helper()
	if err := s.AssignRole(t.Context(), r.ID, a, "by-test"); err != nil {
		t.Fatalf("AssignRole(%s, %s %s): %v", r.Name, a.Type, a.ID, err)
	}
}

// roleNames returns the names of roles.
func roleNames(roles []store.RBACRole) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.Name)
	}
	return out
}

func testAssignRole(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	r := f.role(t, s, f.acme, "Exporter")
	h0 := head(t, s)
	assign(t, s, r, userAssignee(f.bob))
	assign(t, s, r, groupAssignee(f.eng))
	held := []string{holder(r, userAssignee(f.bob)), holder(r, groupAssignee(f.eng))}
	equalStrings(t, "changes", rbacChanges(t, s, h0), prefixedRBAC("write", held...))
	equalStrings(t, "tuples", rbacTuples(t, s),
		sortedRBAC(append(held, fmt.Sprintf("role:%s#workspace@workspace:%s", r.ID, f.acme.ID))...))
	as, err := s.RoleAssignments(ctx, r.ID)
	if err != nil || len(as) != 2 {
		t.Fatalf("RoleAssignments = %+v, %v", as, err)
	}
	for i, want := range []store.Assignee{userAssignee(f.bob), groupAssignee(f.eng)} {
		if as[i].RoleID != r.ID || as[i].Assignee != want || as[i].AssignedBy != "by-test" || as[i].AssignedAt.IsZero() {
			t.Fatalf("assignment %d = %+v, want %+v by by-test", i, as[i], want)
		}
	}

	ws := []store.Workspace{f.acme, f.other}
	before := rbacState(t, s, ws)
	for _, c := range []struct {
		name string
		role string
		to   store.Assignee
		want error
	}{
		{"assigned already (user)", r.ID, userAssignee(f.bob), store.ErrAlreadyExists},
		{"assigned already (group)", r.ID, groupAssignee(f.eng), store.ErrAlreadyExists},
		{"a member of another workspace", r.ID, userAssignee(f.carl), store.ErrAssigneeNotInWorkspace},
		{"a user in no workspace", r.ID, userAssignee(f.dave), store.ErrAssigneeNotInWorkspace},
		{"an unknown user", r.ID, store.Assignee{Type: store.AssigneeUser, ID: uuid.NewString()}, store.ErrNotFound},
		{"a group of another workspace", r.ID, groupAssignee(f.ops), store.ErrAssigneeNotInWorkspace},
		{"an unknown group", r.ID, store.Assignee{Type: store.AssigneeGroup, ID: uuid.NewString()}, store.ErrNotFound},
		{"an unknown role", uuid.NewString(), userAssignee(f.anne), store.ErrNotFound},
		{"an unknown assignee type", r.ID, store.Assignee{Type: "team", ID: f.anne.ID}, store.ErrInvalidRBAC},
	} {
		err := s.AssignRole(ctx, c.role, c.to, "x")
		rbacUnchanged(t, s, before, "assign to "+c.name, err, c.want, ws)
	}
	for _, c := range []struct {
		name string
		role string
		from store.Assignee
		want error
	}{
		{"a user without the role", r.ID, userAssignee(f.anne), store.ErrNotFound},
		{"a group without the role", r.ID, groupAssignee(f.core), store.ErrNotFound},
		{"an unknown role", uuid.NewString(), userAssignee(f.bob), store.ErrNotFound},
		{"an unknown assignee type", r.ID, store.Assignee{Type: "", ID: f.bob.ID}, store.ErrInvalidRBAC},
	} {
		err := s.UnassignRole(ctx, c.role, c.from)
		rbacUnchanged(t, s, before, "unassign from "+c.name, err, c.want, ws)
	}

	h1 := head(t, s)
	if err := s.UnassignRole(ctx, r.ID, userAssignee(f.bob)); err != nil {
		t.Fatalf("UnassignRole(user): %v", err)
	}
	if err := s.UnassignRole(ctx, r.ID, groupAssignee(f.eng)); err != nil {
		t.Fatalf("UnassignRole(group): %v", err)
	}
	equalStrings(t, "changes of unassignments", rbacChanges(t, s, h1), prefixedRBAC("delete", held...))
	if as, err := s.RoleAssignments(ctx, r.ID); err != nil || len(as) != 0 {
		t.Fatalf("RoleAssignments after unassigning = %+v, %v", as, err)
	}
}

func testRolesOfUser(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	direct := f.role(t, s, f.acme, "Direct")
	viaGroup := f.role(t, s, f.acme, "Via core")
	nested := f.role(t, s, f.acme, "Via eng")
	f.role(t, s, f.acme, "Unassigned")
	elsewhere := f.role(t, s, f.other, "Elsewhere")
	assign(t, s, direct, userAssignee(f.bob))
	assign(t, s, viaGroup, groupAssignee(f.core)) // bob ∈ core
	assign(t, s, nested, groupAssignee(f.eng))    // core ⊂ eng
	assign(t, s, elsewhere, groupAssignee(f.ops))
	assign(t, s, elsewhere, userAssignee(f.carl))

	for _, c := range []struct {
		name string
		ws   store.Workspace
		user store.User
		want []string
	}{
		{"bob: direct, group and nested group", f.acme, f.bob, []string{"Direct", "Via core", "Via eng"}},
		{"anne: member without roles", f.acme, f.anne, nil},
		{"bob in a workspace he is not in", f.other, f.bob, nil},
		{"carl in his workspace", f.other, f.carl, []string{"Elsewhere"}},
		{"carl in acme", f.acme, f.carl, nil},
		{"dave: nobody", f.acme, f.dave, nil},
	} {
		roles, err := s.RolesOfUser(ctx, c.ws.ID, c.user.ID)
		if err != nil {
			t.Fatalf("%s: RolesOfUser: %v", c.name, err)
		}
		equalStrings(t, c.name, roleNames(roles), c.want)
	}
	// Leaving a group drops what it gave.
	if err := s.RemoveGroupMember(ctx, f.eng.ID, store.GroupMemberGroup, f.core.ID); err != nil {
		t.Fatalf("RemoveGroupMember: %v", err)
	}
	roles, err := s.RolesOfUser(ctx, f.acme.ID, f.bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "bob after core left eng", roleNames(roles), []string{"Direct", "Via core"})
}

func testDeleteRole(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	r := f.role(t, s, f.acme, "Doomed")
	keep := f.role(t, s, f.acme, "Kept")
	for _, role := range []store.RBACRole{r, keep} {
		if err := s.AddRoleActions(ctx, role.ID, []string{f.export.ID, f.share.ID}); err != nil {
			t.Fatal(err)
		}
		assign(t, s, role, userAssignee(f.bob))
		assign(t, s, role, groupAssignee(f.eng))
	}
	keptTuples := rbacTuples(t, s)
	gone := []string{
		fmt.Sprintf("role:%s#workspace@workspace:%s", r.ID, f.acme.ID),
		grant(f.acme, f.export, r), grant(f.acme, f.share, r),
		holder(r, userAssignee(f.bob)), holder(r, groupAssignee(f.eng)),
	}
	keptTuples = slices.DeleteFunc(keptTuples, func(s string) bool { return slices.Contains(gone, s) })

	ws := []store.Workspace{f.acme}
	before := rbacState(t, s, ws)
	err := s.DeleteRole(ctx, uuid.NewString())
	rbacUnchanged(t, s, before, "delete an unknown role", err, store.ErrNotFound, ws)

	h0 := head(t, s)
	if err := s.DeleteRole(ctx, r.ID); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	got := rbacChanges(t, s, h0)
	slices.Sort(got)
	equalStrings(t, "changes", got, sortedRBAC(prefixedRBAC("delete", gone...)...))
	equalStrings(t, "tuples", rbacTuples(t, s), keptTuples)
	_, err = s.Role(ctx, r.ID)
	wantErrIs(t, "Role after delete", err, store.ErrNotFound)
	if as, err := s.RoleActions(ctx, r.ID); err != nil || len(as) != 0 {
		t.Fatalf("RoleActions after delete = %+v, %v", as, err)
	}
	if as, err := s.RoleAssignments(ctx, r.ID); err != nil || len(as) != 0 {
		t.Fatalf("RoleAssignments after delete = %+v, %v", as, err)
	}
	if roles, err := s.Roles(ctx, f.acme.ID); err != nil || !slices.Equal(roles, []store.RBACRole{keep}) {
		t.Fatalf("Roles after delete = %+v, %v", roles, err)
	}
	// The name is free again.
	f.role(t, s, f.acme, "Doomed")
}

func testDeleteServiceActions(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	r := f.role(t, s, f.acme, "Acme")
	o := f.role(t, s, f.other, "Other")
	for _, role := range []store.RBACRole{r, o} {
		if err := s.AddRoleActions(ctx, role.ID, []string{f.export.ID, f.share.ID, f.print.ID}); err != nil {
			t.Fatal(err)
		}
	}
	all := rbacTuples(t, s)
	h0 := head(t, s)
	n, err := s.DeleteServiceActions(ctx, "notes")
	if err != nil || n != 2 {
		t.Fatalf("DeleteServiceActions = %d, %v; want 2", n, err)
	}
	gone := []string{grant(f.acme, f.export, r), grant(f.acme, f.share, r), grant(f.other, f.export, o), grant(f.other, f.share, o)}
	got := rbacChanges(t, s, h0)
	slices.Sort(got)
	equalStrings(t, "changes", got, sortedRBAC(prefixedRBAC("delete", gone...)...))
	equalStrings(t, "tuples", rbacTuples(t, s), slices.DeleteFunc(all, func(s string) bool { return slices.Contains(gone, s) }))
	if as, err := s.ServiceActions(ctx, "notes"); err != nil || len(as) != 0 {
		t.Fatalf("ServiceActions(notes) after purge = %+v, %v", as, err)
	}
	for _, role := range []store.RBACRole{r, o} {
		if as, err := s.RoleActions(ctx, role.ID); err != nil || !slices.Equal(as, []store.ServiceAction{f.print}) {
			t.Fatalf("RoleActions(%s) after purge = %+v, %v; want docs:print only", role.Name, as, err)
		}
	}
	h1 := head(t, s)
	if n, err := s.DeleteServiceActions(ctx, "notes"); err != nil || n != 0 {
		t.Fatalf("second purge = %d, %v", n, err)
	}
	equalStrings(t, "changes of an empty purge", rbacChanges(t, s, h1), nil)
	_, err = s.DeleteServiceActions(ctx, "Bad Name")
	wantErrIs(t, "purge with an invalid service name", err, store.ErrInvalidRBAC)
}

// testRBACCascades: what the workspace store removes takes the roles,
// assignments and their tuples with it.
func testRBACCascades(t *testing.T, s RBACStore) {
	ctx := t.Context()
	f := newRBACFixture(t, s)
	r := f.role(t, s, f.acme, "Exporter")
	if err := s.AddRoleActions(ctx, r.ID, []string{f.export.ID}); err != nil {
		t.Fatal(err)
	}
	assign(t, s, r, userAssignee(f.bob))
	assign(t, s, r, groupAssignee(f.core))
	assign(t, s, r, groupAssignee(f.eng))
	o := f.role(t, s, f.other, "Exporter")
	if err := s.AddRoleActions(ctx, o.ID, []string{f.export.ID}); err != nil {
		t.Fatal(err)
	}
	assign(t, s, o, userAssignee(f.carl))
	otherTuples := []string{
		fmt.Sprintf("role:%s#workspace@workspace:%s", o.ID, f.other.ID),
		grant(f.other, f.export, o), holder(o, userAssignee(f.carl)),
	}

	// A deleted group loses its roles: row and tuple.
	if err := s.DeleteGroup(ctx, f.core.ID); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	as, err := s.RoleAssignments(ctx, r.ID)
	if err != nil || len(as) != 2 || as[0].Assignee != userAssignee(f.bob) || as[1].Assignee != groupAssignee(f.eng) {
		t.Fatalf("assignments after the group's deletion = %+v, %v", as, err)
	}
	if slices.Contains(rbacTuples(t, s), holder(r, groupAssignee(f.core))) {
		t.Fatal("the deleted group's assignee tuple remains")
	}

	// A member who leaves loses their roles there, so coming back does
	// not restore them.
	if err := s.RemoveMember(ctx, f.acme.ID, f.bob.ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	if slices.Contains(rbacTuples(t, s), holder(r, userAssignee(f.bob))) {
		t.Fatal("the removed member's assignee tuple remains")
	}
	if _, err := s.AddMember(ctx, f.acme.ID, f.bob.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if roles, err := s.RolesOfUser(ctx, f.acme.ID, f.bob.ID); err != nil || len(roles) != 0 {
		t.Fatalf("roles of a member who left and came back = %+v, %v; want none", roles, err)
	}
	as, err = s.RoleAssignments(ctx, r.ID)
	if err != nil || len(as) != 1 || as[0].Assignee != groupAssignee(f.eng) {
		t.Fatalf("assignments after the member left = %+v, %v", as, err)
	}

	// A deleted workspace takes every role of it, and nothing else.
	if err := s.DeleteWorkspace(ctx, f.acme.ID); err != nil {
		t.Fatalf("DeleteWorkspace: %v", err)
	}
	equalStrings(t, "RBAC tuples after the workspace's deletion", rbacTuples(t, s), sortedRBAC(otherTuples...))
	_, err = s.Role(ctx, r.ID)
	wantErrIs(t, "Role of a deleted workspace", err, store.ErrNotFound)
	for what, n := range map[string]func() (int, error){
		"roles":       func() (int, error) { rs, err := s.Roles(ctx, f.acme.ID); return len(rs), err },
		"actions":     func() (int, error) { as, err := s.RoleActions(ctx, r.ID); return len(as), err },
		"assignments": func() (int, error) { as, err := s.RoleAssignments(ctx, r.ID); return len(as), err },
	} {
		if got, err := n(); err != nil || got != 0 {
			t.Fatalf("%s of the deleted workspace: %d, %v; want none", what, got, err)
		}
	}
	if as, err := s.RoleActions(ctx, o.ID); err != nil || len(as) != 1 {
		t.Fatalf("the other workspace's role lost its action: %+v, %v", as, err)
	}
}
