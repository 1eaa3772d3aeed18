package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

var permResourceKeys = []string{"id", "service_name", "resource_type", "resource_id", "workspace_id", "owner_id", "visibility", "created_at", "shares"}
var permShareKeys = []string{"id", "grantee_type", "grantee_id", "permission", "granted_by", "granted_at"}

// permKeys fails unless m has exactly keys.
func permKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s has keys %v, want %v", what, got, want)
	}
}

func (w *permWorld) allowed(token string, r store.Resource, action string) bool {
	w.e.t.Helper()
	res := testenv.Must(w.e.t, 200, w.e.call("POST", "/permissions/check", w.key, token, permCheckBody("notes", r, action)))
	return res.Body["results"].([]any)[0].(map[string]any)["allowed"] == true
}

func TestCompatPermissionRegister(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			rid := uuid.NewString()
			body := map[string]any{"service_name": "notes", "resource_type": "doc", "resource_id": strings.ToUpper(rid),
				"workspace_id": w.ws, "owner_id": w.viewer, "visibility": "private", "unknown": "ignored"}
			r := testenv.Must(t, 201, w.e.call("POST", "/permissions/register", w.key, "", body))
			permKeys(t, "ResourcePermission", r.Body, permResourceKeys...)
			if r.Body["resource_id"] != rid || r.Body["workspace_id"] != w.ws || r.Body["owner_id"] != w.viewer ||
				r.Body["visibility"] != "private" || len(r.Body["shares"].([]any)) != 0 || r.Body["service_name"] != "notes" {
				t.Errorf("registered: %s", r.Raw)
			}
			if _, err := time.Parse(time.RFC3339Nano, r.Body["created_at"].(string)); err != nil {
				t.Errorf("created_at: %v", err)
			}
			reg := store.Resource{ID: r.Body["id"].(string), Key: store.ResourceKey{Service: "notes", Type: "doc", ID: rid}}
			// Settled: the owner's next check on this server sees it.
			if !w.allowed(w.tok(w.viewer), reg, "edit") || w.allowed(w.tok(w.editor), reg, "view") {
				t.Errorf("checks right after registering do not see it")
			}
			if got := w.e.activity("resource.registered"); len(got) != 1 || got[0].TargetID != reg.ID ||
				got[0].ActorType != store.ActorService || got[0].ActorLabel != "notes" || got[0].WorkspaceID != w.ws {
				t.Errorf("activity: %+v", got)
			}

			before := w.e.state()
			again := testenv.Must(t, 201, w.e.call("POST", "/permissions/register", w.key, "", map[string]any{
				"service_name": "notes", "resource_type": "doc", "resource_id": rid, "workspace_id": w.ws, "owner_id": w.viewer}))
			if again.Body["id"] != reg.ID || again.Body["visibility"] != "private" {
				t.Errorf("registering again is not idempotent: %s", again.Raw)
			}
			w.e.unchanged(before, "registering again")

			good := func(change func(m map[string]any)) map[string]any {
				m := map[string]any{"service_name": "notes", "resource_type": "doc", "resource_id": uuid.NewString(),
					"workspace_id": w.ws, "owner_id": w.viewer, "visibility": "workspace"}
				change(m)
				return m
			}
			cases := []struct {
				name   string
				key    string
				body   any
				status int
			}{
				{"no service key", "", good(func(map[string]any) {}), 401},
				{"wrong service key", "sk_" + strings.Repeat("x", 43), good(func(map[string]any) {}), 401},
				{"another service's name", w.key, good(func(m map[string]any) { m["service_name"] = "billing" }), 403},
				{"malformed JSON", w.key, `{"service_name": `, 422},
				{"missing resource_id", w.key, good(func(m map[string]any) { delete(m, "resource_id") }), 422},
				{"resource_id not a UUID", w.key, good(func(m map[string]any) { m["resource_id"] = "doc-1" }), 422},
				{"owner_id not a UUID", w.key, good(func(m map[string]any) { m["owner_id"] = "anne" }), 422},
				{"unknown visibility", w.key, good(func(m map[string]any) { m["visibility"] = "public" }), 422},
				{"malformed resource type", w.key, good(func(m map[string]any) { m["resource_type"] = "Doc" }), 422},
				{"wrong JSON type", w.key, good(func(m map[string]any) { m["workspace_id"] = 7 }), 422},
				{"same key, another owner", w.key, good(func(m map[string]any) { m["resource_id"], m["owner_id"] = rid, w.editor }), 409},
				{"same key, another workspace", w.key, good(func(m map[string]any) { m["resource_id"], m["workspace_id"] = rid, w.ws2 }), 409},
				{"unknown workspace", w.key, good(func(m map[string]any) { m["workspace_id"] = uuid.NewString() }), 404},
				{"unknown owner", w.key, good(func(m map[string]any) { m["owner_id"] = uuid.NewString() }), 404},
			}
			for _, c := range cases {
				before := w.e.state()
				r := w.e.call("POST", "/permissions/register", c.key, "", c.body)
				if r.Status != c.status || r.Body["detail"] == nil {
					t.Errorf("%s: status %d, want %d with a detail: %s", c.name, r.Status, c.status, r.Raw)
				}
				w.e.unchanged(before, c.name)
			}
		})
	}
}

