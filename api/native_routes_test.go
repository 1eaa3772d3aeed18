package api_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Tests of the native /v1 routes for workspaces, members, invitations,
// groups, resources and RBAC (api/native_routes.go): what they do, and
// their refusals in the native error envelope, each leaving the database as
// it was. Their tenant isolation is in isolation_native_dir_test.go.

// natEnv is a wsEnv plus a service ("notes", the service of wsEnv's
// workspace-less authz tokens) and its key, and the app, to wait for its
// engine after writes made to the store directly.
type natEnv struct {
	*wsEnv
	app *app.App
	key string
}

func startNative(t *testing.T, st store.Store) *natEnv {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := app.Config{AdminKey: adminKey, Identity: apptest.Identity(t)}
	a, err := app.New(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	w := &wsEnv{env: &env{t: t, srv: srv, st: st}, tok: apptest.NewTokens(t, st, cfg.Identity)}
	return &natEnv{wsEnv: w, app: a, key: w.createService("notes")}
}

// nat sends a native request as the service acting for the user of token
// (none if ""): the key in X-Service-Key, the token as the bearer.
func (n *natEnv) nat(method, path, tok string, body any) testenv.Response {
	n.t.Helper()
	h := map[string]string{"X-Service-Key": n.key}
	if tok != "" {
		h["Authorization"] = "Bearer " + tok
	}
	return testenv.DoHeaders(n.t, method, n.srv.URL+path, h, body)
}

// wantErr fails unless r is a native error with the status, code and a
// message containing msg.
func wantErr(t *testing.T, what string, r testenv.Response, status int, code, msg string) {
	t.Helper()
	e, _ := r.Body["error"].(map[string]any)
	m, _ := e["message"].(string)
	if r.Status != status || r.Code() != code || !strings.Contains(m, msg) || r.Body["detail"] != nil {
		t.Errorf("%s: %d %s, want %d {\"error\":{\"code\":%q, \"message\":…%q…}}", what, r.Status, r.Raw, status, code, msg)
	}
}

func TestNativeWorkspaces(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNative(t, open(t))
			owner, editor, late := n.user("owner"), n.user("editor"), n.user("late")

			r := n.nat("POST", "/v1/workspaces", n.noWorkspace(owner), map[string]any{"name": "Team", "slug": "team", "description": "d"})
			testenv.Must(t, 201, r)
			wid := r.Body["id"].(string)
			n.wids = append(n.wids, wid)
			wantKeys(t, "workspace", r.Body, wsKeys...)
			mine := list(t, testenv.Must(t, 200, n.nat("GET", "/v1/workspaces", n.as(owner, wid), nil)))
			if len(mine) != 1 || mine[0]["id"] != wid || mine[0]["role"] != "owner" {
				t.Fatalf("GET /v1/workspaces = %v", mine)
			}
			ws := "/v1/workspaces/" + wid
			if r := testenv.Must(t, 200, n.nat("PATCH", ws, n.as(owner, wid), map[string]any{"name": "Team 2"})); r.Body["name"] != "Team 2" {
				t.Fatalf("PATCH = %s", r.Raw)
			}
			if r := testenv.Must(t, 200, n.nat("GET", ws, n.as(owner, wid), nil)); r.Body["name"] != "Team 2" || r.Body["slug"] != "team" {
				t.Fatalf("GET = %s", r.Raw)
			}

			// Invite a user (a member at once) and an email no user has
			// (pending), list and withdraw the pending invitation.
			if r := testenv.Must(t, 201, n.nat("POST", ws+"/members", n.as(owner, wid), map[string]any{"email": editor.Email, "role": "editor"})); r.Body["status"] != "active" {
				t.Fatalf("invite a user = %s", r.Raw)
			}
			if r := testenv.Must(t, 201, n.nat("POST", ws+"/members", n.as(owner, wid), map[string]any{"email": "Someone@Example.com"})); r.Body["status"] != "pending" || r.Body["role"] != "viewer" {
				t.Fatalf("invite an email = %s", r.Raw)
			}
			invs := list(t, testenv.Must(t, 200, n.nat("GET", ws+"/invitations", n.as(owner, wid), nil)))
			wantKeys(t, "invitation", invs[0], "id", "email", "role", "invited_by", "created_at")
			if len(invs) != 1 || invs[0]["email"] != "someone@example.com" || invs[0]["invited_by"] != owner.ID {
				t.Fatalf("invitations = %v", invs)
			}
			testenv.Must(t, 204, n.nat("DELETE", ws+"/invitations/"+url.PathEscape("someone@example.com"), n.as(owner, wid), nil))
			if invs := list(t, testenv.Must(t, 200, n.nat("GET", ws+"/invitations", n.as(owner, wid), nil))); len(invs) != 0 {
				t.Fatalf("invitations after withdrawal = %v", invs)
			}
			wantErr(t, "withdraw twice", n.nat("DELETE", ws+"/invitations/someone@example.com", n.as(owner, wid), nil), 404, "not_found", "Invitation not found")

			// Members: change a role, list, remove.
			n.addMember(wid, late, store.RoleViewer)
			if r := testenv.Must(t, 200, n.nat("PATCH", ws+"/members/"+late.ID, n.as(owner, wid), map[string]any{"role": "admin"})); r.Body["role"] != "admin" {
				t.Fatalf("set role = %s", r.Raw)
			}
			members := list(t, testenv.Must(t, 200, n.nat("GET", ws+"/members?q=late", n.as(editor, wid), nil)))
			if len(members) != 1 || members[0]["user_id"] != late.ID || members[0]["role"] != "admin" {
				t.Fatalf("members?q=late = %v", members)
			}
			testenv.Must(t, 204, n.nat("DELETE", ws+"/members/"+late.ID, n.as(owner, wid), nil))

			// Groups, with a nested group.
			eng := testenv.Must(t, 201, n.nat("POST", ws+"/groups", n.as(owner, wid), map[string]any{"name": "eng"})).Body["id"].(string)
			ops := testenv.Must(t, 201, n.nat("POST", ws+"/groups", n.as(owner, wid), map[string]any{"name": "ops"})).Body["id"].(string)
			testenv.Must(t, 201, n.nat("POST", ws+"/groups/"+eng+"/members/"+editor.ID, n.as(owner, wid), nil))
			testenv.Must(t, 201, n.nat("POST", ws+"/groups/"+eng+"/groups/"+ops, n.as(owner, wid), nil))
			wantErr(t, "a cycle", n.nat("POST", ws+"/groups/"+ops+"/groups/"+eng, n.as(owner, wid), nil), 409, "conflict", "cycle")
			g := testenv.Must(t, 200, n.nat("GET", ws+"/groups/"+eng, n.as(editor, wid), nil))
			wantKeys(t, "group", g.Body, groupKeys...)
			if got := field(list(t, testenv.Must(t, 200, n.nat("GET", ws+"/groups/"+eng+"/members", n.as(editor, wid), nil))), "name"); !slices.Equal(got, []string{editor.Name, "ops"}) {
				t.Fatalf("members of eng = %v", got)
			}
			if got := field(list(t, testenv.Must(t, 200, n.nat("GET", ws+"/groups", n.as(editor, wid), nil))), "name"); !slices.Equal(got, []string{"eng", "ops"}) {
				t.Fatalf("groups = %v", got)
			}
			testenv.Must(t, 200, n.nat("PATCH", ws+"/groups/"+ops, n.as(owner, wid), map[string]any{"description": "on call"}))
			testenv.Must(t, 204, n.nat("DELETE", ws+"/groups/"+eng+"/groups/"+ops, n.as(owner, wid), nil))
			testenv.Must(t, 204, n.nat("DELETE", ws+"/groups/"+eng+"/members/"+editor.ID, n.as(owner, wid), nil))
			testenv.Must(t, 204, n.nat("DELETE", ws+"/groups/"+ops, n.as(owner, wid), nil))

			want := []string{"workspace.created", "workspace.updated", "member.invited", "member.invited", "invitation.withdrawn",
				"member.role_changed", "member.removed", "group.created", "group.created", "group.member_added", "group.member_added",
				"group.updated", "group.member_removed", "group.member_removed", "group.deleted"}
			if got := n.actions(wid); !slices.Equal(got, want) {
				t.Errorf("activity = %v, want %v", got, want)
			}
			testenv.Must(t, 204, n.nat("DELETE", ws, n.as(owner, wid), nil))
			wantErr(t, "GET after delete", n.nat("GET", ws, n.as(owner, wid), nil), 403, "forbidden", "Not a member")
		})
	}
}

