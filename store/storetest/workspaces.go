package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// WorkspaceStore is what the workspace suite runs on: a store that also
// keeps workspaces, members, invitations and groups.
type WorkspaceStore interface {
	store.Store
	store.WorkspaceStore
}

// RunWorkspaces runs the workspace suite. open must return a new, empty
// store for each call and release it when t ends. Subtests run in
// parallel, each on its own store.
func RunWorkspaces(t *testing.T, open func(t *testing.T) WorkspaceStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s WorkspaceStore)
	}{
		{"CreateWorkspace", testCreateWorkspace},
		{"UpdateWorkspace", testUpdateWorkspace},
		{"DeleteWorkspace", testDeleteWorkspace},
		{"Members", testMembers},
		{"ActingMember", testActingMember},
		{"ListMembers", testListMembers},
		{"LastOwner", testLastOwner},
		{"LastOwnerConcurrent", testLastOwnerConcurrent},
		{"RemoveMemberCascade", testRemoveMemberCascade},
		{"Invitations", testInvitations},
		{"Groups", testGroups},
		{"GroupMembers", testGroupMembers},
		{"GroupCycles", testGroupCycles},
		{"DeleteGroup", testDeleteGroup},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// newUser provisions a user with that subject, email and name.
func newUser(t testing.TB, s store.Store, subject, email, name string) store.User {
	t.Helper()
	si := sighting("test", subject, email)
	si.Name = name
	u, _ := provision(t, s, si)
	return u
}

// newWorkspace creates a workspace owned by owner.
func newWorkspace(t testing.TB, s WorkspaceStore, slug string, owner store.User) store.Workspace {
	t.Helper()
	ws, err := s.CreateWorkspace(t.Context(), slug, "Name of "+slug, "", owner.ID)
	if err != nil {
		t.Fatalf("CreateWorkspace(%q): %v", slug, err)
	}
	return ws
}

// addMember adds u to the workspace with role.
func addMember(t testing.TB, s WorkspaceStore, ws store.Workspace, u store.User, role store.Role) {
	t.Helper()
	if _, err := s.AddMember(t.Context(), ws.ID, u.ID, role); err != nil {
		t.Fatalf("AddMember(%s, %s): %v", ws.Slug, u.Email, err)
	}
}

// sysTuples returns every system tuple, sorted.
func sysTuples(t testing.TB, s store.Store) []string {
	t.Helper()
	out := strs(allTuples(t, s, store.SystemServiceID, store.TupleFilter{}))
	slices.Sort(out)
	return out
}

// sysChanges renders the system service's changes after rev.
func sysChanges(t testing.TB, s store.Store, after uint64) []string {
	t.Helper()
	return changeStrings(allChanges(t, s, store.SystemServiceID, after))
}

// sorted returns a sorted copy of ss.
func sorted(ss ...string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

// wsState renders everything the workspace store keeps about the
// workspaces, plus every system tuple and the head revision: what a failed
// operation must leave as it was.
func wsState(t testing.TB, s WorkspaceStore, workspaceIDs ...string) string {
	t.Helper()
	return fmt.Sprintf("head %d\ntuples %q\n", head(t, s), sysTuples(t, s)) + wsRows(t, s, workspaceIDs...)
}

// wsRows renders the rows the workspace store keeps about the workspaces.
func wsRows(t testing.TB, s WorkspaceStore, workspaceIDs ...string) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	for _, id := range workspaceIDs {
		ws, err := s.Workspace(ctx, id)
		fmt.Fprintf(&b, "workspace %+v %v\n", ws, err)
		members, err := s.ListMembers(ctx, id, "", 1000)
		fmt.Fprintf(&b, "members %+v %v\n", members, err)
		invs, err := s.Invitations(ctx, id)
		fmt.Fprintf(&b, "invitations %+v %v\n", invs, err)
		groups, err := s.GroupsOf(ctx, id)
		fmt.Fprintf(&b, "groups %+v %v\n", groups, err)
		for _, g := range groups {
			gm, err := s.ListGroupMembers(ctx, g.ID)
			fmt.Fprintf(&b, "group %s members %+v %v\n", g.ID, gm, err)
		}
	}
	return b.String()
}

// unchanged fails unless err is want and the state is before.
func unchanged(t testing.TB, s WorkspaceStore, before, what string, err, want error, workspaceIDs ...string) {
	t.Helper()
	wantErrIs(t, what, err, want)
	if after := wsState(t, s, workspaceIDs...); after != before {
		t.Fatalf("%s failed but changed the store:\nbefore %s\nafter  %s", what, before, after)
	}
}

// systemModel gives the system service a model, so that tests can write
// the tuples other tables (resources, roles) would write.
func systemModel(t testing.TB, s store.Store) {
	t.Helper()
	newModel(t, s, store.SystemServiceID)
}

// sf is fmt.Sprintf, for tuple strings with ids.
var sf = fmt.Sprintf

func testCreateWorkspace(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	h0 := head(t, s)
	ws, err := s.CreateWorkspace(ctx, "acme", "Acme", "Rockets", anne.ID)
	if err != nil {
		t.Fatalf("CreateWorkspace: %v", err)
	}
	if _, err := uuid.Parse(ws.ID); err != nil {
		t.Fatalf("workspace id %q is not a UUID", ws.ID)
	}
	want := store.Workspace{ID: ws.ID, Slug: "acme", Name: "Acme", Description: "Rockets", CreatedBy: anne.ID, CreatedAt: ws.CreatedAt}
	if ws != want || ws.CreatedAt.IsZero() {
		t.Fatalf("CreateWorkspace = %+v, want %+v", ws, want)
	}
	for _, get := range []func() (store.Workspace, error){
		func() (store.Workspace, error) { return s.Workspace(ctx, ws.ID) },
		func() (store.Workspace, error) { return s.WorkspaceBySlug(ctx, "acme") },
	} {
		if got, err := get(); err != nil || got != ws {
			t.Fatalf("read back: %+v, %v; want %+v", got, err, ws)
		}
	}
	owner := sf("workspace:%s#owner@user:%s", ws.ID, anne.ID)
	equalStrings(t, "system tuples", sysTuples(t, s), []string{owner})
	equalStrings(t, "changes", sysChanges(t, s, h0), []string{"write " + owner})
	m, err := s.Membership(ctx, ws.ID, anne.ID)
	if err != nil || m.Role != store.RoleOwner || m.JoinedAt != ws.CreatedAt {
		t.Fatalf("creator's membership: %+v, %v", m, err)
	}
	mine, err := s.WorkspacesOf(ctx, anne.ID)
	if err != nil || len(mine) != 1 || mine[0].Workspace != ws || mine[0].Role != store.RoleOwner {
		t.Fatalf("WorkspacesOf(creator) = %+v, %v", mine, err)
	}

	before := wsState(t, s, ws.ID)
	_, err = s.CreateWorkspace(ctx, "acme", "Other", "", anne.ID)
	unchanged(t, s, before, "taken slug", err, store.ErrAlreadyExists, ws.ID)
	_, err = s.CreateWorkspace(ctx, "other", "Other", "", uuid.NewString())
	unchanged(t, s, before, "unknown creator", err, store.ErrNotFound, ws.ID)
	_, err = s.CreateWorkspace(ctx, " ", "Other", "", anne.ID)
	unchanged(t, s, before, "empty slug", err, store.ErrInvalidWorkspaceInput, ws.ID)
	_, err = s.CreateWorkspace(ctx, "other", "", "", anne.ID)
	unchanged(t, s, before, "empty name", err, store.ErrInvalidWorkspaceInput, ws.ID)
	for _, get := range []func() (store.Workspace, error){
		func() (store.Workspace, error) { return s.Workspace(ctx, uuid.NewString()) },
		func() (store.Workspace, error) { return s.WorkspaceBySlug(ctx, "nope") },
	} {
		_, err := get()
		wantErrIs(t, "unknown workspace", err, store.ErrNotFound)
	}

	// WorkspacesOf: by name, with the user's role in each.
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	zeta, err := s.CreateWorkspace(ctx, "zeta", "Zeta", "", anne.ID)
	if err != nil {
		t.Fatal(err)
	}
	alpha, err := s.CreateWorkspace(ctx, "alpha", "Alpha", "", bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	addMember(t, s, zeta, bob, store.RoleViewer)
	addMember(t, s, ws, bob, store.RoleEditor)
	got, err := s.WorkspacesOf(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gotS []string
	for _, mw := range got {
		gotS = append(gotS, mw.Slug+"="+string(mw.Role))
	}
	equalStrings(t, "WorkspacesOf(bob)", gotS, []string{"acme=editor", "alpha=owner", "zeta=viewer"})
	_ = alpha
	if none, err := s.WorkspacesOf(ctx, uuid.NewString()); err != nil || len(none) != 0 {
		t.Fatalf("WorkspacesOf(unknown) = %+v, %v", none, err)
	}
}

func testUpdateWorkspace(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	ws := newWorkspace(t, s, "acme", anne)
	h0 := head(t, s)
	name, desc := "Acme Corp", "Rockets and more"
	got, err := s.UpdateWorkspace(ctx, ws.ID, store.WorkspaceUpdate{Name: &name})
	want := ws
	want.Name = name
	if err != nil || got != want {
		t.Fatalf("UpdateWorkspace(name) = %+v, %v; want %+v", got, err, want)
	}
	got, err = s.UpdateWorkspace(ctx, ws.ID, store.WorkspaceUpdate{Description: &desc})
	want.Description = desc
	if err != nil || got != want {
		t.Fatalf("UpdateWorkspace(description) = %+v, %v; want %+v", got, err, want)
	}
	if read, err := s.Workspace(ctx, ws.ID); err != nil || read != want {
		t.Fatalf("read back %+v, %v; want %+v", read, err, want)
	}
	if h := head(t, s); h != h0 {
		t.Fatalf("an update of name and description appended changes (head %d -> %d)", h0, h)
	}
	before := wsState(t, s, ws.ID)
	empty := " "
	_, err = s.UpdateWorkspace(ctx, ws.ID, store.WorkspaceUpdate{Name: &empty, Description: &name})
	unchanged(t, s, before, "empty name", err, store.ErrInvalidWorkspaceInput, ws.ID)
	_, err = s.UpdateWorkspace(ctx, uuid.NewString(), store.WorkspaceUpdate{Name: &name})
	unchanged(t, s, before, "unknown workspace", err, store.ErrNotFound, ws.ID)
}

func testDeleteWorkspace(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", anne)
	addMember(t, s, ws, bob, store.RoleEditor)
	addMember(t, s, other, bob, store.RoleViewer)
	g := newGroup(t, s, ws, "eng")
	h := newGroup(t, s, ws, "ops")
	og := newGroup(t, s, other, "eng")
	addGroupMember(t, s, g, store.GroupMemberGroup, h.ID)
	addGroupMember(t, s, h, store.GroupMemberUser, bob.ID)
	addGroupMember(t, s, og, store.GroupMemberUser, bob.ID)
	if _, err := s.Invite(ctx, ws.ID, "carl@example.com", store.RoleViewer, anne.ID); err != nil {
		t.Fatal(err)
	}
	// Tuples other tables write for objects of the workspace (resources,
	// roles): the deletion finds them through #workspace.
	systemModel(t, s)
	r1, r2, r3 := "resource:notes/doc/"+uuid.NewString(), "resource:notes/doc/"+uuid.NewString(), "resource:notes/doc/"+uuid.NewString()
	role, orole := "role:"+uuid.NewString(), "role:"+uuid.NewString()
	extra := []string{
		sf("%s#workspace@workspace:%s", r1, ws.ID), sf("%s#owner@user:%s", r1, bob.ID),
		sf("%s#visible_to@workspace:%s#member", r1, ws.ID), sf("%s#editable_by@workspace:%s#editor", r1, ws.ID),
		sf("%s#shared_viewer@group:%s#member", r1, g.ID),
		sf("%s#workspace@workspace:%s", r2, ws.ID), sf("%s#parent@%s", r2, r1), sf("%s#shared_editor@user:%s", r2, bob.ID),
		sf("%s#workspace@workspace:%s", role, ws.ID), sf("%s#assignee@group:%s#member", role, h.ID),
		// An object with no #workspace tuple, naming one of the workspace's.
		sf("action:%s/%s#granted@%s#assignee", ws.ID, uuid.NewString(), role),
	}
	kept := []string{
		sf("%s#workspace@workspace:%s", r3, other.ID), sf("%s#shared_viewer@group:%s#member", r3, og.ID),
		sf("%s#workspace@workspace:%s", orole, other.ID), sf("%s#assignee@user:%s", orole, bob.ID),
	}
	mustWrite(t, s, store.SystemServiceID, tups(append(slices.Clone(extra), kept...)...)...)
	kept = append(kept,
		sf("workspace:%s#owner@user:%s", other.ID, anne.ID), sf("workspace:%s#viewer@user:%s", other.ID, bob.ID),
		sf("group:%s#workspace@workspace:%s", og.ID, other.ID), sf("group:%s#member@user:%s", og.ID, bob.ID))
	gone := append(extra,
		sf("workspace:%s#owner@user:%s", ws.ID, anne.ID), sf("workspace:%s#editor@user:%s", ws.ID, bob.ID),
		sf("group:%s#workspace@workspace:%s", g.ID, ws.ID), sf("group:%s#workspace@workspace:%s", h.ID, ws.ID),
		sf("group:%s#member@group:%s#member", g.ID, h.ID), sf("group:%s#member@user:%s", h.ID, bob.ID))
	equalStrings(t, "system tuples before", sysTuples(t, s), sorted(append(slices.Clone(gone), kept...)...))
	otherBefore := wsRows(t, s, other.ID)

	h0 := head(t, s)
	if err := s.DeleteWorkspace(ctx, ws.ID); err != nil {
		t.Fatalf("DeleteWorkspace: %v", err)
	}
	equalStrings(t, "system tuples after", sysTuples(t, s), sorted(kept...))
	var wantChanges []string
	for _, x := range gone {
		wantChanges = append(wantChanges, "delete "+x)
	}
	equalStrings(t, "changes", sorted(sysChanges(t, s, h0)...), sorted(wantChanges...))
	if after := wsRows(t, s, other.ID); after != otherBefore {
		t.Fatalf("another workspace changed:\nbefore %s\nafter  %s", otherBefore, after)
	}

	// Rows: the workspace, its memberships, groups and invitations.
	_, err := s.Workspace(ctx, ws.ID)
	wantErrIs(t, "Workspace after delete", err, store.ErrNotFound)
	_, err = s.WorkspaceBySlug(ctx, "acme")
	wantErrIs(t, "WorkspaceBySlug after delete", err, store.ErrNotFound)
	_, err = s.Membership(ctx, ws.ID, bob.ID)
	wantErrIs(t, "Membership after delete", err, store.ErrNotMember)
	for _, id := range []string{g.ID, h.ID} {
		_, err = s.Group(ctx, id)
		wantErrIs(t, "Group after delete", err, store.ErrNotFound)
	}
	if invs, err := s.Invitations(ctx, ws.ID); err != nil || len(invs) != 0 {
		t.Fatalf("invitations after delete: %+v, %v", invs, err)
	}
	if gs, err := s.GroupsOfUser(ctx, ws.ID, bob.ID); err != nil || len(gs) != 0 {
		t.Fatalf("GroupsOfUser after delete: %v, %v", gs, err)
	}
	mine, err := s.WorkspacesOf(ctx, bob.ID)
	if err != nil || len(mine) != 1 || mine[0].ID != other.ID {
		t.Fatalf("WorkspacesOf(bob) after delete = %+v, %v", mine, err)
	}
	_, err = s.ListMembers(ctx, ws.ID, "", 0)
	wantErrIs(t, "ListMembers after delete", err, store.ErrNotFound)

	before := wsState(t, s, other.ID)
	err = s.DeleteWorkspace(ctx, ws.ID)
	unchanged(t, s, before, "delete again", err, store.ErrNotFound, other.ID)
	// The slug is free again.
	if _, err := s.CreateWorkspace(ctx, "acme", "Acme again", "", bob.ID); err != nil {
		t.Fatalf("reuse of a deleted workspace's slug: %v", err)
	}
}