func TestCompatPermissionACL(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			res := w.wsVisible
			path := "/permissions/resource/notes/doc/" + res.Key.ID
			sharePath := "/permissions/" + res.ID + "/share"

			got := testenv.Must(t, 200, w.e.call("GET", path, w.key, "", nil))
			permKeys(t, "ResourcePermission", got.Body, permResourceKeys...)
			if got.Body["id"] != res.ID || got.Body["visibility"] != "workspace" {
				t.Errorf("GET: %s", got.Raw)
			}

			// Sharing: the owner grants view, then changes it to edit (upsert).
			owner := w.tok(w.resOwner)
			if w.allowed(w.tok(w.viewer), res, "edit") {
				t.Fatal("viewer may edit before any share")
			}
			sh := testenv.Must(t, 200, w.e.call("POST", sharePath, w.key, owner,
				map[string]any{"grantee_type": "user", "grantee_id": w.viewer, "permission": "view"}))
			permKeys(t, "share", sh.Body, permShareKeys...)
			if sh.Body["grantee_id"] != w.viewer || sh.Body["permission"] != "view" || sh.Body["granted_by"] != w.resOwner {
				t.Errorf("share: %s", sh.Raw)
			}
			up := testenv.Must(t, 200, w.e.call("POST", sharePath, w.key, owner,
				map[string]any{"grantee_type": "user", "grantee_id": w.viewer, "permission": "edit"}))
			if up.Body["id"] != sh.Body["id"] || up.Body["permission"] != "edit" {
				t.Errorf("share upsert: %s then %s", sh.Raw, up.Raw)
			}
			if !w.allowed(w.tok(w.viewer), res, "edit") {
				t.Error("the edit share is not seen by the next check")
			}
			// An editor through a share may share in turn; a group grantee.
			testenv.Must(t, 200, w.e.call("POST", sharePath, w.key, w.tok(w.viewer),
				map[string]any{"grantee_type": "group", "grantee_id": w.h, "permission": "view"}))
			if e := w.e.activity("resource.shared"); len(e) != 3 || e[0].ActorType != store.ActorUser || e[0].ActorID != w.viewer {
				t.Errorf("share activity: %+v", e)
			}

			acl := testenv.Must(t, 200, w.e.call("GET", path, w.key, "", nil))
			shares := acl.Body["shares"].([]any)
			if len(shares) != 2 {
				t.Fatalf("ACL after sharing: %s", acl.Raw)
			}
			for _, s := range shares {
				permKeys(t, "share", s.(map[string]any), permShareKeys...)
			}

			en := testenv.Must(t, 200, w.e.call("GET", path+"/enriched", w.key, "", nil))
			permKeys(t, "enriched", en.Body, append(permResourceKeys, "owner_name", "owner_email")...)
			if en.Body["owner_name"] != "u" || !strings.HasSuffix(en.Body["owner_email"].(string), "@example.test") {
				t.Errorf("enriched owner: %s", en.Raw)
			}
			for _, s := range en.Body["shares"].([]any) {
				m := s.(map[string]any)
				permKeys(t, "enriched share", m, append(permShareKeys, "grantee_name", "grantee_email", "granted_by_name")...)
				switch m["grantee_type"] {
				case "user":
					if m["grantee_name"] != "u" || m["grantee_email"] == nil || m["granted_by_name"] != "u" {
						t.Errorf("enriched user share: %v", m)
					}
				case "group":
					if m["grantee_name"] != "h" || m["grantee_email"] != nil {
						t.Errorf("enriched group share: %v", m)
					}
				}
			}

			// Visibility.
			vis := testenv.Must(t, 200, w.e.call("PATCH", "/permissions/"+res.ID+"/visibility", w.key, "", map[string]any{"visibility": "private"}))
			permKeys(t, "ResourcePermission", vis.Body, permResourceKeys...)
			if vis.Body["visibility"] != "private" || len(vis.Body["shares"].([]any)) != 2 {
				t.Errorf("visibility: %s", vis.Raw)
			}
			if w.allowed(w.tok(w.editor), res, "view") {
				t.Error("private, but the editor still views it")
			}

			// Unsharing.
			before := w.e.state()
			r := w.e.call("DELETE", sharePath, w.key, "", map[string]any{"grantee_type": "user", "grantee_id": w.viewer})
			if r.Status != 204 || r.Raw != "" {
				t.Errorf("unshare: %d %q", r.Status, r.Raw)
			}
			if w.e.state() == before || w.allowed(w.tok(w.viewer), res, "view") {
				t.Error("unshare did not revoke")
			}
			if r := w.e.call("DELETE", sharePath, w.key, "", map[string]any{"grantee_type": "user", "grantee_id": w.viewer}); r.Status != 404 {
				t.Errorf("unshare again: %d %s", r.Status, r.Raw)
			}

			// Deregistering.
			if r := w.e.call("DELETE", path, w.key, "", nil); r.Status != 204 {
				t.Fatalf("deregister: %d %s", r.Status, r.Raw)
			}
			if w.allowed(w.tok(w.resOwner), res, "view") {
				t.Error("a deregistered resource is still allowed")
			}
			testenv.Must(t, 404, w.e.call("GET", path, w.key, "", nil))
			testenv.Must(t, 404, w.e.call("DELETE", path, w.key, "", nil))
			for _, a := range []string{"resource.visibility_changed", "resource.unshared", "resource.deregistered"} {
				if n := len(w.e.activity(a)); n != 1 {
					t.Errorf("%d %s entries, want 1", n, a)
				}
			}
		})
	}
}

