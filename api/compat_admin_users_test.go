package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// admHeaders are what an admin client sends on every request.
var admHeaders = map[string]string{"Authorization": "Bearer " + adminKey, "X-Requested-With": "XMLHttpRequest"}

// admSend sends a request with exactly the given headers; body is nil, a
// string or []byte sent as is, or a value sent as JSON.
func admSend(t *testing.T, method, url string, headers map[string]string, body any) testenv.Response {
	t.Helper()
	return testenv.DoHeaders(t, method, url, headers, body)
}

// adm sends an admin request (admin key and X-Requested-With).
func (w *wsEnv) adm(method, path string, body any) testenv.Response {
	w.t.Helper()
	return admSend(w.t, method, w.srv.URL+path, admHeaders, body)
}

// items returns the items of a page answer, checking its shape and paging.
func items(t *testing.T, r testenv.Response, total, page, size int) []map[string]any {
	t.Helper()
	wantKeys(t, "page", r.Body, "items", "total", "page", "page_size")
	if r.Body["total"] != float64(total) || r.Body["page"] != float64(page) || r.Body["page_size"] != float64(size) {
		t.Fatalf("page = total %v page %v page_size %v, want %d %d %d: %s", r.Body["total"], r.Body["page"],
			r.Body["page_size"], total, page, size, r.Raw)
	}
	raw, _ := json.Marshal(r.Body["items"])
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		t.Fatalf("items is not an array: %s", r.Raw)
	}
	return out
}

// wantRefusals sends each refused request and checks its status, that
// its detail contains the text given and that the database is unchanged.
func (w *wsEnv) wantRefusals(cases []admRefusal) {
	w.t.Helper()
	before := w.state()
	for _, c := range cases {
		headers := c.headers
		if headers == nil {
			headers = admHeaders
		}
		r := admSend(w.t, c.method, w.srv.URL+c.path, headers, c.body)
		if r.Status != c.status {
			w.t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, r.Status, r.Raw, c.status)
			continue
		}
		detail, _ := r.Body["detail"].(string)
		if detail == "" || !strings.Contains(detail, c.detail) {
			w.t.Errorf("%s: answer %s, want a detail containing %q", c.name, r.Raw, c.detail)
		}
		if after := w.state(); after != before {
			w.t.Fatalf("%s changed the database:\n before %s\n after  %s", c.name, before, after)
		}
	}
}

type admRefusal struct {
	name, method, path string
	headers            map[string]string // nil: admHeaders
	body               any
	status             int
	detail             string
}

var admUserKeys = []string{"id", "email", "name", "avatar_url", "is_active", "is_admin", "created_at", "updated_at"}

// adminEntries returns the activity log's entries with the action, newest
// first, checking that each was made by the admin credential.
func (w *wsEnv) adminEntries(action string) []store.ActivityEntry {
	w.t.Helper()
	es, _, err := w.st.ListActivity(context.Background(), store.ActivityFilter{Action: action}, 1, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range es {
		if e.ActorType != store.ActorAdmin || e.ActorID != "" {
			w.t.Fatalf("%s entry by %s %q, want the admin credential", action, e.ActorType, e.ActorID)
		}
	}
	return es
}

func TestCompatAdminUserAuth(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	anne := w.user("anne")
	path := "/admin/users/" + anne.ID
	w.wantRefusals([]admRefusal{
		{"no credential", "GET", "/admin/users", map[string]string{}, nil, 401, "Not authenticated"},
		{"wrong key", "GET", "/admin/users", map[string]string{"Authorization": "Bearer nope"}, nil, 401, "Invalid admin"},
		{"a user's token", "GET", "/admin/users", map[string]string{"Authorization": "Bearer " + w.noWorkspace(anne)}, nil, 401, "Invalid admin"},
		{"mutation without X-Requested-With", "PATCH", path, map[string]string{"Authorization": "Bearer " + adminKey},
			map[string]any{"is_admin": true}, 403, "X-Requested-With"},
		{"wrong key, no X-Requested-With", "PATCH", path, map[string]string{"Authorization": "Bearer nope"},
			map[string]any{"is_admin": true}, 401, "Invalid admin"},
	})
	// X-Admin-Key works too, and reads need no X-Requested-With.
	r := admSend(t, "GET", w.srv.URL+path, map[string]string{"X-Admin-Key": adminKey}, nil)
	if r.Status != 200 || r.Body["id"] != anne.ID {
		t.Fatalf("GET with X-Admin-Key = %d %s", r.Status, r.Raw)
	}
}

func TestCompatAdminUserRoutes(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCompatAdminUserRoutes(t, startWS(t, open(t)))
		})
	}
}

