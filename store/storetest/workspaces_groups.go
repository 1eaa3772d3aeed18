package storetest

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// newGroup creates a group of the workspace.
func newGroup(t testing.TB, s WorkspaceStore, ws store.Workspace, name string) store.Group {
	t.Helper()
	g, err := s.CreateGroup(t.Context(), ws.ID, name, "", ws.CreatedBy)
	if err != nil {
		t.Fatalf("CreateGroup(%q): %v", name, err)
	}
	return g
}

// addGroupMember adds a user or group to g.
func addGroupMember(t testing.TB, s WorkspaceStore, g store.Group, typ store.GroupMemberType, id string) {
	t.Helper()
	if _, err := s.AddGroupMember(t.Context(), g.ID, typ, id); err != nil {
		t.Fatalf("AddGroupMember(%s, %s %s): %v", g.Name, typ, id, err)
	}
}

func testGroups(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", anne)
	ids := []string{ws.ID, other.ID}

	h0 := head(t, s)
	g, err := s.CreateGroup(ctx, ws.ID, " eng ", "Engineers", anne.ID)
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	want := store.Group{ID: g.ID, WorkspaceID: ws.ID, Name: "eng", Description: "Engineers", CreatedBy: anne.ID, CreatedAt: g.CreatedAt}
	if g != want || g.CreatedAt.IsZero() {
		t.Fatalf("CreateGroup = %+v, want %+v", g, want)
	}
	if _, err := uuid.Parse(g.ID); err != nil {
		t.Fatalf("group id %q is not a UUID", g.ID)
	}
	equalStrings(t, "changes of CreateGroup", sysChanges(t, s, h0), []string{"write " + sf("group:%s#workspace@workspace:%s", g.ID, ws.ID)})
	if got, err := s.Group(ctx, g.ID); err != nil || got != g {
		t.Fatalf("Group = %+v, %v", got, err)
	}
	_, err = s.Group(ctx, uuid.NewString())
	wantErrIs(t, "Group(unknown)", err, store.ErrNotFound)

	before := wsState(t, s, ids...)
	_, err = s.CreateGroup(ctx, ws.ID, "eng", "", anne.ID)
	unchanged(t, s, before, "CreateGroup with a taken name", err, store.ErrAlreadyExists, ids...)
	_, err = s.CreateGroup(ctx, ws.ID, "", "", anne.ID)
	unchanged(t, s, before, "CreateGroup without a name", err, store.ErrInvalidWorkspaceInput, ids...)
	_, err = s.CreateGroup(ctx, uuid.NewString(), "x", "", anne.ID)
	unchanged(t, s, before, "CreateGroup in an unknown workspace", err, store.ErrNotFound, ids...)

	// The same name in another workspace is another group.
	og, err := s.CreateGroup(ctx, other.ID, "eng", "", "")
	if err != nil {
		t.Fatalf("CreateGroup(same name, other workspace): %v", err)
	}
	ops := newGroup(t, s, ws, "ops")
	admins := newGroup(t, s, ws, "admins")
	groups, err := s.GroupsOf(ctx, ws.ID)
	if err != nil || len(groups) != 3 || groups[0] != admins || groups[1] != g || groups[2] != ops {
		t.Fatalf("GroupsOf = %+v, %v (want admins, eng, ops)", groups, err)
	}
	if groups, err := s.GroupsOf(ctx, other.ID); err != nil || len(groups) != 1 || groups[0] != og {
		t.Fatalf("GroupsOf(other) = %+v, %v", groups, err)
	}

	// UpdateGroup: no tuple mirrors names.
	h1 := head(t, s)
	name, desc := "engineering", "All engineers"
	got, err := s.UpdateGroup(ctx, g.ID, store.GroupUpdate{Name: &name, Description: &desc})
	want.Name, want.Description = name, desc
	if err != nil || got != want {
		t.Fatalf("UpdateGroup = %+v, %v; want %+v", got, err, want)
	}
	same := "engineering"
	if got, err := s.UpdateGroup(ctx, g.ID, store.GroupUpdate{Name: &same}); err != nil || got != want {
		t.Fatalf("UpdateGroup to its own name = %+v, %v", got, err)
	}
	if h := head(t, s); h != h1 {
		t.Fatal("UpdateGroup appended changes")
	}
	before = wsState(t, s, ids...)
	taken, empty := "ops", ""
	_, err = s.UpdateGroup(ctx, g.ID, store.GroupUpdate{Name: &taken})
	unchanged(t, s, before, "rename to a taken name", err, store.ErrAlreadyExists, ids...)
	_, err = s.UpdateGroup(ctx, g.ID, store.GroupUpdate{Name: &empty, Description: &name})
	unchanged(t, s, before, "rename to nothing", err, store.ErrInvalidWorkspaceInput, ids...)
	_, err = s.UpdateGroup(ctx, uuid.NewString(), store.GroupUpdate{Name: &name})
	unchanged(t, s, before, "UpdateGroup(unknown)", err, store.ErrNotFound, ids...)
}

