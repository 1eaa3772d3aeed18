package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

func TestCompatRoleActionsRegister(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			body := map[string]any{"service_name": "notes", "actions": []any{
				map[string]any{"action": "notes:export", "description": "Export as PDF"},
				map[string]any{"action": "notes:share"},
			}}
			r := testenv.Must(t, 201, w.e.call("POST", "/roles/actions/register", w.key, "", body))
			got := permList(t, r)
			if len(got) != 2 {
				t.Fatalf("register: %s", r.Raw)
			}
			for _, a := range got {
				permKeys(t, "service action", a, "id", "service_name", "action", "description", "created_at")
				if _, err := time.Parse(time.RFC3339Nano, a["created_at"].(string)); err != nil || a["service_name"] != "notes" {
					t.Errorf("action %v: %v", a, err)
				}
			}
			if got[0]["action"] != "notes:export" || got[0]["description"] != "Export as PDF" || got[1]["action"] != "notes:share" || got[1]["description"] != nil {
				t.Errorf("register: %s", r.Raw)
			}
			// Upsert: the same action again keeps its id, takes the new description.
			again := permList(t, testenv.Must(t, 201, w.e.call("POST", "/roles/actions/register", w.key, "", map[string]any{
				"service_name": "notes", "actions": []any{map[string]any{"action": "notes:export", "description": "Export"}}})))
			if len(again) != 1 || again[0]["id"] != got[0]["id"] || again[0]["description"] != "Export" {
				t.Errorf("upsert: %v", again)
			}
			if n := len(w.e.activity("service_actions.registered")); n != 2 {
				t.Errorf("%d activity entries, want 2", n)
			}

			cases := []struct {
				name   string
				key    string
				body   any
				status int
			}{
				{"no key", "", body, 401},
				{"another service", w.key, map[string]any{"service_name": "billing", "actions": []any{map[string]any{"action": "x"}}}, 403},
				{"no actions", w.key, map[string]any{"service_name": "notes"}, 422},
				{"empty action", w.key, map[string]any{"service_name": "notes", "actions": []any{map[string]any{"action": "ok"}, map[string]any{"action": ""}}}, 422},
				{"action with a space", w.key, map[string]any{"service_name": "notes", "actions": []any{map[string]any{"action": "notes: x"}}}, 422},
				{"malformed", w.key, `{"actions": 3}`, 422},
			}
			for _, c := range cases {
				before := w.e.state()
				r := w.e.call("POST", "/roles/actions/register", c.key, "", c.body)
				if r.Status != c.status || r.Body["detail"] == nil {
					t.Errorf("%s: status %d, want %d with a detail: %s", c.name, r.Status, c.status, r.Raw)
				}
				w.e.unchanged(before, c.name)
				if acts, err := w.e.st.ServiceActions(context.Background(), "notes"); err != nil || len(acts) != 2 {
					t.Errorf("%s: actions now %v, %v", c.name, acts, err)
				}
			}
		})
	}
}

