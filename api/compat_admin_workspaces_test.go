package api_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

var admWorkspaceKeys = []string{"id", "slug", "name", "description", "created_by", "created_at", "member_count", "group_count"}

func TestCompatAdminWorkspaceRoutes(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCompatAdminWorkspaceRoutes(t, startWS(t, open(t)))
		})
	}
}

func testCompatAdminWorkspaceRoutes(t *testing.T, w *wsEnv) {
	ctx := context.Background()
	owner, editor, viewer, outsider := w.user("owner"), w.user("editor"), w.user("viewer"), w.user("outsider")
	team := w.createWorkspace(owner, "team")
	other := w.createWorkspace(outsider, "other-space")
	w.addMember(team, editor, store.RoleEditor)
	w.addMember(team, viewer, store.RoleViewer)
	eng, err := w.st.CreateGroup(ctx, team, "eng", "engineers", "")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := w.st.CreateGroup(ctx, team, "ops", "", "")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := w.st.CreateGroup(ctx, other, "foreign", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddGroupMember(ctx, eng.ID, store.GroupMemberUser, editor.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddGroupMember(ctx, eng.ID, store.GroupMemberGroup, ops.ID); err != nil {
		t.Fatal(err)
	}
	unknown := uuid.NewString()
	base := "/admin/workspaces/" + team

	// Lists and one workspace, with sizes.
	all := items(t, w.must(200, w.adm("GET", "/admin/workspaces", nil)), 2, 1, 50)
	if got := field(all, "id"); !slices.Equal(got, []string{other, team}) {
		t.Fatalf("GET /admin/workspaces ids %v, want other, team", got)
	}
	wantKeys(t, "workspace", all[1], admWorkspaceKeys...)
	if all[1]["member_count"] != float64(3) || all[1]["group_count"] != float64(2) || all[1]["slug"] != "team" ||
		all[1]["created_by"] != owner.ID {
		t.Fatalf("workspace item %v", all[1])
	}
	if got := field(items(t, w.must(200, w.adm("GET", "/admin/workspaces?search=SPACE", nil)), 1, 1, 50), "id"); !slices.Equal(got, []string{other}) {
		t.Fatalf("search SPACE: %v", got)
	}
	items(t, w.must(200, w.adm("GET", "/admin/workspaces?page=2&page_size=1", nil)), 2, 2, 1)
	r := w.must(200, w.adm("GET", base, nil))
	wantKeys(t, "workspace", r.Body, admWorkspaceKeys...)
	if r.Body["id"] != team || r.Body["member_count"] != float64(3) {
		t.Fatalf("GET %s = %s", base, r.Raw)
	}

	// Members: by join time, searchable, paginated.
	ms := items(t, w.must(200, w.adm("GET", base+"/members", nil)), 3, 1, 50)
	if got := field(ms, "user_id"); !slices.Equal(got, []string{owner.ID, editor.ID, viewer.ID}) {
		t.Fatalf("members %v", got)
	}
	wantKeys(t, "member", ms[0], "workspace_id", "user_id", "email", "name", "avatar_url", "role", "joined_at")
	if got := field(items(t, w.must(200, w.adm("GET", base+"/members?search=VIEW&page_size=1", nil)), 1, 1, 1), "role"); !slices.Equal(got, []string{"viewer"}) {
		t.Fatalf("members search VIEW: %v", got)
	}
	if got := field(items(t, w.must(200, w.adm("GET", base+"/members?page=2&page_size=2", nil)), 3, 2, 2), "user_id"); !slices.Equal(got, []string{viewer.ID}) {
		t.Fatalf("members page 2: %v", got)
	}

	// Groups: by name; one group; its direct members.
	gs := items(t, w.must(200, w.adm("GET", base+"/groups", nil)), 2, 1, 50)
	if got := field(gs, "name"); !slices.Equal(got, []string{"eng", "ops"}) {
		t.Fatalf("groups %v", got)
	}
	wantKeys(t, "group", gs[0], "id", "workspace_id", "name", "description", "created_by", "created_at")
	r = w.must(200, w.adm("GET", base+"/groups/"+eng.ID, nil))
	if r.Body["id"] != eng.ID || r.Body["description"] != "engineers" {
		t.Fatalf("group %s", r.Raw)
	}
	gm := items(t, w.must(200, w.adm("GET", base+"/groups/"+eng.ID+"/members", nil)), 2, 1, 50)
	wantKeys(t, "group user", gm[0], "user_id", "email", "name", "added_at")
	wantKeys(t, "nested group", gm[1], "group_id", "name", "added_at")
	if gm[0]["user_id"] != editor.ID || gm[1]["group_id"] != ops.ID {
		t.Fatalf("group members %v", gm)
	}

	// Refusals change nothing.
	w.wantRefusals([]admRefusal{
		{"get: not a UUID", "GET", "/admin/workspaces/team", nil, nil, 422, "id"},
		{"get: unknown", "GET", "/admin/workspaces/" + unknown, nil, nil, 404, "Workspace not found"},
		{"list: page size 0", "GET", "/admin/workspaces?page_size=0", nil, nil, 422, "page_size"},
		{"members: unknown workspace", "GET", "/admin/workspaces/" + unknown + "/members", nil, nil, 404, "Workspace not found"},
		{"members: bad page", "GET", base + "/members?page=x", nil, nil, 422, "page"},
		{"groups: unknown workspace", "GET", "/admin/workspaces/" + unknown + "/groups", nil, nil, 404, "Workspace not found"},
		{"group of another workspace", "GET", base + "/groups/" + foreign.ID, nil, nil, 404, "Group not found"},
		{"members of another workspace's group", "GET", base + "/groups/" + foreign.ID + "/members", nil, nil, 404, "Group not found"},
		{"unknown group", "GET", base + "/groups/" + unknown, nil, nil, 404, "Group not found"},
		{"group id not a UUID", "GET", base + "/groups/eng", nil, nil, 422, "gid"},
		{"add: member already", "POST", base + "/members", nil, map[string]any{"user_id": viewer.ID}, 409, "already a member"},
		{"add: unknown user", "POST", base + "/members", nil, map[string]any{"user_id": unknown}, 404, "User not found"},
		{"add: unknown workspace", "POST", "/admin/workspaces/" + unknown + "/members", nil, map[string]any{"user_id": outsider.ID}, 404, "Workspace not found"},
		{"add: no user", "POST", base + "/members", nil, map[string]any{"role": "viewer"}, 422, "user_id"},
		{"add: user id not a UUID", "POST", base + "/members", nil, map[string]any{"user_id": "x"}, 422, "user_id"},
		{"add: bad role", "POST", base + "/members", nil, map[string]any{"user_id": outsider.ID, "role": "boss"}, 422, "role"},
		{"add: no X-Requested-With", "POST", base + "/members", map[string]string{"X-Admin-Key": adminKey},
			map[string]any{"user_id": outsider.ID}, 403, "X-Requested-With"},
		{"role: none", "PATCH", base + "/members/" + viewer.ID, nil, map[string]any{}, 422, "role"},
		{"role: non-member", "PATCH", base + "/members/" + outsider.ID, nil, map[string]any{"role": "editor"}, 404, "Membership not found"},
		{"role: unknown workspace", "PATCH", "/admin/workspaces/" + unknown + "/members/" + viewer.ID, nil, map[string]any{"role": "editor"}, 404, "Workspace not found"},
		{"role: last owner", "PATCH", base + "/members/" + owner.ID, nil, map[string]any{"role": "admin"}, 403, "last workspace owner"},
		{"remove: last owner", "DELETE", base + "/members/" + owner.ID, nil, nil, 403, "last workspace owner"},
		{"remove: non-member", "DELETE", base + "/members/" + outsider.ID, nil, nil, 404, "Membership not found"},
		{"remove: user id not a UUID", "DELETE", base + "/members/viewer", nil, nil, 422, "user_id"},
		{"remove: no X-Requested-With", "DELETE", base + "/members/" + viewer.ID, map[string]string{"X-Admin-Key": adminKey}, nil, 403, "X-Requested-With"},
	})

	// Add, change the role of and remove members; each logged and settled.
	r = w.must(201, w.adm("POST", base+"/members", map[string]any{"user_id": outsider.ID, "role": "owner"}))
	if r.Body["user_id"] != outsider.ID || r.Body["role"] != "owner" || r.Body["workspace_id"] != team {
		t.Fatalf("added member %s", r.Raw)
	}
	viewerToken := w.as(viewer, team)
	w.must(200, w.do("GET", "/users/me", viewerToken, nil))
	r = w.must(200, w.adm("PATCH", base+"/members/"+viewer.ID, map[string]any{"role": "editor"}))
	wantKeys(t, "member", r.Body, "workspace_id", "user_id", "email", "name", "avatar_url", "role", "joined_at")
	if r.Body["role"] != "editor" {
		t.Fatalf("role change %s", r.Raw)
	}
	if m, _ := w.st.Membership(ctx, team, viewer.ID); m.Role != store.RoleEditor {
		t.Fatalf("stored role %s", m.Role)
	}
	// As in the original, a role change revokes the member's tokens.
	w.must(401, w.do("GET", "/users/me", viewerToken, nil))
	// The first owner is no longer the last: the admin may demote them.
	w.must(200, w.adm("PATCH", base+"/members/"+owner.ID, map[string]any{"role": "admin"}))
	w.must(204, w.adm("DELETE", base+"/members/"+editor.ID, nil))
	if _, err := w.st.Membership(ctx, team, editor.ID); err == nil {
		t.Fatal("editor still a member")
	}
	// Their group membership went with them.
	if gm, _ := w.st.ListGroupMembers(ctx, eng.ID); len(gm) != 1 || gm[0].ID != ops.ID {
		t.Fatalf("eng members after the removal %+v", gm)
	}
	es, _, err := w.st.ListActivity(ctx, store.ActivityFilter{WorkspaceID: team}, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.ActorType == store.ActorAdmin {
			got = append(got, e.Action)
		}
	}
	slices.Reverse(got)
	if want := []string{"member.added", "member.role_changed", "member.role_changed", "member.removed"}; !slices.Equal(got, want) {
		t.Fatalf("admin entries in the workspace %v, want %v", got, want)
	}
	// Reads are not logged; the user routes see the admin's changes.
	r = w.must(200, w.do("GET", "/workspaces/"+team+"/members", w.as(outsider, team), nil))
	if n := len(list(t, r)); n != 3 {
		t.Fatalf("members seen by the new owner: %d: %s", n, r.Raw)
	}
}
