package api_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

var (
	admClientAppKeys  = []string{"id", "name", "redirect_uris", "is_active", "created_by", "created_at", "updated_at"}
	admServiceAppKeys = []string{"id", "name", "service_name", "key_prefix", "is_active", "allowed_origins", "last_used_at",
		"created_by", "created_at", "updated_at"}
)

func TestCompatAdminClientApps(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCompatAdminClientApps(t, startAC(t, open(t)))
		})
	}
}

func testCompatAdminClientApps(t *testing.T, e *acEnv) {
	create := map[string]any{"name": "Web", "redirect_uris": []string{"https://app.example/cb", "http://localhost:3000/cb"}}
	var refusals []acRefusal
	for _, uri := range []string{"/cb", "ftp://app.example/cb", "https://app.example/cb#x", "https://u:p@app.example/cb", "javascript:alert(1)"} {
		refusals = append(refusals, acRefusal{name: "redirect URI " + uri, method: "POST", path: "/admin/client-apps",
			body: map[string]any{"name": "Web", "redirect_uris": []string{"https://ok.example/cb", uri}}, status: 422, detail: "redirect URI"})
	}
	e.refuse(append(append(e.authRefusals("POST", "/admin/client-apps", create), refusals...),
		acRefusal{name: "no name", method: "POST", path: "/admin/client-apps", body: map[string]any{"redirect_uris": []string{}}, status: 422, detail: "name"},
		acRefusal{name: "blank name", method: "POST", path: "/admin/client-apps", body: map[string]any{"name": " ", "redirect_uris": []string{}},
			status: 422, detail: "name"},
		acRefusal{name: "no redirect URIs", method: "POST", path: "/admin/client-apps", body: map[string]any{"name": "Web"}, status: 422, detail: "redirect_uris"},
	))
	r := e.admOK(201, "POST", "/admin/client-apps", create)
	wantKeys(t, "client app", r.Body, admClientAppKeys...)
	app := r.Body
	if app["name"] != "Web" || app["is_active"] != true || app["created_by"] != nil || len(app["redirect_uris"].([]any)) != 2 {
		t.Fatalf("created client app = %s", r.Raw)
	}
	id := app["id"].(string)
	if got, err := e.st.ClientApp(context.Background(), id); err != nil || !slices.Equal(got.RedirectURIs, create["redirect_uris"].([]string)) {
		t.Fatalf("stored client app %+v, %v", got, err)
	}
	if got := e.adminEntry("client_app.created"); got.TargetID != id {
		t.Fatalf("activity %+v", got)
	}
	e.admOK(201, "POST", "/admin/client-apps", map[string]any{"name": "Another", "redirect_uris": []string{}})
	items := page(t, e.admOK(200, "GET", "/admin/client-apps", nil), 2, 1, 50)
	if items[0]["name"] != "Another" || items[1]["id"] != id {
		t.Fatalf("client apps = %v", items)
	}
	if r := e.admOK(200, "GET", "/admin/client-apps/"+id, nil); r.Body["id"] != id || r.Body["name"] != "Web" {
		t.Fatalf("GET client app = %s", r.Raw)
	}

	path := "/admin/client-apps/" + id
	e.refuse(append(e.authRefusals("PATCH", path, map[string]any{"is_active": false}),
		acRefusal{name: "bad redirect URI", method: "PATCH", path: path, body: map[string]any{"redirect_uris": []string{"https://x.example/#f"}},
			status: 422, detail: "fragment"},
		acRefusal{name: "unknown app", method: "PATCH", path: "/admin/client-apps/" + uuid.NewString(), body: map[string]any{"is_active": false},
			status: 404, detail: "Client app not found"},
		acRefusal{name: "bad id", method: "GET", path: "/admin/client-apps/x", status: 422, detail: "UUID"},
		acRefusal{name: "get an unknown app", method: "GET", path: "/admin/client-apps/" + uuid.NewString(), status: 404, detail: "Client app not found"},
	))
	r = e.admOK(200, "PATCH", path, map[string]any{"is_active": false, "redirect_uris": []string{"https://app.example/v2"}})
	if r.Body["is_active"] != false || r.Body["name"] != "Web" || r.Body["redirect_uris"].([]any)[0] != "https://app.example/v2" ||
		r.Body["updated_at"] == app["updated_at"] {
		t.Fatalf("PATCH client app = %s", r.Raw)
	}
	if d := detailOf(t, e.adminEntry("client_app.updated")); d["is_active"] != false {
		t.Fatalf("activity detail %v", d)
	}

	e.refuse(e.authRefusals("DELETE", path, nil))
	e.admOK(204, "DELETE", path, nil)
	e.adminEntry("client_app.deleted")
	e.refuse([]acRefusal{
		{name: "delete twice", method: "DELETE", path: path, status: 404, detail: "Client app not found"},
		{name: "get after delete", method: "GET", path: path, status: 404, detail: "Client app not found"},
	})
}

