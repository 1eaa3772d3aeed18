package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// tamper returns tok with its payload changed (wrole set to owner) and its
// signature kept: a forged token.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["wrole"] = "owner"
	if payload, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// TestCompatWorkspaceRefusals sends every kind of refused request to the
// workspace, member and group routes and checks the status, the detail and
// that the database (rows, tuples, changelog, activity log) is unchanged.
func TestCompatWorkspaceRefusals(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	ctx := context.Background()
	owner, admin, editor, viewer, outsider := w.user("owner"), w.user("admin"), w.user("editor"), w.user("viewer"), w.user("outsider")
	wid := w.createWorkspace(owner, "team")
	other := w.createWorkspace(outsider, "other")
	w.addMember(wid, admin, store.RoleAdmin)
	w.addMember(wid, editor, store.RoleEditor)
	w.addMember(wid, viewer, store.RoleViewer)
	group := func(ws, name string) string {
		g, err := w.st.CreateGroup(ctx, ws, name, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	eng, ops, foreign := group(wid, "eng"), group(wid, "ops"), group(other, "foreign")
	if _, err := w.st.AddGroupMember(ctx, eng, store.GroupMemberUser, editor.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddGroupMember(ctx, eng, store.GroupMemberGroup, ops); err != nil {
		t.Fatal(err)
	}

	tOwner, tAdmin, tEditor, tViewer := w.as(owner, wid), w.as(admin, wid), w.as(editor, wid), w.as(viewer, wid)
	tOutsider := w.as(outsider, other)
	tClaimsW := w.tok.Access(t, outsider.ID, wid, store.RoleOwner) // wid W, but not a member of W
	ws := "/workspaces/" + wid
	name := map[string]any{"name": "x"}

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		detail                    string // a part of it
	}{
		// 401: no, garbage or forged token.
		{"no token", "GET", ws, "", nil, 401, "Not authenticated"},
		{"no token create", "POST", "/workspaces", "", map[string]any{"name": "x", "slug": "xx"}, 401, ""},
		{"garbage token", "GET", "/workspaces", "not.a.token", nil, 401, "Invalid token"},
		{"forged token", "PATCH", ws, tamper(t, tViewer), name, 401, "Invalid token"},

		// 422: path ids and bodies, checked before roles.
		{"id not a UUID", "GET", "/workspaces/team", tOwner, nil, 422, "id"},
		{"group id not a UUID", "PATCH", ws + "/groups/eng", tAdmin, name, 422, "gid"},
		{"user id not a UUID", "DELETE", ws + "/members/viewer", tAdmin, nil, 422, "user_id"},
		{"slug with capitals", "POST", "/workspaces", tOwner, map[string]any{"name": "x", "slug": "Team_A"}, 422, "slug"},
		{"one-character slug", "POST", "/workspaces", tOwner, map[string]any{"name": "x", "slug": "a"}, 422, "slug"},
		{"slug ending in a hyphen", "POST", "/workspaces", tOwner, map[string]any{"name": "x", "slug": "team-"}, 422, "slug"},
		{"no name", "POST", "/workspaces", tOwner, map[string]any{"slug": "fine"}, 422, "name"},
		{"blank name", "POST", "/workspaces", tOwner, map[string]any{"name": "  ", "slug": "fine"}, 422, "name"},
		{"name too long", "POST", "/workspaces", tOwner, map[string]any{"name": strings.Repeat("n", 256), "slug": "fine"}, 422, "name"},
		{"malformed JSON", "POST", "/workspaces", tOwner, "{", 422, "Invalid request body"},
		{"wrong JSON type", "PATCH", ws, tOwner, map[string]any{"name": 5}, 422, "Invalid request body"},
		{"blank name before the role check", "PATCH", ws, tViewer, map[string]any{"name": ""}, 422, "name"},
		{"invite: bad email", "POST", ws + "/members/invite", tAdmin, map[string]any{"email": "nobody"}, 422, "email"},
		{"invite: no email", "POST", ws + "/members/invite", tAdmin, map[string]any{"role": "viewer"}, 422, "email"},
		{"invite: bad role", "POST", ws + "/members/invite", tAdmin, map[string]any{"email": "x@example.com", "role": "god"}, 422, "role"},
		{"set role: none", "PATCH", ws + "/members/" + viewer.ID, tAdmin, map[string]any{}, 422, "role"},
		{"members: q too long", "GET", ws + "/members?q=" + strings.Repeat("q", 101), tViewer, nil, 422, "q"},
		{"members: bad limit", "GET", ws + "/members?limit=ten", tViewer, nil, 422, "limit"},
		{"group: no name", "POST", ws + "/groups", tAdmin, map[string]any{"description": "d"}, 422, "name"},

		// 403: the token's workspace is not {id}, or the caller is not a member.
		{"another workspace's token", "GET", ws, tOutsider, nil, 403, "Not a member of this workspace"},
		{"another workspace's token invites", "POST", ws + "/members/invite", tOutsider, map[string]any{"email": "x@example.com"}, 403, "Not a member"},
		{"another workspace's token lists groups", "GET", ws + "/groups", tOutsider, nil, 403, "Not a member"},
		{"own workspace id, other token", "GET", "/workspaces/" + other, tViewer, nil, 403, "Not a member"},
		{"token names W, store says not a member", "GET", ws + "/members", tClaimsW, nil, 403, "Not a member"},
		{"token names W, not a member, deletes", "DELETE", ws, tClaimsW, nil, 403, "Not a member"},

		// 403: the role (from the store) is too low.
		{"viewer renames", "PATCH", ws, tViewer, name, 403, "Insufficient role"},
		{"editor renames", "PATCH", ws, tEditor, name, 403, "Insufficient role"},
		{"viewer invites", "POST", ws + "/members/invite", tViewer, map[string]any{"email": "x@example.com"}, 403, "Insufficient role"},
		{"editor invites", "POST", ws + "/members/invite", tEditor, map[string]any{"email": "x@example.com"}, 403, "Insufficient role"},
		{"viewer sets a role", "PATCH", ws + "/members/" + editor.ID, tViewer, map[string]any{"role": "viewer"}, 403, "Insufficient role"},
		{"viewer removes another member", "DELETE", ws + "/members/" + editor.ID, tViewer, nil, 403, "Insufficient role"},
		{"viewer creates a group", "POST", ws + "/groups", tViewer, name, 403, "Insufficient role"},
		{"editor renames a group", "PATCH", ws + "/groups/" + eng, tEditor, name, 403, "Insufficient role"},
		{"editor deletes a group", "DELETE", ws + "/groups/" + eng, tEditor, nil, 403, "Insufficient role"},
		{"editor adds a group member", "POST", ws + "/groups/" + eng + "/members/" + viewer.ID, tEditor, nil, 403, "Insufficient role"},
		{"editor removes a group member", "DELETE", ws + "/groups/" + eng + "/members/" + editor.ID, tEditor, nil, 403, "Insufficient role"},
		{"editor nests a group", "POST", ws + "/groups/" + ops + "/groups/" + eng, tEditor, nil, 403, "Insufficient role"},
		{"admin deletes the workspace", "DELETE", ws, tAdmin, nil, 403, "Insufficient role"},
		{"admin grants owner", "PATCH", ws + "/members/" + viewer.ID, tAdmin, map[string]any{"role": "owner"}, 403, "Only workspace owners can grant the owner role"},
		{"admin demotes the owner", "PATCH", ws + "/members/" + owner.ID, tAdmin, map[string]any{"role": "viewer"}, 403, "Only workspace owners can change another owner's role"},
		{"admin removes the owner", "DELETE", ws + "/members/" + owner.ID, tAdmin, nil, 403, "Only workspace owners can remove another owner"},
		{"last owner steps down", "PATCH", ws + "/members/" + owner.ID, tOwner, map[string]any{"role": "admin"}, 403, "Cannot demote the last workspace owner"},
		{"last owner leaves", "DELETE", ws + "/members/" + owner.ID, tOwner, nil, 403, "Cannot remove the last workspace owner"},

		// 400 (the original's codes).
		{"admin invites an owner", "POST", ws + "/members/invite", tAdmin, map[string]any{"email": "x@example.com", "role": "owner"}, 400, "Only workspace owners can grant the owner role"},
		{"group member from outside", "POST", ws + "/groups/" + eng + "/members/" + outsider.ID, tAdmin, nil, 400, "not a member of this workspace"},

		// 404.
		{"role of a non-member", "PATCH", ws + "/members/" + outsider.ID, tAdmin, map[string]any{"role": "viewer"}, 404, "Membership not found"},
		{"remove a non-member", "DELETE", ws + "/members/" + outsider.ID, tAdmin, nil, 404, "Membership not found"},
		{"members of another workspace's group", "GET", ws + "/groups/" + foreign + "/members", tViewer, nil, 404, "Group not found"},
		{"rename another workspace's group", "PATCH", ws + "/groups/" + foreign, tAdmin, name, 404, "Group not found"},
		{"delete another workspace's group", "DELETE", ws + "/groups/" + foreign, tAdmin, nil, 404, "Group not found"},
		{"nest another workspace's group", "POST", ws + "/groups/" + eng + "/groups/" + foreign, tAdmin, nil, 404, "Group not found"},
		{"add to another workspace's group", "POST", ws + "/groups/" + foreign + "/members/" + viewer.ID, tAdmin, nil, 404, "Group not found"},
		{"unknown group", "GET", ws + "/groups/" + uuid.NewString() + "/members", tViewer, nil, 404, "Group not found"},
		{"remove a user not in the group", "DELETE", ws + "/groups/" + eng + "/members/" + viewer.ID, tAdmin, nil, 404, "Group membership not found"},
		{"remove a group not nested", "DELETE", ws + "/groups/" + ops + "/groups/" + eng, tAdmin, nil, 404, "Group membership not found"},

		// 409.
		{"taken slug", "POST", "/workspaces", tOwner, map[string]any{"name": "x", "slug": "team"}, 409, "already exists"},
		{"invite a member", "POST", ws + "/members/invite", tAdmin, map[string]any{"email": "viewer@example.com"}, 409, "already a member"},
		{"taken group name", "POST", ws + "/groups", tAdmin, map[string]any{"name": "eng"}, 409, "already exists"},
		{"rename to a taken group name", "PATCH", ws + "/groups/" + ops, tAdmin, map[string]any{"name": "eng"}, 409, "already exists"},
		{"group member twice", "POST", ws + "/groups/" + eng + "/members/" + editor.ID, tAdmin, nil, 409, "already a member"},
		{"nested group twice", "POST", ws + "/groups/" + eng + "/groups/" + ops, tAdmin, nil, 409, "already a member"},
		{"cycle", "POST", ws + "/groups/" + ops + "/groups/" + eng, tAdmin, nil, 409, "cycle"},
		{"group in itself", "POST", ws + "/groups/" + eng + "/groups/" + eng, tAdmin, nil, 409, "cycle"},
	}
	before := w.state()
	for _, c := range cases {
		r := w.do(c.method, c.path, c.token, c.body)
		if r.Status != c.status {
			t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, r.Status, r.Raw, c.status)
			continue
		}
		detail, _ := r.Body["detail"].(string)
		if detail == "" || !strings.Contains(detail, c.detail) {
			t.Errorf("%s: detail %q, want it to contain %q", c.name, r.Raw, c.detail)
		}
		if after := w.state(); after != before {
			t.Fatalf("%s changed the database:\n before %s\n after  %s", c.name, before, after)
		}
	}
}
