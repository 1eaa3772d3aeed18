package api_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

var admResourceKeys = []string{"id", "service_name", "resource_type", "resource_id", "workspace_id", "owner_id", "visibility",
	"created_at", "shares", "owner_email", "share_count"}

func TestCompatAdminPermissions(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCompatAdminPermissions(t, startAC(t, open(t)))
		})
	}
}

// canEdit asks POST /permissions/check whether bob may edit the doc.
func (e *acEnv) bobCanEdit() bool {
	e.t.Helper()
	r := e.user(e.bob, store.RoleViewer, "POST", "/permissions/check", map[string]any{"checks": []any{map[string]any{
		"service_name": "notes", "resource_type": "doc", "resource_id": e.doc.Key.ID, "action": "edit"}}})
	if r.Status != 200 {
		e.t.Fatalf("permissions/check = %d %s", r.Status, r.Raw)
	}
	return r.Body["results"].([]any)[0].(map[string]any)["allowed"].(bool)
}

func testCompatAdminPermissions(t *testing.T, e *acEnv) {
	ctx := context.Background()
	other, _, err := e.st.RegisterResource(ctx, store.ResourceRegistration{Key: store.ResourceKey{Service: "docs", Type: "doc",
		ID: uuid.NewString()}, WorkspaceID: e.other.ID, OwnerID: e.carl.ID, Visibility: store.VisibilityPrivate})
	if err != nil {
		t.Fatal(err)
	}
	docPath := "/admin/permissions/" + e.doc.ID

	t.Run("list", func(t *testing.T) {
		e.t = t
		items := page(t, e.admOK(200, "GET", "/admin/permissions", nil), 2, 1, 50)
		wantKeys(t, "resource", items[1], admResourceKeys...)
		got := items[1]
		if got["id"] != e.doc.ID || got["owner_email"] != "anne@example.com" || got["share_count"] != float64(1) ||
			got["visibility"] != "workspace" || got["resource_id"] != e.doc.Key.ID || items[0]["id"] != other.ID {
			t.Fatalf("list = %v", items)
		}
		sh := got["shares"].([]any)[0].(map[string]any)
		wantKeys(t, "share", sh, "id", "grantee_type", "grantee_id", "permission", "granted_by", "granted_at")
		if sh["grantee_id"] != e.bob.ID || sh["granted_by"] != e.anne.ID {
			t.Fatalf("share = %v", sh)
		}
		for _, c := range []struct {
			query string
			want  string
		}{
			{"service_name=notes", e.doc.ID}, {"service_name=docs", other.ID},
			{"workspace_id=" + e.other.ID, other.ID}, {"owner_id=" + e.anne.ID, e.doc.ID},
			{"resource_type=doc&page=2&page_size=1", e.doc.ID},
		} {
			r := e.admOK(200, "GET", "/admin/permissions?"+c.query, nil)
			total, size, pg := 1, 50, 1
			if c.query == "resource_type=doc&page=2&page_size=1" {
				total, size, pg = 2, 1, 2
			}
			if items := page(t, r, total, pg, size); len(items) != 1 || items[0]["id"] != c.want {
				t.Fatalf("?%s = %s", c.query, r.Raw)
			}
		}
		if items := page(t, e.admOK(200, "GET", "/admin/permissions?resource_type=note", nil), 0, 1, 50); len(items) != 0 {
			t.Fatalf("an unmatched filter listed %v", items)
		}
		r := e.admOK(200, "GET", docPath, nil)
		wantKeys(t, "resource", r.Body, admResourceKeys...)
		if r.Body["id"] != e.doc.ID || r.Body["owner_email"] != "anne@example.com" {
			t.Fatalf("GET %s = %s", docPath, r.Raw)
		}
		e.refuse(append(e.authRefusals("GET", "/admin/permissions", nil),
			acRefusal{name: "bad service name", method: "GET", path: "/admin/permissions?service_name=Bad", status: 422, detail: "service_name"},
			acRefusal{name: "bad workspace id", method: "GET", path: "/admin/permissions?workspace_id=x", status: 422, detail: "workspace_id"},
			acRefusal{name: "bad owner id", method: "GET", path: "/admin/permissions?owner_id=x", status: 422, detail: "owner_id"},
			acRefusal{name: "page 0", method: "GET", path: "/admin/permissions?page=0", status: 422, detail: "page"},
			acRefusal{name: "page size 101", method: "GET", path: "/admin/permissions?page_size=101", status: 422, detail: "page_size"},
			acRefusal{name: "unknown id", method: "GET", path: "/admin/permissions/" + uuid.NewString(), status: 404, detail: "Permission not found"},
			acRefusal{name: "bad id", method: "GET", path: "/admin/permissions/x", status: 422, detail: "UUID"},
		))
	})

	t.Run("visibility", func(t *testing.T) {
		e.t = t
		path := docPath + "/visibility"
		e.refuse(append(e.authRefusals("PATCH", path, map[string]any{"visibility": "private"}),
			acRefusal{name: "unknown visibility", method: "PATCH", path: path, body: map[string]any{"visibility": "public"}, status: 422, detail: "visibility"},
			acRefusal{name: "unknown id", method: "PATCH", path: "/admin/permissions/" + uuid.NewString() + "/visibility",
				body: map[string]any{"visibility": "private"}, status: 404, detail: "Permission not found"},
			acRefusal{name: "bad id", method: "PATCH", path: "/admin/permissions/x/visibility", body: map[string]any{"visibility": "private"},
				status: 422, detail: "UUID"},
		))
		r := e.admOK(200, "PATCH", path, map[string]any{"visibility": "private"})
		if r.Body["status"] != "ok" || r.Body["visibility"] != "private" || len(r.Body) != 2 {
			t.Fatalf("PATCH visibility = %s", r.Raw)
		}
		if res, err := e.st.ResourceByID(ctx, e.doc.ID); err != nil || res.Visibility != store.VisibilityPrivate {
			t.Fatalf("stored visibility %v, %v", res.Visibility, err)
		}
		if got := e.adminEntry("resource.visibility_changed"); got.TargetID != e.doc.ID || got.WorkspaceID != e.acme.ID {
			t.Fatalf("activity %+v", got)
		}
	})

	t.Run("share", func(t *testing.T) {
		e.t = t
		path := docPath + "/share"
		grant := map[string]any{"grantee_type": "group", "grantee_id": e.eng.ID, "permission": "edit"}
		e.refuse(append(e.authRefusals("POST", path, grant),
			acRefusal{name: "a user outside the workspace", method: "POST", path: path, body: map[string]any{"grantee_type": "user",
				"grantee_id": e.carl.ID, "permission": "view"}, status: 400, detail: "not in the resource's workspace"},
			acRefusal{name: "unknown permission", method: "POST", path: path, body: map[string]any{"grantee_type": "user",
				"grantee_id": e.bob.ID, "permission": "admin"}, status: 422, detail: "permission"},
			acRefusal{name: "unknown resource", method: "POST", path: "/admin/permissions/" + uuid.NewString() + "/share",
				body: grant, status: 404, detail: "Permission not found"},
		))
		if e.bobCanEdit() {
			t.Fatal("bob may edit before the share")
		}
		r := e.admOK(201, "POST", path, grant)
		if r.Body["status"] != "ok" || len(r.Body) != 1 {
			t.Fatalf("POST share = %s", r.Raw)
		}
		if !e.bobCanEdit() { // the engine has the share at once
			t.Fatal("bob may not edit after the admin shared with his group")
		}
		res := e.admOK(200, "GET", docPath, nil)
		var found bool
		for _, s := range res.Body["shares"].([]any) {
			sh := s.(map[string]any)
			if sh["grantee_id"] == e.eng.ID {
				found = true
				if sh["permission"] != "edit" || sh["granted_by"] != nil {
					t.Fatalf("admin share = %v, want edit granted by null", sh)
				}
			}
		}
		if !found || res.Body["share_count"] != float64(2) {
			t.Fatalf("shares after the admin's = %s", res.Raw)
		}
		if got := e.adminEntry("resource.shared"); got.TargetID != e.doc.ID {
			t.Fatalf("activity %+v", got)
		}

		// Unsharing: the original's query form, then the SDK's body form.
		unshare := path + "?grantee_type=group&grantee_id=" + e.eng.ID
		e.refuse(append(e.authRefusals("DELETE", unshare, nil),
			acRefusal{name: "no grantee", method: "DELETE", path: path, status: 422, detail: "grantee"},
			acRefusal{name: "a grantee without a share", method: "DELETE", path: path + "?grantee_type=user&grantee_id=" + e.carl.ID,
				status: 404, detail: "Share not found"},
		))
		if r := e.admOK(200, "DELETE", unshare, nil); r.Body["status"] != "ok" {
			t.Fatalf("DELETE share = %s", r.Raw)
		}
		if e.bobCanEdit() {
			t.Fatal("bob may still edit after the unshare")
		}
		e.admOK(200, "DELETE", path, map[string]any{"grantee_type": "user", "grantee_id": e.bob.ID})
		if res, _ := e.st.ResourceByID(ctx, e.doc.ID); len(res.Shares) != 0 {
			t.Fatalf("shares left %+v", res.Shares)
		}
		e.refuse([]acRefusal{{name: "unshare twice", method: "DELETE", path: unshare, status: 404, detail: "Share not found"}})
		if got := e.adminEntry("resource.unshared"); got.TargetID != e.doc.ID {
			t.Fatalf("activity %+v", got)
		}
	})

	t.Run("purge", func(t *testing.T) {
		e.t = t
		e.refuse(append(e.authRefusals("DELETE", "/admin/permissions/service/notes", nil),
			acRefusal{name: "bad service name", method: "DELETE", path: "/admin/permissions/service/Bad", status: 422, detail: "service_name"},
		))
		r := e.admOK(200, "DELETE", "/admin/permissions/service/notes", nil)
		if r.Body["status"] != "ok" || r.Body["deleted_count"] != float64(1) {
			t.Fatalf("purge = %s", r.Raw)
		}
		if _, err := e.st.ResourceByID(ctx, e.doc.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("notes' resource after the purge: %v", err)
		}
		if _, err := e.st.ResourceByID(ctx, other.ID); err != nil {
			t.Fatalf("docs' resource after purging notes: %v", err)
		}
		if d := detailOf(t, e.adminEntry("resources.purged")); d["deleted_count"] != float64(1) || d["service_name"] != "notes" {
			t.Fatalf("activity detail %v", d)
		}
		if r := e.admOK(200, "DELETE", "/admin/permissions/service/notes", nil); r.Body["deleted_count"] != float64(0) {
			t.Fatalf("second purge = %s", r.Raw)
		}
	})
}
