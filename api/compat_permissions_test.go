package api_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"

	"github.com/sentinel-auth/sentinel/store"
)

// permWorld is a population for every rule of the original's check
// semantics (COMPAT.md), plus nested groups and parents. Workspace ws:
// owner, admin, editor, viewer (also a viewer of ws2), resOwner (a viewer
// owning every resource), sharee (a viewer with user shares), grouped
// (a viewer in group g), nested (a viewer in group h, nested in g).
// Workspace ws2: outsider owns it and a workspace-visible resource.
type permWorld struct {
	e                                                       *permEnv
	key, otherKey                                           string
	ws, ws2                                                 string
	owner, admin, editor, viewer, resOwner, sharee, grouped string
	nested, outsider                                        string
	private, privateEdit, grouped1, groupedEdit, wsVisible  store.Resource
	parent, child, folder, otherSvc, otherWs                store.Resource
	g, h                                                    string
}

func newPermWorld(t *testing.T, st store.Store) *permWorld {
	e := startPerm(t, st)
	w := &permWorld{e: e, key: e.service("notes"), otherKey: e.service("billing")}
	for _, p := range []*string{&w.owner, &w.admin, &w.editor, &w.viewer, &w.resOwner, &w.sharee, &w.grouped, &w.nested, &w.outsider} {
		*p = e.user("u")
	}
	w.ws = e.workspace("acme", w.owner, map[string]store.Role{
		w.admin: store.RoleAdmin, w.editor: store.RoleEditor, w.viewer: store.RoleViewer, w.resOwner: store.RoleViewer,
		w.sharee: store.RoleViewer, w.grouped: store.RoleViewer, w.nested: store.RoleViewer})
	w.ws2 = e.workspace("globex", w.outsider, map[string]store.Role{w.viewer: store.RoleViewer})
	ctx := context.Background()
	g, err := st.CreateGroup(ctx, w.ws, "g", "", w.owner)
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.CreateGroup(ctx, w.ws, "h", "", w.owner)
	if err != nil {
		t.Fatal(err)
	}
	w.g, w.h = g.ID, h.ID
	for _, m := range []struct {
		group string
		typ   store.GroupMemberType
		id    string
	}{{w.g, store.GroupMemberUser, w.grouped}, {w.h, store.GroupMemberUser, w.nested}, {w.g, store.GroupMemberGroup, w.h}} {
		if _, err := st.AddGroupMember(ctx, m.group, m.typ, m.id); err != nil {
			t.Fatal(err)
		}
	}
	priv, vis := store.VisibilityPrivate, store.VisibilityWorkspace
	w.private = e.register("notes", "doc", w.ws, w.resOwner, priv, "")
	w.privateEdit = e.register("notes", "doc", w.ws, w.resOwner, priv, "")
	w.grouped1 = e.register("notes", "doc", w.ws, w.resOwner, priv, "")
	w.groupedEdit = e.register("notes", "doc", w.ws, w.resOwner, priv, "")
	w.wsVisible = e.register("notes", "doc", w.ws, w.resOwner, vis, "")
	w.parent = e.register("notes", "doc", w.ws, w.resOwner, priv, "")
	w.child = e.register("notes", "doc", w.ws, w.resOwner, priv, w.parent.ID)
	w.folder = e.register("notes", "folder", w.ws, w.resOwner, vis, "")
	w.otherSvc = e.register("billing", "doc", w.ws, w.resOwner, vis, "")
	w.otherWs = e.register("notes", "doc", w.ws2, w.outsider, vis, "")
	e.share(w.private, store.GranteeUser, w.sharee, store.ShareView, w.resOwner)
	e.share(w.privateEdit, store.GranteeUser, w.sharee, store.ShareEdit, w.resOwner)
	e.share(w.parent, store.GranteeUser, w.sharee, store.ShareEdit, w.resOwner)
	e.share(w.grouped1, store.GranteeGroup, w.g, store.ShareView, w.resOwner)
	e.share(w.groupedEdit, store.GranteeGroup, w.g, store.ShareEdit, w.resOwner)
	e.synced()
	return w
}