func testGroupMembers(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	outsider := newUser(t, s, "carl", "carl@example.com", "Carl")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", outsider)
	ids := []string{ws.ID, other.ID}
	addMember(t, s, ws, bob, store.RoleViewer)
	g, h := newGroup(t, s, ws, "eng"), newGroup(t, s, ws, "ops")
	og := newGroup(t, s, other, "eng")

	h0 := head(t, s)
	m, err := s.AddGroupMember(ctx, g.ID, store.GroupMemberUser, bob.ID)
	if err != nil || m.Type != store.GroupMemberUser || m.ID != bob.ID || m.Email != "bob@example.com" || m.Name != "Bob" || m.AddedAt.IsZero() {
		t.Fatalf("AddGroupMember(user) = %+v, %v", m, err)
	}
	m2, err := s.AddGroupMember(ctx, g.ID, store.GroupMemberGroup, h.ID)
	if err != nil || m2.Type != store.GroupMemberGroup || m2.ID != h.ID || m2.Name != "ops" || m2.Email != "" {
		t.Fatalf("AddGroupMember(group) = %+v, %v", m2, err)
	}
	userT := sf("group:%s#member@user:%s", g.ID, bob.ID)
	nestedT := sf("group:%s#member@group:%s#member", g.ID, h.ID)
	equalStrings(t, "changes of AddGroupMember", sysChanges(t, s, h0), []string{"write " + userT, "write " + nestedT})
	members, err := s.ListGroupMembers(ctx, g.ID)
	if err != nil || len(members) != 2 || members[0] != m || members[1] != m2 {
		t.Fatalf("ListGroupMembers = %+v, %v; want %+v, %+v", members, err, m, m2)
	}
	_, err = s.ListGroupMembers(ctx, uuid.NewString())
	wantErrIs(t, "ListGroupMembers(unknown)", err, store.ErrNotFound)

	before := wsState(t, s, ids...)
	for _, c := range []struct {
		what  string
		group string
		typ   store.GroupMemberType
		id    string
		want  error
	}{
		{"a user already in", g.ID, store.GroupMemberUser, bob.ID, store.ErrAlreadyExists},
		{"a group already in", g.ID, store.GroupMemberGroup, h.ID, store.ErrAlreadyExists},
		{"a user of another workspace", g.ID, store.GroupMemberUser, outsider.ID, store.ErrNotMember},
		{"an unknown user", g.ID, store.GroupMemberUser, uuid.NewString(), store.ErrNotMember},
		{"a group of another workspace", g.ID, store.GroupMemberGroup, og.ID, store.ErrNotFound},
		{"into a group of another workspace", og.ID, store.GroupMemberGroup, g.ID, store.ErrNotFound},
		{"an unknown group", g.ID, store.GroupMemberGroup, uuid.NewString(), store.ErrNotFound},
		{"into an unknown group", uuid.NewString(), store.GroupMemberUser, bob.ID, store.ErrNotFound},
		{"an unknown member type", g.ID, "service", bob.ID, store.ErrInvalidWorkspaceInput},
	} {
		_, err := s.AddGroupMember(ctx, c.group, c.typ, c.id)
		unchanged(t, s, before, "AddGroupMember of "+c.what, err, c.want, ids...)
	}

	h1 := head(t, s)
	if err := s.RemoveGroupMember(ctx, g.ID, store.GroupMemberUser, bob.ID); err != nil {
		t.Fatalf("RemoveGroupMember(user): %v", err)
	}
	if err := s.RemoveGroupMember(ctx, g.ID, store.GroupMemberGroup, h.ID); err != nil {
		t.Fatalf("RemoveGroupMember(group): %v", err)
	}
	equalStrings(t, "changes of RemoveGroupMember", sysChanges(t, s, h1), []string{"delete " + userT, "delete " + nestedT})
	if members, err := s.ListGroupMembers(ctx, g.ID); err != nil || len(members) != 0 {
		t.Fatalf("ListGroupMembers after removals = %+v, %v", members, err)
	}
	before = wsState(t, s, ids...)
	err = s.RemoveGroupMember(ctx, g.ID, store.GroupMemberUser, bob.ID)
	unchanged(t, s, before, "RemoveGroupMember of a non-member", err, store.ErrNotFound, ids...)
}