func testCompatAdminUserRoutes(t *testing.T, w *wsEnv) {
	anne, bob, carl := w.user("anne"), w.user("bob"), w.user("carl")
	wid := w.createWorkspace(anne, "team")
	unknown := uuid.NewString()

	// The list: newest first, searchable, paginated.
	all := items(t, w.must(200, w.adm("GET", "/admin/users", nil)), 3, 1, 50)
	if got := field(all, "id"); !slices.Equal(got, []string{carl.ID, bob.ID, anne.ID}) {
		t.Fatalf("GET /admin/users ids %v, want carl, bob, anne", got)
	}
	wantKeys(t, "user", all[0], admUserKeys...)
	if all[0]["email"] != "carl@example.com" || all[0]["name"] != "Name carl" || all[0]["is_active"] != true ||
		all[0]["is_admin"] != false || all[0]["avatar_url"] != nil {
		t.Fatalf("user item %v", all[0])
	}
	if got := field(items(t, w.must(200, w.adm("GET", "/admin/users?search=BOB", nil)), 1, 1, 50), "id"); !slices.Equal(got, []string{bob.ID}) {
		t.Fatalf("search BOB: %v", got)
	}
	if got := field(items(t, w.must(200, w.adm("GET", "/admin/users?page=2&page_size=2", nil)), 3, 2, 2), "id"); !slices.Equal(got, []string{anne.ID}) {
		t.Fatalf("page 2 of 2: %v", got)
	}
	items(t, w.must(200, w.adm("GET", "/admin/users?page=9", nil)), 3, 9, 50)

	// One user, with identities and memberships.
	r := w.must(200, w.adm("GET", "/admin/users/"+anne.ID, nil))
	wantKeys(t, "user detail", r.Body, append(admUserKeys, "social_accounts", "memberships")...)
	social := r.Body["social_accounts"].([]any)
	if len(social) != 1 {
		t.Fatalf("social_accounts %v", social)
	}
	sa := social[0].(map[string]any)
	wantKeys(t, "social account", sa, "provider", "provider_user_id", "email", "created_at", "last_seen_at")
	if sa["provider"] != "p" || sa["provider_user_id"] != "p|anne" {
		t.Fatalf("social account %v", sa)
	}
	ms := r.Body["memberships"].([]any)
	if len(ms) != 1 {
		t.Fatalf("memberships %v", ms)
	}
	m := ms[0].(map[string]any)
	wantKeys(t, "membership", m, "workspace_id", "workspace_name", "workspace_slug", "role", "joined_at")
	if m["workspace_id"] != wid || m["workspace_slug"] != "team" || m["role"] != "owner" {
		t.Fatalf("membership %v", m)
	}

	// PATCH: the fields sent change, in one write, logged.
	r = w.must(200, w.adm("PATCH", "/admin/users/"+bob.ID, map[string]any{"name": "  Robert ", "is_admin": true, "extra": 1}))
	wantKeys(t, "patched user", r.Body, admUserKeys...)
	if r.Body["name"] != "Robert" || r.Body["is_admin"] != true || r.Body["is_active"] != true {
		t.Fatalf("patched user %s", r.Raw)
	}
	if got, _ := w.st.UserByID(context.Background(), bob.ID); got.Name != "Robert" || !got.Admin || !got.Active {
		t.Fatalf("stored user %+v", got)
	}
	if es := w.adminEntries("user.updated"); len(es) != 1 || es[0].TargetID != bob.ID ||
		!strings.Contains(string(es[0].Detail), `"is_admin":true`) {
		t.Fatalf("user.updated entries %+v", es)
	}

	// Bulk status: all or nothing; a deactivated user's token stops working.
	bobToken := w.noWorkspace(bob)
	w.must(200, w.do("GET", "/users/me", bobToken, nil))
	w.wantRefusals([]admRefusal{
		{"bulk: unknown id", "POST", "/admin/users/bulk-status", nil,
			map[string]any{"user_ids": []string{bob.ID, unknown}, "is_active": false}, 404, unknown},
		{"bulk: not a UUID", "POST", "/admin/users/bulk-status", nil,
			map[string]any{"user_ids": []string{bob.ID, "bob"}, "is_active": false}, 422, "UUID"},
		{"bulk: none", "POST", "/admin/users/bulk-status", nil, map[string]any{"user_ids": []string{}, "is_active": false}, 422, "user_ids"},
		{"bulk: no is_active", "POST", "/admin/users/bulk-status", nil, map[string]any{"user_ids": []string{bob.ID}}, 422, "is_active"},
		{"bulk: malformed", "POST", "/admin/users/bulk-status", nil, "{", 422, "Invalid request body"},
		{"patch: blank name", "PATCH", "/admin/users/" + bob.ID, nil, map[string]any{"name": " ", "is_active": false}, 422, "name"},
		{"patch: wrong type", "PATCH", "/admin/users/" + bob.ID, nil, map[string]any{"is_active": "no"}, 422, "Invalid request body"},
		{"patch: not a UUID", "PATCH", "/admin/users/bob", nil, map[string]any{"is_active": false}, 422, "id"},
		{"patch: unknown", "PATCH", "/admin/users/" + unknown, nil, map[string]any{"is_active": false}, 404, "User not found"},
		{"get: unknown", "GET", "/admin/users/" + unknown, nil, nil, 404, "User not found"},
		{"list: page 0", "GET", "/admin/users?page=0", nil, nil, 422, "page"},
		{"list: page size 101", "GET", "/admin/users?page_size=101", nil, nil, 422, "page_size"},
		{"list: search too long", "GET", "/admin/users?search=" + strings.Repeat("s", 101), nil, nil, 422, "search"},
	})
	r = w.must(200, w.adm("POST", "/admin/users/bulk-status", map[string]any{"user_ids": []string{bob.ID, carl.ID, bob.ID}, "is_active": false}))
	wantKeys(t, "bulk answer", r.Body, "updated", "is_active")
	if r.Body["updated"] != float64(2) || r.Body["is_active"] != false {
		t.Fatalf("bulk answer %s", r.Raw)
	}
	for _, u := range []store.User{bob, carl} {
		if got, _ := w.st.UserByID(context.Background(), u.ID); got.Active {
			t.Fatalf("%s still active", u.Email)
		}
	}
	if got, _ := w.st.UserByID(context.Background(), anne.ID); !got.Active {
		t.Fatal("anne deactivated too")
	}
	w.must(401, w.do("GET", "/users/me", bobToken, nil))
	if es := w.adminEntries("user.deactivated"); len(es) != 2 {
		t.Fatalf("user.deactivated entries %+v", es)
	}
	w.must(200, w.adm("POST", "/admin/users/bulk-status", map[string]any{"user_ids": []string{carl.ID}, "is_active": true}))
	if got, _ := w.st.UserByID(context.Background(), carl.ID); !got.Active {
		t.Fatal("carl not reactivated")
	}

	// Add to a workspace.
	r = w.must(201, w.adm("POST", "/admin/users/"+carl.ID+"/workspaces", map[string]any{"workspace_id": wid, "role": "editor"}))
	wantKeys(t, "member", r.Body, "workspace_id", "user_id", "email", "name", "avatar_url", "role", "joined_at")
	if r.Body["workspace_id"] != wid || r.Body["user_id"] != carl.ID || r.Body["role"] != "editor" {
		t.Fatalf("added member %s", r.Raw)
	}
	if got, err := w.st.Membership(context.Background(), wid, carl.ID); err != nil || got.Role != store.RoleEditor {
		t.Fatalf("stored membership %+v %v", got, err)
	}
	if es := w.adminEntries("member.added"); len(es) != 1 || es[0].WorkspaceID != wid || es[0].TargetID != carl.ID {
		t.Fatalf("member.added entries %+v", es)
	}
	r = w.must(201, w.adm("POST", "/admin/users/"+bob.ID+"/workspaces", map[string]any{"workspace_id": wid}))
	if r.Body["role"] != "viewer" {
		t.Fatalf("default role: %s", r.Raw)
	}
	w.wantRefusals([]admRefusal{
		{"add: member already", "POST", "/admin/users/" + carl.ID + "/workspaces", nil, map[string]any{"workspace_id": wid}, 409, "already a member"},
		{"add: unknown workspace", "POST", "/admin/users/" + carl.ID + "/workspaces", nil, map[string]any{"workspace_id": unknown}, 404, "Workspace not found"},
		{"add: unknown user", "POST", "/admin/users/" + unknown + "/workspaces", nil, map[string]any{"workspace_id": wid}, 404, "User not found"},
		{"add: no workspace", "POST", "/admin/users/" + anne.ID + "/workspaces", nil, map[string]any{"role": "viewer"}, 422, "workspace_id"},
		{"add: bad workspace id", "POST", "/admin/users/" + anne.ID + "/workspaces", nil, map[string]any{"workspace_id": "team"}, 422, "workspace_id"},
		{"add: bad role", "POST", "/admin/users/" + anne.ID + "/workspaces", nil, map[string]any{"workspace_id": wid, "role": "god"}, 422, "role"},
		{"revoke: unknown", "POST", "/admin/users/" + unknown + "/revoke-tokens", nil, nil, 404, "User not found"},
		{"revoke: not a UUID", "POST", "/admin/users/anne/revoke-tokens", nil, nil, 422, "id"},
	})

	// Revoking a user's tokens: the token issued before is refused.
	anneToken := w.as(anne, wid)
	w.must(200, w.do("GET", "/users/me", anneToken, nil))
	r = w.must(200, w.adm("POST", "/admin/users/"+anne.ID+"/revoke-tokens", nil))
	if r.Body["ok"] != true {
		t.Fatalf("revoke answer %s", r.Raw)
	}
	w.must(401, w.do("GET", "/users/me", anneToken, nil))
	if es := w.adminEntries("user.tokens_revoked"); len(es) != 1 || es[0].TargetID != anne.ID {
		t.Fatalf("user.tokens_revoked entries %+v", es)
	}
}