// tok is an access token of a member of ws with their role.
func (w *permWorld) tok(uid string) string {
	roles := map[string]store.Role{w.owner: store.RoleOwner, w.admin: store.RoleAdmin, w.editor: store.RoleEditor}
	role, ok := roles[uid]
	if !ok {
		role = store.RoleViewer
	}
	return w.e.access(uid, w.ws, role)
}

func permCheckBody(svc string, r store.Resource, action string) map[string]any {
	return map[string]any{"checks": []any{map[string]any{"service_name": svc, "resource_type": r.Key.Type, "resource_id": r.Key.ID, "action": action}}}
}

func TestCompatPermissionCheck(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			unregistered := store.Resource{Key: store.ResourceKey{Service: "notes", Type: "doc", ID: uuid.NewString()}}
			cases := []struct {
				name   string
				token  string
				res    store.Resource
				action string
				want   bool
			}{
				{"unregistered", w.tok(w.owner), unregistered, "view", false},
				{"other workspace, workspace-visible", w.tok(w.viewer), w.otherWs, "view", false},
				{"other workspace: even the workspace owner", w.tok(w.owner), w.otherWs, "view", false},
				{"same resource from its own workspace", w.e.access(w.viewer, w.ws2, store.RoleViewer), w.otherWs, "view", true},
				{"owner views", w.tok(w.resOwner), w.private, "view", true},
				{"owner edits", w.tok(w.resOwner), w.private, "edit", true},
				{"admin edits private", w.tok(w.admin), w.private, "edit", true},
				{"workspace owner edits private", w.tok(w.owner), w.private, "edit", true},
				{"workspace visibility: viewer views", w.tok(w.viewer), w.wsVisible, "view", true},
				{"workspace visibility: viewer may not edit", w.tok(w.viewer), w.wsVisible, "edit", false},
				{"workspace visibility: editor edits", w.tok(w.editor), w.wsVisible, "edit", true},
				{"private: viewer", w.tok(w.viewer), w.private, "view", false},
				{"private: editor", w.tok(w.editor), w.private, "view", false},
				{"user share view: views", w.tok(w.sharee), w.private, "view", true},
				{"user share view: may not edit", w.tok(w.sharee), w.private, "edit", false},
				{"user share edit: edits", w.tok(w.sharee), w.privateEdit, "edit", true},
				{"user share edit implies view", w.tok(w.sharee), w.privateEdit, "view", true},
				{"group share view: member views", w.tok(w.grouped), w.grouped1, "view", true},
				{"group share view: member may not edit", w.tok(w.grouped), w.grouped1, "edit", false},
				{"group share: nested group member views", w.tok(w.nested), w.grouped1, "view", true},
				{"group share edit: nested group member edits", w.tok(w.nested), w.groupedEdit, "edit", true},
				{"group share: non-member", w.tok(w.viewer), w.grouped1, "view", false},
				{"parent inheritance: edit of the parent edits the child", w.tok(w.sharee), w.child, "edit", true},
				{"parent inheritance: nothing on the parent, nothing on the child", w.tok(w.viewer), w.child, "view", false},
				{"authz token of the service", w.e.authz(w.sharee, w.ws, "notes", store.RoleViewer), w.private, "view", true},
				{"authz token without a workspace", w.e.authz(w.resOwner, "", "notes", ""), w.private, "view", false},
			}
			for _, c := range cases {
				r := w.e.call("POST", "/permissions/check", w.key, c.token, permCheckBody("notes", c.res, c.action))
				if r.Status != 200 {
					t.Errorf("%s: status %d: %s", c.name, r.Status, r.Raw)
					continue
				}
				results := r.Body["results"].([]any)
				got := results[0].(map[string]any)
				if got["allowed"] != c.want || got["resource_id"] != c.res.Key.ID || got["resource_type"] != c.res.Key.Type ||
					got["service_name"] != "notes" || got["action"] != c.action || len(got) != 5 || len(results) != 1 {
					t.Errorf("%s: %s, want allowed %v", c.name, r.Raw, c.want)
				}
			}

			t.Run("batch answers in order", func(t *testing.T) {
				items := []any{}
				want := []bool{}
				for _, q := range []struct {
					r      store.Resource
					action string
					want   bool
				}{{w.private, "view", true}, {w.wsVisible, "edit", false}, {w.otherWs, "view", false}, {w.child, "edit", true}, {w.private, "view", true}} {
					items = append(items, map[string]any{"service_name": "notes", "resource_type": q.r.Key.Type, "resource_id": q.r.Key.ID, "action": q.action})
					want = append(want, q.want)
				}
				r := testenv.Must(t, 200, w.e.call("POST", "/permissions/check", w.key, w.tok(w.sharee), map[string]any{"checks": items}))
				results := r.Body["results"].([]any)
				for i, res := range results {
					if res.(map[string]any)["allowed"] != want[i] {
						t.Errorf("result %d = %v, want %v", i, res, want[i])
					}
				}
				if len(results) != len(want) {
					t.Errorf("%d results for %d checks", len(results), len(want))
				}
				empty := testenv.Must(t, 200, w.e.call("POST", "/permissions/check", w.key, w.tok(w.sharee), map[string]any{"checks": []any{}}))
				if len(empty.Body["results"].([]any)) != 0 {
					t.Errorf("no checks: %s", empty.Raw)
				}
			})

			t.Run("a removed member loses access at once", func(t *testing.T) {
				tok := w.tok(w.grouped)
				body := permCheckBody("notes", w.grouped1, "view")
				if r := w.e.call("POST", "/permissions/check", w.key, tok, body); r.Body["results"].([]any)[0].(map[string]any)["allowed"] != true {
					t.Fatalf("before removal: %s", r.Raw)
				}
				if err := w.e.st.RemoveMember(context.Background(), w.ws, w.grouped); err != nil {
					t.Fatal(err)
				}
				w.e.synced()
				if r := w.e.call("POST", "/permissions/check", w.key, tok, body); r.Body["results"].([]any)[0].(map[string]any)["allowed"] != false {
					t.Fatalf("after removal, with the same token: %s", r.Raw)
				}
				r := testenv.Must(t, 200, w.e.call("POST", "/permissions/accessible", w.key, tok,
					map[string]any{"service_name": "notes", "resource_type": "doc", "action": "view", "workspace_id": w.ws}))
				if len(permStrs(t, r.Body["resource_ids"])) != 0 || r.Body["has_full_access"] != false {
					t.Fatalf("accessible after removal, with the same token: %s", r.Raw)
				}
			})
		})
	}
}