// TestNativeResourcesAndRBAC runs the resource ACL and custom RBAC routes
// through a resource's life, the service_name left out throughout.
func TestNativeResourcesAndRBAC(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNative(t, open(t))
			ctx := context.Background()
			owner, editor, viewer := n.user("owner"), n.user("editor"), n.user("viewer")
			wid := n.createWorkspace(owner, "acme")
			n.addMember(wid, editor, store.RoleEditor)
			n.addMember(wid, viewer, store.RoleViewer)
			rid := uuid.NewString()
			doc := "/v1/resources/doc/" + rid

			r := testenv.Must(t, 201, n.nat("POST", "/v1/resources", "", map[string]any{"resource_type": "doc", "resource_id": rid,
				"workspace_id": wid, "owner_id": editor.ID, "visibility": "private"}))
			if r.Body["service_name"] != "notes" || r.Body["owner_id"] != editor.ID {
				t.Fatalf("register = %s", r.Raw)
			}
			testenv.Must(t, 201, n.nat("POST", "/v1/resources", "", map[string]any{"service_name": "notes", "resource_type": "doc",
				"resource_id": rid, "workspace_id": wid, "owner_id": editor.ID, "visibility": "private"})) // idempotent
			if r := testenv.Must(t, 200, n.nat("GET", doc, "", nil)); r.Body["visibility"] != "private" {
				t.Fatalf("GET = %s", r.Raw)
			}
			checks := func(tok string, actions ...string) []bool {
				t.Helper()
				var cs []any
				for _, a := range actions {
					cs = append(cs, map[string]any{"resource_type": "doc", "resource_id": rid, "action": a})
				}
				r := testenv.Must(t, 200, n.nat("POST", "/v1/resources/check", tok, map[string]any{"checks": cs}))
				var out []bool
				for _, x := range r.Body["results"].([]any) {
					out = append(out, x.(map[string]any)["allowed"].(bool))
				}
				return out
			}
			if got := checks(n.as(viewer, wid), "view", "edit"); !slices.Equal(got, []bool{false, false}) {
				t.Fatalf("viewer before the share = %v", got)
			}
			wantErr(t, "the viewer shares", n.nat("PUT", doc+"/shares", n.as(viewer, wid), map[string]any{"grantee_type": "user",
				"grantee_id": viewer.ID, "permission": "edit"}), 403, "forbidden", "Only those who may edit")

			// The editor shares, the key as the bearer and their token in
			// X-Authz-Token.
			sh := testenv.DoHeaders(t, "PUT", n.srv.URL+doc+"/shares", map[string]string{"Authorization": "Bearer " + n.key,
				"X-Authz-Token": n.as(editor, wid)}, map[string]any{"grantee_type": "user", "grantee_id": viewer.ID, "permission": "view"})
			if testenv.Must(t, 200, sh); sh.Body["granted_by"] != editor.ID {
				t.Fatalf("share = %s", sh.Raw)
			}
			if got := checks(n.as(viewer, wid), "view", "edit"); !slices.Equal(got, []bool{true, false}) {
				t.Fatalf("viewer after the share = %v", got)
			}
			acc := testenv.Must(t, 200, n.nat("POST", "/v1/resources/accessible", n.as(viewer, wid), map[string]any{
				"resource_type": "doc", "action": "view", "workspace_id": wid}))
			if ids := acc.Body["resource_ids"].([]any); len(ids) != 1 || ids[0] != rid || acc.Body["has_full_access"] != false {
				t.Fatalf("accessible = %s", acc.Raw)
			}
			acl := testenv.Must(t, 200, n.nat("GET", doc+"/acl", "", nil))
			if s := acl.Body["shares"].([]any); len(s) != 1 || s[0].(map[string]any)["grantee_email"] != viewer.Email || acl.Body["owner_email"] != editor.Email {
				t.Fatalf("acl = %s", acl.Raw)
			}
			if r := testenv.Must(t, 200, n.nat("PATCH", doc+"/visibility", "", map[string]any{"visibility": "workspace"})); r.Body["visibility"] != "workspace" {
				t.Fatalf("visibility = %s", r.Raw)
			}
			testenv.Must(t, 204, n.nat("DELETE", doc+"/shares/user/"+viewer.ID, "", nil))
			wantErr(t, "unshare twice", n.nat("DELETE", doc+"/shares/user/"+viewer.ID, "", nil), 404, "not_found", "Share not found")
			if got := checks(n.as(viewer, wid), "view", "edit"); !slices.Equal(got, []bool{true, false}) {
				t.Fatalf("viewer of a workspace-visible resource = %v", got)
			}
			testenv.Must(t, 204, n.nat("DELETE", doc, "", nil))
			wantErr(t, "GET after deregister", n.nat("GET", doc, "", nil), 404, "not_found", "Resource permission not found")

			// RBAC: register an action, give it to the viewer through a
			// custom role, ask.
			reg := testenv.Must(t, 201, n.nat("POST", "/v1/rbac/actions", "", map[string]any{"actions": []any{
				map[string]any{"action": "notes:export", "description": "export"}}}))
			if !strings.Contains(reg.Raw, `"service_name":"notes"`) {
				t.Fatalf("register actions = %s", reg.Raw)
			}
			acts, err := n.st.ServiceActions(ctx, "notes")
			if err != nil {
				t.Fatal(err)
			}
			role, err := n.st.CreateRole(ctx, wid, "exporters", "", owner.ID)
			if err == nil {
				err = n.st.AddRoleActions(ctx, role.ID, []string{acts[0].ID})
			}
			if err == nil {
				err = n.st.AssignRole(ctx, role.ID, store.Assignee{Type: store.AssigneeUser, ID: viewer.ID}, owner.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			n.settled()
			for _, c := range []struct {
				who     store.User
				allowed bool
				actions string
			}{{viewer, true, `["notes:export"]`}, {editor, false, `[]`}} {
				r := testenv.Must(t, 200, n.nat("POST", "/v1/rbac/check-action", n.as(c.who, wid), map[string]any{"action": "notes:export", "workspace_id": wid}))
				if r.Body["allowed"] != c.allowed {
					t.Errorf("check-action for %s = %s", c.who.Name, r.Raw)
				}
				r = testenv.Must(t, 200, n.nat("GET", "/v1/rbac/user-actions?workspace_id="+wid, n.as(c.who, wid), nil))
				if !strings.Contains(r.Raw, `"actions":`+c.actions) {
					t.Errorf("user-actions for %s = %s", c.who.Name, r.Raw)
				}
			}
		})
	}
}