func testGroupCycles(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	carl := newUser(t, s, "carl", "carl@example.com", "Carl")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", anne)
	addMember(t, s, ws, bob, store.RoleViewer)
	addMember(t, s, ws, carl, store.RoleViewer)
	addMember(t, s, other, bob, store.RoleViewer)
	g, h, i := newGroup(t, s, ws, "g"), newGroup(t, s, ws, "h"), newGroup(t, s, ws, "i")
	x := newGroup(t, s, other, "x")
	addGroupMember(t, s, g, store.GroupMemberGroup, h.ID) // g ⊃ h
	addGroupMember(t, s, h, store.GroupMemberGroup, i.ID) // h ⊃ i
	addGroupMember(t, s, i, store.GroupMemberUser, bob.ID)
	addGroupMember(t, s, h, store.GroupMemberUser, carl.ID)
	addGroupMember(t, s, x, store.GroupMemberUser, bob.ID)

	before := wsState(t, s, ws.ID)
	for _, c := range []struct {
		what          string
		parent, child store.Group
	}{
		{"itself", g, g},
		{"its parent (direct cycle)", h, g},
		{"its grandparent (transitive cycle)", i, g},
		{"its parent, one level down", i, h},
	} {
		_, err := s.AddGroupMember(ctx, c.parent.ID, store.GroupMemberGroup, c.child.ID)
		unchanged(t, s, before, "adding to a group "+c.what, err, store.ErrGroupCycle, ws.ID)
	}
	// A diamond is no cycle: g ⊃ i directly as well.
	addGroupMember(t, s, g, store.GroupMemberGroup, i.ID)

	for _, c := range []struct {
		ws   store.Workspace
		user store.User
		want []string
	}{
		{ws, bob, sorted(g.ID, h.ID, i.ID)},
		{ws, carl, sorted(g.ID, h.ID)},
		{ws, anne, nil},
		{other, bob, []string{x.ID}},
		{other, carl, nil},
	} {
		got, err := s.GroupsOfUser(ctx, c.ws.ID, c.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		equalStrings(t, "GroupsOfUser("+c.ws.Slug+", "+c.user.Name+")", got, c.want)
	}
}

func testDeleteGroup(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)
	addMember(t, s, ws, bob, store.RoleViewer)
	p, g, h := newGroup(t, s, ws, "p"), newGroup(t, s, ws, "g"), newGroup(t, s, ws, "h")
	addGroupMember(t, s, p, store.GroupMemberGroup, g.ID) // p ⊃ g
	addGroupMember(t, s, g, store.GroupMemberGroup, h.ID) // g ⊃ h
	addGroupMember(t, s, g, store.GroupMemberUser, bob.ID)
	addGroupMember(t, s, h, store.GroupMemberUser, bob.ID)
	systemModel(t, s)
	r := "resource:notes/doc/" + uuid.NewString()
	role := "role:" + uuid.NewString()
	mustWrite(t, s, store.SystemServiceID, tups(
		sf("%s#workspace@workspace:%s", r, ws.ID),
		sf("%s#shared_viewer@group:%s#member", r, g.ID), sf("%s#shared_editor@group:%s#member", r, h.ID),
		sf("%s#workspace@workspace:%s", role, ws.ID), sf("%s#assignee@group:%s#member", role, g.ID),
	)...)
	gone := []string{
		sf("group:%s#workspace@workspace:%s", g.ID, ws.ID),
		sf("group:%s#member@group:%s#member", p.ID, g.ID),
		sf("group:%s#member@group:%s#member", g.ID, h.ID),
		sf("group:%s#member@user:%s", g.ID, bob.ID),
		sf("%s#shared_viewer@group:%s#member", r, g.ID),
		sf("%s#assignee@group:%s#member", role, g.ID),
	}
	tuplesBefore := sysTuples(t, s)
	h0 := head(t, s)
	if err := s.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	var wantChanges []string
	for _, x := range gone {
		wantChanges = append(wantChanges, "delete "+x)
	}
	equalStrings(t, "changes of DeleteGroup", sorted(sysChanges(t, s, h0)...), sorted(wantChanges...))
	wantTuples := slices.DeleteFunc(slices.Clone(tuplesBefore), func(x string) bool { return slices.Contains(gone, x) })
	equalStrings(t, "tuples after DeleteGroup", sysTuples(t, s), wantTuples)
	_, err := s.Group(ctx, g.ID)
	wantErrIs(t, "Group after delete", err, store.ErrNotFound)
	if ms, err := s.ListGroupMembers(ctx, p.ID); err != nil || len(ms) != 0 {
		t.Fatalf("the parent still lists the deleted group: %+v, %v", ms, err)
	}
	if ms, err := s.ListGroupMembers(ctx, h.ID); err != nil || len(ms) != 1 || ms[0].ID != bob.ID {
		t.Fatalf("the nested group lost its members: %+v, %v", ms, err)
	}
	if gs, err := s.GroupsOfUser(ctx, ws.ID, bob.ID); err != nil || !slices.Equal(gs, []string{h.ID}) {
		t.Fatalf("GroupsOfUser after DeleteGroup = %v, %v", gs, err)
	}
	before := wsState(t, s, ws.ID)
	err = s.DeleteGroup(ctx, g.ID)
	unchanged(t, s, before, "DeleteGroup again", err, store.ErrNotFound, ws.ID)
}