func TestCompatPermissionAccessible(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			ids := func(rs ...store.Resource) []string {
				out := []string{}
				for _, r := range rs {
					out = append(out, r.Key.ID)
				}
				slices.Sort(out)
				return out
			}
			all := ids(w.private, w.privateEdit, w.grouped1, w.groupedEdit, w.wsVisible, w.parent, w.child)
			intp := func(n int) *int { return &n }
			cases := []struct {
				name   string
				token  string
				typ    string
				action string
				limit  *int
				want   []string
				full   bool
			}{
				{"viewer: workspace-visible only, not another workspace's", w.tok(w.viewer), "doc", "view", nil, ids(w.wsVisible), false},
				{"viewer, from the other workspace", w.e.access(w.viewer, w.ws2, store.RoleViewer), "doc", "view", nil, ids(w.otherWs), false},
				{"viewer edits nothing", w.tok(w.viewer), "doc", "edit", nil, []string{}, false},
				{"editor edits workspace-visible", w.tok(w.editor), "doc", "edit", nil, ids(w.wsVisible), false},
				{"owner of every resource: the union", w.tok(w.resOwner), "doc", "view", nil, all, false},
				{"owner of every resource, edit", w.tok(w.resOwner), "doc", "edit", nil, all, false},
				{"user shares, parent and visibility", w.tok(w.sharee), "doc", "view", nil, ids(w.private, w.privateEdit, w.parent, w.child, w.wsVisible), false},
				{"user shares edit", w.tok(w.sharee), "doc", "edit", nil, ids(w.privateEdit, w.parent, w.child), false},
				{"group shares", w.tok(w.grouped), "doc", "view", nil, ids(w.grouped1, w.groupedEdit, w.wsVisible), false},
				{"nested group shares edit", w.tok(w.nested), "doc", "edit", nil, ids(w.groupedEdit), false},
				{"another type", w.tok(w.viewer), "folder", "view", nil, ids(w.folder), false},
				{"limit for a member", w.tok(w.sharee), "doc", "view", intp(2), ids(w.private, w.privateEdit, w.parent, w.child, w.wsVisible)[:2], false},
				{"admin: full access, no list", w.tok(w.admin), "doc", "view", nil, []string{}, true},
				{"owner: full access, no list", w.tok(w.owner), "doc", "edit", nil, []string{}, true},
				{"admin with a limit: the workspace's ids", w.tok(w.admin), "doc", "view", intp(3), all[:3], true},
				{"owner with a large limit", w.tok(w.owner), "doc", "view", intp(100), all, true},
				{"token without a workspace", w.e.authz(w.resOwner, "", "notes", ""), "doc", "view", nil, nil, false},
			}
			for _, c := range cases {
				wid := w.ws
				if c.name == "viewer, from the other workspace" {
					wid = w.ws2
				}
				body := map[string]any{"service_name": "notes", "resource_type": c.typ, "action": c.action, "workspace_id": wid}
				if c.limit != nil {
					body["limit"] = *c.limit
				}
				r := w.e.call("POST", "/permissions/accessible", w.key, c.token, body)
				if c.want == nil { // refused: the token is for no workspace
					if r.Status != 403 {
						t.Errorf("%s: status %d, want 403: %s", c.name, r.Status, r.Raw)
					}
					continue
				}
				if r.Status != 200 {
					t.Errorf("%s: status %d: %s", c.name, r.Status, r.Raw)
					continue
				}
				if got := permStrs(t, r.Body["resource_ids"]); !slices.Equal(got, c.want) || r.Body["has_full_access"] != c.full || len(r.Body) != 2 {
					t.Errorf("%s: %s\nwant ids %v, has_full_access %v", c.name, r.Raw, c.want, c.full)
				}
			}

			t.Run("a demoted admin loses full access at once", func(t *testing.T) {
				tok := w.tok(w.admin)
				body := map[string]any{"service_name": "notes", "resource_type": "doc", "action": "view", "workspace_id": w.ws}
				if r := w.e.call("POST", "/permissions/accessible", w.key, tok, body); r.Body["has_full_access"] != true {
					t.Fatalf("admin: %s", r.Raw)
				}
				if _, err := w.e.st.SetRole(context.Background(), w.ws, w.admin, store.RoleViewer); err != nil {
					t.Fatal(err)
				}
				w.e.synced()
				r := testenv.Must(t, 200, w.e.call("POST", "/permissions/accessible", w.key, tok, body))
				if r.Body["has_full_access"] != false || !slices.Equal(permStrs(t, r.Body["resource_ids"]), ids(w.wsVisible)) {
					t.Errorf("demoted, with the admin token: %s", r.Raw)
				}
				if _, err := w.e.st.SetRole(context.Background(), w.ws, w.admin, store.RoleAdmin); err != nil {
					t.Fatal(err)
				}
				w.e.synced()
			})

			// Past 100 candidates the API keeps the workspace's through the
			// engine's list of its resources rather than one by one.
			t.Run("many candidates in two workspaces", func(t *testing.T) {
				want := []string{w.wsVisible.Key.ID}
				for i := range 110 {
					r := w.e.register("notes", "doc", w.ws, w.resOwner, store.VisibilityWorkspace, "")
					want = append(want, r.Key.ID)
					if i%3 == 0 {
						w.e.register("notes", "doc", w.ws2, w.outsider, store.VisibilityWorkspace, "")
					}
				}
				w.e.synced()
				slices.Sort(want)
				r := testenv.Must(t, 200, w.e.call("POST", "/permissions/accessible", w.key, w.tok(w.viewer),
					map[string]any{"service_name": "notes", "resource_type": "doc", "action": "view", "workspace_id": w.ws}))
				if got := permStrs(t, r.Body["resource_ids"]); !slices.Equal(got, want) {
					t.Errorf("got %d ids, want %d", len(got), len(want))
				}
				r = testenv.Must(t, 200, w.e.call("POST", "/permissions/accessible", w.key, w.tok(w.viewer),
					map[string]any{"service_name": "notes", "resource_type": "doc", "action": "view", "workspace_id": w.ws, "limit": 5}))
				if got := permStrs(t, r.Body["resource_ids"]); !slices.Equal(got, want[:5]) {
					t.Errorf("limit 5: %v, want %v", got, want[:5])
				}
			})
		})
	}
}