// settled waits until the engine has applied every committed write.
func (n *natEnv) settled() {
	n.t.Helper()
	ctx := context.Background()
	head, err := n.st.HeadRevision(ctx)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := n.app.Sync.WaitFor(ctx, head); err != nil {
		n.t.Fatal(err)
	}
}

// TestNativeRefusals sends refused requests to the native routes: each is
// answered in the native envelope with the status and code of its kind,
// and changes nothing; the original's route takes the same lenient body.
func TestNativeRefusals(t *testing.T) {
	t.Parallel()
	n := startNative(t, testenv.SQLiteStore(t))
	ctx := context.Background()
	owner, viewer, outsider := n.user("owner"), n.user("viewer"), n.user("outsider")
	wid := n.createWorkspace(owner, "team")
	other := n.createWorkspace(outsider, "other")
	n.addMember(wid, viewer, store.RoleViewer)
	rid := uuid.NewString()
	if _, _, err := n.st.RegisterResource(ctx, store.ResourceRegistration{Key: store.ResourceKey{Service: "notes", Type: "doc", ID: rid},
		WorkspaceID: wid, OwnerID: owner.ID, Visibility: store.VisibilityPrivate}); err != nil {
		t.Fatal(err)
	}
	n.settled() // the share refusals ask the engine whether the owner may edit the resource
	otherKey := n.createService("billing")
	tOwner, tViewer := n.as(owner, wid), n.as(viewer, wid)
	billingAuthz := n.tok.Issue(t, token.Authz, token.Claims{Subject: owner.ID, IdpSub: "p|" + owner.ID, Service: "billing", WorkspaceID: wid, WorkspaceRole: "owner"})
	ws := "/v1/workspaces/" + wid
	doc := "/v1/resources/doc/" + rid
	register := func(extra map[string]any) map[string]any {
		b := map[string]any{"resource_type": "doc", "resource_id": uuid.NewString(), "workspace_id": wid, "owner_id": owner.ID}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}

	cases := []struct {
		name, method, path string
		headers            map[string]string
		body               any
		status             int
		code, msg          string
	}{
		{"no service key", "GET", ws, map[string]string{"Authorization": "Bearer " + tOwner}, nil, 401, "unauthenticated", "invalid service key"},
		{"another key than a service key", "GET", ws, map[string]string{"X-Service-Key": adminKey, "Authorization": "Bearer " + tOwner}, nil, 401, "unauthenticated", ""},
		{"a key without a user", "GET", ws, map[string]string{"X-Service-Key": n.key}, nil, 401, "unauthenticated", "Not authenticated"},
		{"the key as the bearer, no X-Authz-Token", "GET", ws, map[string]string{"Authorization": "Bearer " + n.key}, nil, 401, "unauthenticated", "Not authenticated"},
		{"a forged token", "GET", ws, map[string]string{"X-Service-Key": n.key, "Authorization": "Bearer " + tamper(t, tViewer)}, nil, 401, "unauthenticated", "Invalid token"},
		{"a token of another service", "GET", ws, map[string]string{"X-Service-Key": n.key, "Authorization": "Bearer " + billingAuthz}, nil, 403, "forbidden", "another service"},
		{"that token with its own service's key", "PATCH", ws, map[string]string{"X-Service-Key": otherKey, "Authorization": "Bearer " + billingAuthz},
			map[string]any{"name": "x", "color": "red"}, 400, "invalid_argument", `unknown field "color"`},
	}
	user := func(tok string) map[string]string {
		return map[string]string{"X-Service-Key": n.key, "Authorization": "Bearer " + tok}
	}
	more := []struct {
		name, method, path, tok string
		body                    any
		status                  int
		code, msg               string
	}{
		{"an unknown field", "POST", "/v1/workspaces", tOwner, map[string]any{"name": "x", "slug": "xx", "colour": "red"}, 400, "invalid_argument", `unknown field "colour"`},
		{"no body", "POST", "/v1/workspaces", tOwner, nil, 400, "invalid_argument", "body is empty"},
		{"a missing field", "POST", "/v1/workspaces", tOwner, map[string]any{"name": "x"}, 400, "invalid_argument", "name and slug are required"},
		{"a bad slug", "POST", "/v1/workspaces", tOwner, map[string]any{"name": "x", "slug": "X"}, 400, "invalid_argument", "slug must be"},
		{"a taken slug", "POST", "/v1/workspaces", tOwner, map[string]any{"name": "x", "slug": "team"}, 409, "conflict", "already exists"},
		{"a path id that is not a UUID", "GET", "/v1/workspaces/not-a-uuid", tOwner, nil, 400, "invalid_argument", "Invalid id: must be a UUID"},
		{"another workspace", "GET", "/v1/workspaces/" + other, tOwner, nil, 403, "forbidden", "Not a member of this workspace"},
		{"a role too low", "PATCH", ws, tViewer, map[string]any{"name": "x"}, 403, "forbidden", "Insufficient role"},
		{"a bad role", "PATCH", ws + "/members/" + viewer.ID, tOwner, map[string]any{"role": "boss"}, 400, "invalid_argument", "role must be one of"},
		{"the last owner", "DELETE", ws + "/members/" + owner.ID, tOwner, nil, 403, "forbidden", "last workspace owner"},
		{"a group of no workspace", "GET", ws + "/groups/" + uuid.NewString(), tOwner, nil, 404, "not_found", "Group not found"},
		{"invitations, a viewer", "GET", ws + "/invitations", tViewer, nil, 403, "forbidden", "Insufficient role"},
		{"withdraw, not an email", "DELETE", ws + "/invitations/nobody", tOwner, nil, 400, "invalid_argument", "email must be"},
		{"a share with a bad permission", "PUT", doc + "/shares", tOwner, map[string]any{"grantee_type": "user", "grantee_id": viewer.ID, "permission": "own"}, 400, "invalid_argument", "permission"},
		{"a share with an unknown field", "PUT", doc + "/shares", tOwner, map[string]any{"grantee_type": "user", "grantee_id": viewer.ID, "permission": "view", "until": "never"}, 400, "invalid_argument", "unknown field"},
		{"a share to an outsider", "PUT", doc + "/shares", tOwner, map[string]any{"grantee_type": "user", "grantee_id": outsider.ID, "permission": "view"}, 400, "invalid_argument", "Grantee is not in the resource's workspace"},
		{"check, another service", "POST", "/v1/resources/check", tOwner, map[string]any{"checks": []any{map[string]any{"service_name": "billing",
			"resource_type": "doc", "resource_id": rid, "action": "view"}}}, 403, "forbidden", "Service key does not match service_name billing"},
		{"check, a bad action", "POST", "/v1/resources/check", tOwner, map[string]any{"checks": []any{map[string]any{"resource_type": "doc", "resource_id": rid, "action": "own"}}},
			400, "invalid_argument", `"view" or "edit"`},
		{"accessible, another workspace", "POST", "/v1/resources/accessible", tOwner, map[string]any{"resource_type": "doc", "action": "view", "workspace_id": other},
			403, "forbidden", "Workspace mismatch"},
		{"check-action, no action", "POST", "/v1/rbac/check-action", tOwner, map[string]any{"workspace_id": wid}, 400, "invalid_argument", "action: field required"},
		{"user-actions, no workspace", "GET", "/v1/rbac/user-actions", tOwner, nil, 400, "invalid_argument", "workspace_id: field required"},
	}
	for _, m := range more {
		cases = append(cases, struct {
			name, method, path string
			headers            map[string]string
			body               any
			status             int
			code, msg          string
		}{m.name, m.method, m.path, user(m.tok), m.body, m.status, m.code, m.msg})
	}
	key := map[string]string{"X-Service-Key": n.key}
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		code, msg          string
	}{
		{"register, another service", "POST", "/v1/resources", register(map[string]any{"service_name": "billing"}), 403, "forbidden", "Service key does not match"},
		{"register, an unknown field", "POST", "/v1/resources", register(map[string]any{"public": true}), 400, "invalid_argument", `unknown field "public"`},
		{"register, a bad visibility", "POST", "/v1/resources", register(map[string]any{"visibility": "public"}), 400, "invalid_argument", "visibility"},
		{"register, no workspace", "POST", "/v1/resources", register(map[string]any{"workspace_id": uuid.NewString()}), 404, "not_found", "Workspace not found"},
		{"register, an owner of no one", "POST", "/v1/resources", register(map[string]any{"owner_id": "x"}), 400, "invalid_argument", "owner_id"},
		{"register, the same key elsewhere", "POST", "/v1/resources", register(map[string]any{"resource_id": rid, "workspace_id": other}), 409, "conflict", "already registered"},
		{"get, not a UUID", "GET", "/v1/resources/doc/x", nil, 400, "invalid_argument", "resource_id"},
		{"get, unregistered", "GET", "/v1/resources/doc/" + uuid.NewString(), nil, 404, "not_found", "Resource permission not found"},
		{"get, a bad type", "GET", "/v1/resources/Doc/" + rid, nil, 404, "not_found", "Resource permission not found"},
		{"visibility, an unknown field", "PATCH", doc + "/visibility", map[string]any{"visibility": "workspace", "x": 1}, 400, "invalid_argument", "unknown field"},
		{"unshare, a bad grantee type", "DELETE", doc + "/shares/team/" + viewer.ID, nil, 400, "invalid_argument", "grantee_type"},
		{"unshare, a grantee id that is not a UUID", "DELETE", doc + "/shares/user/x", nil, 400, "invalid_argument", "grantee_id"},
		{"unshare, no share", "DELETE", doc + "/shares/user/" + viewer.ID, nil, 404, "not_found", "Share not found"},
		{"actions, another service", "POST", "/v1/rbac/actions", map[string]any{"service_name": "billing", "actions": []any{}}, 403, "forbidden", "Service key does not match"},
		{"actions, none", "POST", "/v1/rbac/actions", map[string]any{}, 400, "invalid_argument", "actions: field required"},
	} {
		cases = append(cases, struct {
			name, method, path string
			headers            map[string]string
			body               any
			status             int
			code, msg          string
		}{c.name, c.method, c.path, key, c.body, c.status, c.code, c.msg})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := n.state()
			wantErr(t, c.name, testenv.DoHeaders(t, c.method, n.srv.URL+c.path, c.headers, c.body), c.status, c.code, c.msg)
			if after := n.state(); after != before {
				t.Errorf("%s changed the database:\n%s\n%s", c.name, before, after)
			}
		})
	}

	// The original's route takes the body the native one refuses, and
	// answers its errors as {"detail"} with its 422.
	testenv.Must(t, 201, n.do("POST", "/workspaces", n.noWorkspace(owner), map[string]any{"name": "x", "slug": "lenient", "colour": "red"}))
	r := n.do("POST", "/workspaces", n.noWorkspace(owner), map[string]any{"name": "x"})
	if r.Status != 422 || r.Body["detail"] != "name and slug are required" || r.Body["error"] != nil {
		t.Errorf("the original's route: %d %s", r.Status, r.Raw)
	}
}