func TestCompatAdminServiceApps(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCompatAdminServiceApps(t, startAC(t, open(t)))
		})
	}
}

// keyWorks reports whether a service key authenticates on the original's
// routes (registering an action of the service named).
func (e *acEnv) keyWorks(key, service string) bool {
	e.t.Helper()
	r := testenv.DoHeaders(e.t, "POST", e.srv.URL+"/roles/actions/register", map[string]string{"X-Service-Key": key},
		map[string]any{"service_name": service, "actions": []any{map[string]any{"action": service + ":print"}}})
	switch r.Status {
	case 201:
		return true
	case 401:
		return false
	}
	e.t.Fatalf("roles/actions/register = %d %s", r.Status, r.Raw)
	return false
}

func testCompatAdminServiceApps(t *testing.T, e *acEnv) {
	ctx := context.Background()
	// A service made by the native API is an app with the defaults.
	items := page(t, e.admOK(200, "GET", "/admin/service-apps", nil), 1, 1, 50)
	wantKeys(t, "service app", items[0], admServiceAppKeys...)
	if got := items[0]; got["id"] != e.notes.ID || got["name"] != "notes" || got["service_name"] != "notes" || got["is_active"] != true ||
		!strings.HasPrefix(got["key_prefix"].(string), "sk_") || len(got["allowed_origins"].([]any)) != 0 || got["created_by"] != nil {
		t.Fatalf("service apps = %v", items)
	}

	create := map[string]any{"name": "Docs app", "service_name": "docs", "allowed_origins": []string{"https://docs.example"}}
	e.refuse(append(e.authRefusals("POST", "/admin/service-apps", create),
		acRefusal{name: "a taken service name", method: "POST", path: "/admin/service-apps",
			body: map[string]any{"name": "Notes again", "service_name": "notes"}, status: 409, detail: "exists already"},
		acRefusal{name: "a bad service name", method: "POST", path: "/admin/service-apps",
			body: map[string]any{"name": "Docs", "service_name": "Docs App"}, status: 422, detail: "service_name"},
		acRefusal{name: "no service name", method: "POST", path: "/admin/service-apps", body: map[string]any{"name": "Docs"},
			status: 422, detail: "service_name"},
		acRefusal{name: "no name", method: "POST", path: "/admin/service-apps", body: map[string]any{"service_name": "docs"},
			status: 422, detail: "name"},
		acRefusal{name: "a bad origin", method: "POST", path: "/admin/service-apps", body: map[string]any{"name": "Docs",
			"service_name": "docs", "allowed_origins": []string{"https://docs.example/app"}}, status: 422, detail: "origin"},
	))
	r := e.admOK(201, "POST", "/admin/service-apps", create)
	wantKeys(t, "created service app", r.Body, append(admServiceAppKeys, "api_key")...)
	key := r.Body["api_key"].(string)
	id := r.Body["id"].(string)
	if r.Body["name"] != "Docs app" || r.Body["service_name"] != "docs" || r.Body["is_active"] != true ||
		!strings.HasPrefix(key, r.Body["key_prefix"].(string)[:7]) || r.Body["allowed_origins"].([]any)[0] != "https://docs.example" {
		t.Fatalf("created service app = %s", r.Raw)
	}
	if !e.keyWorks(key, "docs") {
		t.Fatal("the new app's key does not authenticate")
	}
	if got := e.adminEntry("service_app.created"); got.TargetID != id {
		t.Fatalf("activity %+v", got)
	}
	path := "/admin/service-apps/" + id
	got := e.admOK(200, "GET", path, nil)
	if _, shown := got.Body["api_key"]; shown || got.Body["name"] != "Docs app" {
		t.Fatalf("GET service app = %s (the key is shown once only)", got.Raw)
	}
	page(t, e.admOK(200, "GET", "/admin/service-apps", nil), 2, 1, 50)

	e.refuse(append(e.authRefusals("PATCH", path, map[string]any{"name": "Docs"}),
		acRefusal{name: "a bad origin", method: "PATCH", path: path, body: map[string]any{"allowed_origins": []string{"docs.example"}},
			status: 422, detail: "origin"},
		acRefusal{name: "unknown app", method: "PATCH", path: "/admin/service-apps/" + uuid.NewString(), body: map[string]any{"name": "x"},
			status: 404, detail: "Service app not found"},
		acRefusal{name: "the system service", method: "GET", path: "/admin/service-apps/" + store.SystemServiceID, status: 404,
			detail: "Service app not found"},
		acRefusal{name: "bad id", method: "GET", path: "/admin/service-apps/docs", status: 422, detail: "UUID"},
	))
	r = e.admOK(200, "PATCH", path, map[string]any{"allowed_origins": []string{"https://a.example", "http://localhost:5173"}})
	if o := r.Body["allowed_origins"].([]any); len(o) != 2 || r.Body["name"] != "Docs app" {
		t.Fatalf("PATCH service app = %s", r.Raw)
	}
	e.adminEntry("service_app.updated")

	// Rotation: the new key works, the old one stops at once.
	rotate := path + "/rotate-key"
	e.refuse(append(e.authRefusals("POST", rotate, nil),
		acRefusal{name: "negative grace", method: "POST", path: rotate + "?grace_seconds=-1", status: 422, detail: "grace_seconds"},
		acRefusal{name: "grace too long", method: "POST", path: rotate + "?grace_seconds=99999999", status: 422, detail: "grace_seconds"},
		acRefusal{name: "unknown app", method: "POST", path: "/admin/service-apps/" + uuid.NewString() + "/rotate-key", status: 404,
			detail: "Service app not found"},
	))
	r = e.admOK(200, "POST", rotate, nil)
	key2 := r.Body["api_key"].(string)
	if key2 == key || r.Body["is_active"] != true {
		t.Fatalf("rotate = %s", r.Raw)
	}
	if e.keyWorks(key, "docs") || !e.keyWorks(key2, "docs") {
		t.Fatal("after a rotation without grace, the old key must fail and the new one work")
	}
	e.adminEntry("service_app.key_rotated")

	// Deactivation revokes every key; a rotation brings the app back.
	deactivate := path + "/deactivate"
	e.refuse(e.authRefusals("POST", deactivate, nil))
	r = e.admOK(200, "POST", deactivate, nil)
	wantKeys(t, "deactivated service app", r.Body, admServiceAppKeys...)
	if r.Body["is_active"] != false || e.keyWorks(key2, "docs") {
		t.Fatalf("deactivate = %s, or the key still works", r.Raw)
	}
	if got := e.admOK(200, "GET", path, nil); got.Body["is_active"] != false {
		t.Fatalf("GET after deactivation = %s", got.Raw)
	}
	e.adminEntry("service_app.deactivated")
	r = e.admOK(200, "POST", rotate, nil)
	key3 := r.Body["api_key"].(string)
	if r.Body["is_active"] != true || !e.keyWorks(key3, "docs") {
		t.Fatalf("rotate after deactivation = %s, or its key does not work", r.Raw)
	}
	// The activation and the key are two writes and one entry, recorded
	// with the first, naming the new key.
	rotations, _, err := e.st.ListActivity(ctx, store.ActivityFilter{Action: "service_app.key_rotated"}, 1, 10)
	if err != nil || len(rotations) != 2 || detailOf(t, rotations[0])["key_prefix"] != key3[:7]+"****" {
		t.Fatalf("key_rotated entries after the reactivating rotation: %+v, %v", rotations, err)
	}

	// Deletion takes the service whole: its resources, its actions (and
	// them from roles), its key; notes keeps everything.
	res, _, err := e.st.RegisterResource(ctx, store.ResourceRegistration{Key: store.ResourceKey{Service: "docs", Type: "page",
		ID: uuid.NewString()}, WorkspaceID: e.acme.ID, OwnerID: e.anne.ID})
	if err != nil {
		t.Fatal(err)
	}
	docsActions, err := e.st.ServiceActions(ctx, "docs")
	if err != nil || len(docsActions) != 1 {
		t.Fatalf("docs actions %+v, %v", docsActions, err)
	}
	if err := e.st.AddRoleActions(ctx, e.exporter.ID, []string{docsActions[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.refuse(append(e.authRefusals("DELETE", path, nil),
		acRefusal{name: "unknown app", method: "DELETE", path: "/admin/service-apps/" + uuid.NewString(), status: 404, detail: "Service app not found"},
		acRefusal{name: "the system service", method: "DELETE", path: "/admin/service-apps/" + store.SystemServiceID, status: 404,
			detail: "Service app not found"},
	))
	e.admOK(204, "DELETE", path, nil)
	if e.keyWorks(key3, "docs") {
		t.Fatal("the deleted app's key still works")
	}
	if _, err := e.st.ResourceByID(ctx, res.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the deleted app's resource: %v", err)
	}
	if as, _ := e.st.RoleActions(ctx, e.exporter.ID); len(as) != 1 || as[0].ID != e.export.ID {
		t.Fatalf("exporter's actions after the deletion %+v", as)
	}
	if d := detailOf(t, e.adminEntry("service_app.deleted")); d["resources_deleted"] != float64(1) || d["actions_deleted"] != float64(1) {
		t.Fatalf("activity detail %v", d)
	}
	e.refuse([]acRefusal{{name: "get after delete", method: "GET", path: path, status: 404, detail: "Service app not found"}})
	if items := page(t, e.admOK(200, "GET", "/admin/service-apps", nil), 1, 1, 50); items[0]["id"] != e.notes.ID {
		t.Fatalf("service apps after the deletion = %v", items)
	}
	if _, err := e.st.ResourceByID(ctx, e.doc.ID); err != nil || !e.keyWorks(e.notesKey, "notes") {
		t.Fatalf("notes lost its resource or key: %v", err)
	}
	// The name is free again.
	e.admOK(201, "POST", "/admin/service-apps", create)
}
