package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// CascadeStore keeps workspaces, resources and custom roles: what the
// cascade test needs to see that leaving a workspace, deleting a group or
// deleting a workspace takes the rows of the other tables with it.
type CascadeStore interface {
	WorkspaceStore
	store.ResourceStore
	store.RBACStore
}

// RunWorkspaceCascades checks the workspace store's cascades into the
// resource and RBAC rows (not only their tuples). open must return a new,
// empty store for each call and release it when t ends.
func RunWorkspaceCascades(t *testing.T, open func(t *testing.T) CascadeStore) {
	t.Run("WorkspaceCascades", func(t *testing.T) {
		t.Parallel()
		testWorkspaceCascades(t, open(t))
	})
}

func testWorkspaceCascades(t *testing.T, s CascadeStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", anne)
	addMember(t, s, ws, bob, store.RoleEditor)
	addMember(t, s, other, bob, store.RoleEditor)
	g := newGroup(t, s, ws, "eng")
	addGroupMember(t, s, g, store.GroupMemberUser, bob.ID)

	register := func(w store.Workspace) store.Resource {
		t.Helper()
		r, _, err := s.RegisterResource(ctx, store.ResourceRegistration{
			Key: store.ResourceKey{Service: "notes", Type: "doc", ID: uuid.NewString()}, WorkspaceID: w.ID, OwnerID: anne.ID})
		if err != nil {
			t.Fatalf("RegisterResource: %v", err)
		}
		return r
	}
	share := func(r store.Resource, typ store.GranteeType, id string, p store.SharePermission) {
		t.Helper()
		if _, err := s.ShareResource(ctx, r.ID, store.ResourceGrant{GranteeType: typ, GranteeID: id, Permission: p, GrantedBy: anne.ID}); err != nil {
			t.Fatalf("ShareResource: %v", err)
		}
	}
	r1, r2 := register(ws), register(other)
	share(r1, store.GranteeUser, bob.ID, store.ShareEdit)
	share(r1, store.GranteeGroup, g.ID, store.ShareView)
	share(r2, store.GranteeUser, bob.ID, store.ShareView)
	role, err := s.CreateRole(ctx, ws.ID, "exporters", "", anne.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []store.Assignee{{Type: store.AssigneeUser, ID: bob.ID}, {Type: store.AssigneeGroup, ID: g.ID}} {
		if err := s.AssignRole(ctx, role.ID, a, anne.ID); err != nil {
			t.Fatalf("AssignRole(%+v): %v", a, err)
		}
	}
	grantees := func(r store.Resource) []string {
		t.Helper()
		got, err := s.ResourceByID(ctx, r.ID)
		if err != nil {
			t.Fatalf("ResourceByID: %v", err)
		}
		var out []string
		for _, sh := range got.Shares {
			out = append(out, string(sh.GranteeType)+":"+sh.GranteeID+"="+string(sh.Permission))
		}
		slices.Sort(out)
		return out
	}
	assignees := func() []string {
		t.Helper()
		as, err := s.RoleAssignments(ctx, role.ID)
		if err != nil {
			t.Fatalf("RoleAssignments: %v", err)
		}
		var out []string
		for _, a := range as {
			out = append(out, string(a.Assignee.Type)+":"+a.Assignee.ID)
		}
		slices.Sort(out)
		return out
	}
	// Tuples that name any of ids.
	naming := func(ids ...string) []string {
		t.Helper()
		var out []string
		for _, x := range sysTuples(t, s) {
			for _, id := range ids {
				if strings.Contains(x, id) {
					out = append(out, x)
					break
				}
			}
		}
		return out
	}

	// Bob leaves the workspace: his share on r1 and his role there go, rows
	// and tuples; the group's share and his share in the other workspace
	// stay.
	if err := s.RemoveMember(ctx, ws.ID, bob.ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	equalStrings(t, "shares of r1 after RemoveMember", grantees(r1), []string{"group:" + g.ID + "=view"})
	equalStrings(t, "shares of r2 after RemoveMember", grantees(r2), []string{"user:" + bob.ID + "=view"})
	equalStrings(t, "role assignees after RemoveMember", assignees(), []string{"group:" + g.ID})
	if rs, err := s.RolesOfUser(ctx, ws.ID, bob.ID); err != nil || len(rs) != 0 {
		t.Fatalf("RolesOfUser after RemoveMember = %+v, %v", rs, err)
	}
	equalStrings(t, "tuples naming bob after RemoveMember", naming(bob.ID), []string{
		sf("resource:notes/doc/%s#shared_viewer@user:%s", r2.Key.ID, bob.ID),
		sf("workspace:%s#editor@user:%s", other.ID, bob.ID),
	})

	// The group goes: its share and its role assignment, rows and tuples.
	if err := s.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	equalStrings(t, "shares of r1 after DeleteGroup", grantees(r1), nil)
	equalStrings(t, "role assignees after DeleteGroup", assignees(), nil)
	equalStrings(t, "tuples naming the group", naming(g.ID), nil)

	// The workspace goes: its resources and roles, rows and tuples; the
	// other workspace keeps its own.
	if err := s.DeleteWorkspace(ctx, ws.ID); err != nil {
		t.Fatalf("DeleteWorkspace: %v", err)
	}
	_, err = s.ResourceByID(ctx, r1.ID)
	wantErrIs(t, "ResourceByID after DeleteWorkspace", err, store.ErrNotFound)
	_, err = s.Role(ctx, role.ID)
	wantErrIs(t, "Role after DeleteWorkspace", err, store.ErrNotFound)
	equalStrings(t, "tuples naming the workspace, its resource or role", naming(ws.ID, r1.Key.ID, role.ID), nil)
	equalStrings(t, "shares of r2 after DeleteWorkspace", grantees(r2), []string{"user:" + bob.ID + "=view"})
	if ids, err := s.ListResourceIDs(ctx, "notes", "doc", other.ID, 0); err != nil || !slices.Equal(ids, []string{r2.Key.ID}) {
		t.Fatalf("resources of the other workspace = %v, %v", ids, err)
	}
}