func TestCompatRoleCheckAction(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			st, ctx := w.e.st, context.Background()
			acts, err := st.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}, {Action: "notes:share"}, {Action: "notes:purge"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.RegisterActions(ctx, "billing", []store.ActionSpec{{Action: "notes:export"}}); err != nil {
				t.Fatal(err)
			}
			role := func(wid, name string, actions []store.ServiceAction, to ...store.Assignee) {
				r, err := st.CreateRole(ctx, wid, name, "", "")
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, a := range actions {
					ids = append(ids, a.ID)
				}
				if err := st.AddRoleActions(ctx, r.ID, ids); err != nil {
					t.Fatal(err)
				}
				for _, a := range to {
					if err := st.AssignRole(ctx, r.ID, a, ""); err != nil {
						t.Fatal(err)
					}
				}
			}
			user := func(id string) store.Assignee { return store.Assignee{Type: store.AssigneeUser, ID: id} }
			role(w.ws, "exporter", acts[:1], user(w.viewer))
			role(w.ws, "sharer", acts[:2], store.Assignee{Type: store.AssigneeGroup, ID: w.g})
			// The viewer is a member of ws2 too; a role there grants purge
			// there only.
			role(w.ws2, "purger", acts[2:], user(w.viewer))
			w.e.synced()

			cases := []struct {
				name, token, wid, action string
				allowed                  bool
				roles                    []string
			}{
				{"direct role", w.tok(w.viewer), w.ws, "notes:export", true, []string{"exporter"}},
				{"direct role, action it lacks", w.tok(w.viewer), w.ws, "notes:share", false, nil},
				{"via a group", w.tok(w.grouped), w.ws, "notes:share", true, []string{"sharer"}},
				{"via a nested group", w.tok(w.nested), w.ws, "notes:export", true, []string{"sharer"}},
				{"no role", w.tok(w.editor), w.ws, "notes:export", false, nil},
				{"a role of another workspace does not count here", w.tok(w.viewer), w.ws, "notes:purge", false, nil},
				{"... but does there", w.e.access(w.viewer, w.ws2, store.RoleViewer), w.ws2, "notes:purge", true, []string{"purger"}},
				{"roles of this workspace do not count there", w.e.access(w.viewer, w.ws2, store.RoleViewer), w.ws2, "notes:export", false, nil},
				{"unregistered action", w.tok(w.viewer), w.ws, "notes:nothing", false, nil},
				{"workspace owner has no implicit custom role", w.tok(w.owner), w.ws, "notes:export", false, nil},
			}
			for _, c := range cases {
				r := w.e.call("POST", "/roles/check-action", w.key, c.token, map[string]any{"service_name": "notes", "action": c.action, "workspace_id": c.wid})
				if r.Status != 200 {
					t.Errorf("%s: status %d: %s", c.name, r.Status, r.Raw)
					continue
				}
				want := c.roles
				if want == nil {
					want = []string{}
				}
				if r.Body["allowed"] != c.allowed || !slices.Equal(permStrs(t, r.Body["roles"]), want) || len(r.Body) != 2 {
					t.Errorf("%s: %s, want allowed %v roles %v", c.name, r.Raw, c.allowed, want)
				}
			}

			actions := func(token, wid string) testenv.Response {
				return w.e.call("GET", "/roles/user-actions?workspace_id="+wid+"&service_name=notes", w.key, token, nil)
			}
			for _, c := range []struct {
				name, token, wid string
				want             []string
			}{
				{"direct", w.tok(w.viewer), w.ws, []string{"notes:export"}},
				{"group", w.tok(w.grouped), w.ws, []string{"notes:export", "notes:share"}},
				{"nested group", w.tok(w.nested), w.ws, []string{"notes:export", "notes:share"}},
				{"none", w.tok(w.admin), w.ws, []string{}},
				{"other workspace", w.e.access(w.viewer, w.ws2, store.RoleViewer), w.ws2, []string{"notes:purge"}},
			} {
				r := actions(c.token, c.wid)
				if r.Status != 200 || !slices.Equal(permStrs(t, r.Body["actions"]), c.want) || len(r.Body) != 1 {
					t.Errorf("user-actions %s: %d %s, want %v", c.name, r.Status, r.Raw, c.want)
				}
			}

			actionBody := func(svc, wid string) map[string]any {
				return map[string]any{"service_name": svc, "action": "notes:export", "workspace_id": wid}
			}
			for _, c := range []struct {
				name, method, path, key, token string
				body                           any
				status                         int
			}{
				{"check: no key", "POST", "/roles/check-action", "", w.tok(w.viewer), actionBody("notes", w.ws), 401},
				{"check: no token", "POST", "/roles/check-action", w.key, "", actionBody("notes", w.ws), 401},
				{"check: another service", "POST", "/roles/check-action", w.key, w.tok(w.viewer), actionBody("billing", w.ws), 403},
				{"check: another workspace", "POST", "/roles/check-action", w.key, w.tok(w.viewer), actionBody("notes", w.ws2), 403},
				{"check: authz token of another service", "POST", "/roles/check-action", w.key, w.e.authz(w.viewer, w.ws, "billing", store.RoleViewer), actionBody("notes", w.ws), 403},
				{"check: workspace not a UUID", "POST", "/roles/check-action", w.key, w.tok(w.viewer), actionBody("notes", "acme"), 422},
				{"check: no action", "POST", "/roles/check-action", w.key, w.tok(w.viewer), map[string]any{"service_name": "notes", "workspace_id": w.ws}, 422},
				{"actions: another workspace", "GET", "/roles/user-actions?workspace_id=" + w.ws2 + "&service_name=notes", w.key, w.tok(w.viewer), nil, 403},
				{"actions: another service", "GET", "/roles/user-actions?workspace_id=" + w.ws + "&service_name=billing", w.key, w.tok(w.viewer), nil, 403},
				{"actions: missing workspace", "GET", "/roles/user-actions?service_name=notes", w.key, w.tok(w.viewer), nil, 422},
				{"actions: unknown workspace", "GET", "/roles/user-actions?service_name=notes&workspace_id=" + uuid.NewString(), w.key, w.tok(w.viewer), nil, 403},
			} {
				before := w.e.state()
				r := w.e.call(c.method, c.path, c.key, c.token, c.body)
				if r.Status != c.status || r.Body["detail"] == nil {
					t.Errorf("%s: status %d, want %d with a detail: %s", c.name, r.Status, c.status, r.Raw)
				}
				w.e.unchanged(before, c.name)
			}
		})
	}
}
