package api_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

var (
	admRoleKeys   = []string{"id", "workspace_id", "name", "description", "created_by", "created_at", "action_count", "member_count", "group_count"}
	admActionKeys = []string{"id", "service_name", "action", "description", "created_at"}
)

func TestCompatAdminRoles(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCompatAdminRoles(t, startAC(t, open(t)))
		})
	}
}

// bobMay asks POST /roles/check-action whether bob may do the action in
// acme.
func (e *acEnv) bobMay(action string) bool {
	e.t.Helper()
	r := e.user(e.bob, store.RoleViewer, "POST", "/roles/check-action", map[string]any{"service_name": "notes",
		"action": action, "workspace_id": e.acme.ID})
	if r.Status != 200 {
		e.t.Fatalf("roles/check-action = %d %s", r.Status, r.Raw)
	}
	return r.Body["allowed"].(bool)
}

func testCompatAdminRoles(t *testing.T, e *acEnv) {
	ctx := context.Background()
	rolesPath := "/admin/workspaces/" + e.acme.ID + "/roles"
	var printer map[string]any

	t.Run("service actions", func(t *testing.T) {
		e.t = t
		items := page(t, e.admOK(200, "GET", "/admin/service-actions", nil), 2, 1, 50)
		wantKeys(t, "action", items[0], admActionKeys...)
		if items[0]["id"] != e.export.ID || items[1]["id"] != e.print.ID || items[0]["description"] != nil {
			t.Fatalf("service actions = %v", items)
		}
		page(t, e.admOK(200, "GET", "/admin/service-actions?service_name=notes&page_size=1&page=2", nil), 2, 2, 1)
		page(t, e.admOK(200, "GET", "/admin/service-actions?service_name=docs", nil), 0, 1, 50)
		e.refuse(append(e.authRefusals("GET", "/admin/service-actions", nil),
			acRefusal{name: "bad service name", method: "GET", path: "/admin/service-actions?service_name=No", status: 422, detail: "service_name"},
		))
	})

	t.Run("roles", func(t *testing.T) {
		e.t = t
		items := page(t, e.admOK(200, "GET", rolesPath, nil), 1, 1, 50)
		wantKeys(t, "role", items[0], admRoleKeys...)
		if got := items[0]; got["id"] != e.exporter.ID || got["created_by"] != e.anne.ID || got["description"] != "exports notes" ||
			got["action_count"] != float64(1) || got["member_count"] != float64(1) || got["group_count"] != float64(0) {
			t.Fatalf("roles = %v", items)
		}
		page(t, e.admOK(200, "GET", "/admin/workspaces/"+e.other.ID+"/roles", nil), 0, 1, 50)

		e.refuse(append(e.authRefusals("POST", rolesPath, map[string]any{"name": "Printer"}),
			acRefusal{name: "no name", method: "POST", path: rolesPath, body: map[string]any{}, status: 422, detail: "name"},
			acRefusal{name: "an empty name", method: "POST", path: rolesPath, body: map[string]any{"name": ""}, status: 422, detail: "name"},
			acRefusal{name: "a taken name", method: "POST", path: rolesPath, body: map[string]any{"name": "Exporter"}, status: 409, detail: "already exists"},
			acRefusal{name: "unknown workspace", method: "POST", path: "/admin/workspaces/" + uuid.NewString() + "/roles",
				body: map[string]any{"name": "Printer"}, status: 404, detail: "Workspace not found"},
			acRefusal{name: "bad workspace id", method: "POST", path: "/admin/workspaces/x/roles", body: map[string]any{"name": "Printer"},
				status: 422, detail: "UUID"},
			acRefusal{name: "malformed body", method: "POST", path: rolesPath, body: "{", status: 422, detail: "body"},
		))
		r := e.admOK(201, "POST", rolesPath, map[string]any{"name": "Printer", "description": nil})
		printer = r.Body
		wantKeys(t, "role", printer, admRoleKeys...)
		if printer["name"] != "Printer" || printer["workspace_id"] != e.acme.ID || printer["created_by"] != nil ||
			printer["description"] != nil || printer["action_count"] != float64(0) {
			t.Fatalf("created role = %s", r.Raw)
		}
		if got := e.adminEntry("role.created"); got.TargetID != printer["id"] || got.WorkspaceID != e.acme.ID {
			t.Fatalf("activity %+v", got)
		}
		path := "/admin/roles/" + printer["id"].(string)
		if r := e.admOK(200, "GET", path, nil); r.Body["name"] != "Printer" {
			t.Fatalf("GET role = %s", r.Raw)
		}
		e.refuse([]acRefusal{
			{name: "rename to a taken name", method: "PATCH", path: path, body: map[string]any{"name": "Exporter"}, status: 409, detail: "already exists"},
			{name: "unknown role", method: "PATCH", path: "/admin/roles/" + uuid.NewString(), body: map[string]any{"name": "x"}, status: 404, detail: "Role not found"},
			{name: "get an unknown role", method: "GET", path: "/admin/roles/" + uuid.NewString(), status: 404, detail: "Role not found"},
			{name: "bad role id", method: "GET", path: "/admin/roles/x", status: 422, detail: "UUID"},
		})
		r = e.admOK(200, "PATCH", path, map[string]any{"name": "Printers", "description": "print notes"})
		if r.Body["name"] != "Printers" || r.Body["description"] != "print notes" || r.Body["id"] != printer["id"] {
			t.Fatalf("PATCH role = %s", r.Raw)
		}
		e.adminEntry("role.updated")
	})

	t.Run("actions and holders", func(t *testing.T) {
		e.t = t
		path := "/admin/roles/" + printer["id"].(string)
		add := map[string]any{"service_action_ids": []string{e.print.ID}}
		e.refuse(append(e.authRefusals("POST", path+"/actions", add),
			acRefusal{name: "no ids", method: "POST", path: path + "/actions", body: map[string]any{}, status: 422, detail: "service_action_ids"},
			acRefusal{name: "bad id", method: "POST", path: path + "/actions", body: map[string]any{"service_action_ids": []string{"x"}},
				status: 422, detail: "UUID"},
			acRefusal{name: "unknown action", method: "POST", path: path + "/actions", body: map[string]any{"service_action_ids": []string{
				e.print.ID, uuid.NewString()}}, status: 404, detail: "Service action not found"},
			acRefusal{name: "unknown role", method: "POST", path: "/admin/roles/" + uuid.NewString() + "/actions", body: add,
				status: 404, detail: "Role not found"},
		))
		if r := e.admOK(201, "POST", path+"/actions", add); r.Body["status"] != "ok" {
			t.Fatalf("add actions = %s", r.Raw)
		}
		items := page(t, e.admOK(200, "GET", path+"/actions", nil), 1, 1, 50)
		wantKeys(t, "action", items[0], admActionKeys...)
		if items[0]["id"] != e.print.ID {
			t.Fatalf("role actions = %v", items)
		}

		// Bob may print once the role is his, and not after.
		if e.bobMay("notes:print") {
			t.Fatal("bob may print before holding the role")
		}
		member := path + "/members/" + e.bob.ID
		e.refuse(append(e.authRefusals("POST", member, nil),
			acRefusal{name: "a user outside the workspace", method: "POST", path: path + "/members/" + e.carl.ID, status: 400, detail: "not in the role's workspace"},
			acRefusal{name: "bad user id", method: "POST", path: path + "/members/x", status: 422, detail: "UUID"},
			acRefusal{name: "unknown role", method: "POST", path: "/admin/roles/" + uuid.NewString() + "/members/" + e.bob.ID,
				status: 404, detail: "Role not found"},
		))
		if r := e.admOK(201, "POST", member, nil); r.Body["status"] != "ok" {
			t.Fatalf("assign = %s", r.Raw)
		}
		if !e.bobMay("notes:print") {
			t.Fatal("bob may not print after the admin gave him the role")
		}
		e.refuse([]acRefusal{{name: "assign twice", method: "POST", path: member, status: 409, detail: "already assigned"}})
		items = page(t, e.admOK(200, "GET", path+"/members", nil), 1, 1, 50)
		wantKeys(t, "member", items[0], "user_id", "email", "name", "assigned_at", "assigned_by")
		if items[0]["user_id"] != e.bob.ID || items[0]["email"] != "bob@example.com" || items[0]["assigned_by"] != nil {
			t.Fatalf("members = %v", items)
		}
		if got := e.adminEntry("role.assigned"); got.TargetID != printer["id"] {
			t.Fatalf("activity %+v", got)
		}

		group := path + "/groups/" + e.eng.ID
		e.admOK(201, "POST", group, nil)
		items = page(t, e.admOK(200, "GET", path+"/groups", nil), 1, 1, 50)
		wantKeys(t, "group", items[0], "group_id", "name", "assigned_at", "assigned_by")
		if items[0]["group_id"] != e.eng.ID || items[0]["name"] != "eng" {
			t.Fatalf("groups = %v", items)
		}
		if r := e.admOK(200, "GET", path, nil); r.Body["member_count"] != float64(1) || r.Body["group_count"] != float64(1) ||
			r.Body["action_count"] != float64(1) {
			t.Fatalf("role counts = %s", r.Raw)
		}
		e.admOK(204, "DELETE", member, nil)
		if !e.bobMay("notes:print") {
			t.Fatal("bob lost the role his group holds")
		}
		e.admOK(204, "DELETE", group, nil)
		if e.bobMay("notes:print") {
			t.Fatal("bob may still print after both assignments were removed")
		}
		e.adminEntry("role.unassigned")
		e.refuse(append(e.authRefusals("DELETE", member, nil),
			acRefusal{name: "unassign twice", method: "DELETE", path: member, status: 404, detail: "not assigned"},
			acRefusal{name: "group unassigned twice", method: "DELETE", path: group, status: 404, detail: "not assigned"},
		))

		action := path + "/actions/" + e.print.ID
		e.admOK(204, "DELETE", action, nil)
		e.adminEntry("role.action_removed")
		e.refuse(append(e.authRefusals("DELETE", action, nil),
			acRefusal{name: "remove twice", method: "DELETE", path: action, status: 404, detail: "does not grant"},
			acRefusal{name: "bad action id", method: "DELETE", path: path + "/actions/x", status: 422, detail: "UUID"},
		))
	})

	t.Run("delete", func(t *testing.T) {
		e.t = t
		// A deleted service action leaves every role that granted it.
		e.refuse(append(e.authRefusals("DELETE", "/admin/service-actions/"+e.export.ID, nil),
			acRefusal{name: "unknown action", method: "DELETE", path: "/admin/service-actions/" + uuid.NewString(), status: 404, detail: "Service action not found"},
		))
		if !e.bobMay("notes:export") {
			t.Fatal("bob may not export before the deletion")
		}
		e.admOK(204, "DELETE", "/admin/service-actions/"+e.export.ID, nil)
		if e.bobMay("notes:export") {
			t.Fatal("bob may still export after the action was deleted")
		}
		if r := e.admOK(200, "GET", "/admin/roles/"+e.exporter.ID, nil); r.Body["action_count"] != float64(0) {
			t.Fatalf("exporter after the deletion = %s", r.Raw)
		}
		if d := detailOf(t, e.adminEntry("service_action.deleted")); d["action"] != "notes:export" {
			t.Fatalf("activity detail %v", d)
		}

		path := "/admin/roles/" + printer["id"].(string)
		e.refuse(e.authRefusals("DELETE", path, nil))
		e.admOK(204, "DELETE", path, nil)
		e.refuse([]acRefusal{{name: "delete twice", method: "DELETE", path: path, status: 404, detail: "Role not found"}})
		if roles, _ := e.st.Roles(ctx, e.acme.ID); len(roles) != 1 || roles[0].ID != e.exporter.ID {
			t.Fatalf("roles left %+v", roles)
		}
		e.adminEntry("role.deleted")
	})
}