// TestCompatPermissionRefusals sends each ACL route what it must refuse
// and checks the status, the {"detail"} body and that nothing changed.
func TestCompatPermissionRefusals(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newPermWorld(t, open(t))
			res := w.private
			share := "/permissions/" + res.ID + "/share"
			path := "/permissions/resource/notes/doc/" + res.Key.ID
			grant := map[string]any{"grantee_type": "user", "grantee_id": w.viewer, "permission": "view"}
			with := func(k, v string) map[string]any {
				m := map[string]any{"grantee_type": "user", "grantee_id": w.viewer, "permission": "view"}
				m[k] = v
				return m
			}
			owner, viewer := w.tok(w.resOwner), w.tok(w.viewer)
			cases := []struct {
				name, method, path, key, token string
				body                           any
				status                         int
			}{
				{"share: no key", "POST", share, "", owner, grant, 401},
				{"share: no token", "POST", share, w.key, "", grant, 401},
				{"share: forged token", "POST", share, w.key, owner + "x", grant, 401},
				{"share: authz token of another service", "POST", share, w.key, w.e.authz(w.resOwner, w.ws, "billing", store.RoleViewer), grant, 403},
				{"share: may not edit", "POST", share, w.key, viewer, grant, 403},
				{"share: token for another workspace", "POST", share, w.key, w.e.access(w.resOwner, w.ws2, store.RoleViewer), grant, 403},
				{"share: another service's key", "POST", share, w.otherKey, owner, grant, 404},
				{"share: unknown id", "POST", "/permissions/" + uuid.NewString() + "/share", w.key, owner, grant, 404},
				{"share: id not a UUID", "POST", "/permissions/x/share", w.key, owner, grant, 422},
				{"share: bad grantee type", "POST", share, w.key, owner, with("grantee_type", "team"), 422},
				{"share: bad permission", "POST", share, w.key, owner, with("permission", "admin"), 422},
				{"share: grantee not a UUID", "POST", share, w.key, owner, with("grantee_id", "bob"), 422},
				{"share: grantee outside the workspace", "POST", share, w.key, owner, with("grantee_id", w.outsider), 400},
				{"share: group of no workspace", "POST", share, w.key, owner, map[string]any{"grantee_type": "group", "grantee_id": uuid.NewString(), "permission": "view"}, 400},
				{"unshare: no key", "DELETE", share, "", "", grant, 401},
				{"unshare: another service's key", "DELETE", share, w.otherKey, "", map[string]any{"grantee_type": "user", "grantee_id": w.sharee}, 404},
				{"unshare: no such share", "DELETE", share, w.key, "", grant, 404},
				{"unshare: bad body", "DELETE", share, w.key, "", `[`, 422},
				{"visibility: no key", "PATCH", "/permissions/" + res.ID + "/visibility", "", "", map[string]any{"visibility": "workspace"}, 401},
				{"visibility: another service's key", "PATCH", "/permissions/" + res.ID + "/visibility", w.otherKey, "", map[string]any{"visibility": "workspace"}, 404},
				{"visibility: bad value", "PATCH", "/permissions/" + res.ID + "/visibility", w.key, "", map[string]any{"visibility": "public"}, 422},
				{"visibility: missing", "PATCH", "/permissions/" + res.ID + "/visibility", w.key, "", map[string]any{}, 422},
				{"get: another service's key", "GET", path, w.otherKey, "", nil, 403},
				{"get: unknown", "GET", "/permissions/resource/notes/doc/" + uuid.NewString(), w.key, "", nil, 404},
				{"get: id not a UUID", "GET", "/permissions/resource/notes/doc/1", w.key, "", nil, 422},
				{"enriched: another service's key", "GET", path + "/enriched", w.otherKey, "", nil, 403},
				{"delete: no key", "DELETE", path, "", "", nil, 401},
				{"delete: another service's key", "DELETE", path, w.otherKey, "", nil, 403},
				{"delete: another type", "DELETE", "/permissions/resource/notes/folder/" + res.Key.ID, w.key, "", nil, 404},
				{"check: another service's name", "POST", "/permissions/check", w.key, owner, permCheckBody("billing", res, "view"), 403},
				{"check: no token", "POST", "/permissions/check", w.key, "", permCheckBody("notes", res, "view"), 401},
				{"check: bad action", "POST", "/permissions/check", w.key, owner, permCheckBody("notes", res, "delete"), 422},
				{"check: missing checks", "POST", "/permissions/check", w.key, owner, map[string]any{}, 422},
				{"check: 101 checks", "POST", "/permissions/check", w.key, owner, map[string]any{"checks": slices.Repeat(permCheckBody("notes", res, "view")["checks"].([]any), 101)}, 422},
				{"accessible: another workspace", "POST", "/permissions/accessible", w.key, owner, map[string]any{"service_name": "notes", "resource_type": "doc", "action": "view", "workspace_id": w.ws2}, 403},
				{"accessible: another service", "POST", "/permissions/accessible", w.key, owner, map[string]any{"service_name": "billing", "resource_type": "doc", "action": "view", "workspace_id": w.ws}, 403},
				{"accessible: limit 0", "POST", "/permissions/accessible", w.key, owner, map[string]any{"service_name": "notes", "resource_type": "doc", "action": "view", "workspace_id": w.ws, "limit": 0}, 422},
			}
			for _, c := range cases {
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
