package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Shared by the tests of the admin permission, role, client app and
// service app routes: a server with two workspaces, users, a group, a
// service with a registered, shared resource and actions, and a custom
// role; requests as the admin; and a digest of everything those routes
// change, so a refusal can be shown to change nothing.

// acEnv is the server and its fixture.
type acEnv struct {
	*env
	anne, bob, carl store.User // anne owns acme (bob is a viewer there); carl owns other
	acme, other     store.Workspace
	eng             store.Group // in acme; bob is in it
	notes           store.Service
	notesKey        string
	doc             store.Resource      // notes/doc, in acme, owned by anne, shared with bob (view)
	export, print   store.ServiceAction // notes:export, notes:print
	exporter        store.RBACRole      // in acme, grants notes:export, assigned to bob
	tok             *apptest.Tokens
}

func startAC(t *testing.T, st store.Store) *acEnv {
	t.Helper()
	ctx := context.Background()
	id := apptest.Identity(t)
	e := &acEnv{env: start(t, st, func(c *app.Config) { c.Identity = id })}
	e.tok = apptest.NewTokens(t, st, id)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %s: %v", what, err)
		}
	}
	for _, u := range []struct {
		p    *store.User
		name string
	}{{&e.anne, "anne"}, {&e.bob, "bob"}, {&e.carl, "carl"}} {
		var err error
		*u.p, _, err = st.ProvisionUser(ctx, store.IdentitySighting{Provider: "p", Subject: "p|" + u.name,
			Email: u.name + "@example.com", Name: "Name " + u.name})
		must("provision "+u.name, err)
	}
	var err error
	e.acme, err = st.CreateWorkspace(ctx, "acme", "Acme", "", e.anne.ID)
	must("workspace acme", err)
	e.other, err = st.CreateWorkspace(ctx, "other", "Other", "", e.carl.ID)
	must("workspace other", err)
	_, err = st.AddMember(ctx, e.acme.ID, e.bob.ID, store.RoleViewer)
	must("member bob", err)
	e.eng, err = st.CreateGroup(ctx, e.acme.ID, "eng", "", e.anne.ID)
	must("group eng", err)
	_, err = st.AddGroupMember(ctx, e.eng.ID, store.GroupMemberUser, e.bob.ID)
	must("bob in eng", err)
	e.notesKey = e.createService("notes")
	e.notes, err = st.ServiceByName(ctx, "notes")
	must("service notes", err)
	e.doc, _, err = st.RegisterResource(ctx, store.ResourceRegistration{Key: store.ResourceKey{Service: "notes", Type: "doc",
		ID: uuid.NewString()}, WorkspaceID: e.acme.ID, OwnerID: e.anne.ID})
	must("register doc", err)
	_, err = st.ShareResource(ctx, e.doc.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: e.bob.ID,
		Permission: store.ShareView, GrantedBy: e.anne.ID})
	must("share doc", err)
	if e.doc, err = st.ResourceByID(ctx, e.doc.ID); err != nil {
		t.Fatal(err)
	}
	as, err := st.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}, {Action: "notes:print"}})
	must("actions", err)
	e.export, e.print = as[0], as[1]
	e.exporter, err = st.CreateRole(ctx, e.acme.ID, "Exporter", "exports notes", e.anne.ID)
	must("role", err)
	must("role action", st.AddRoleActions(ctx, e.exporter.ID, []string{e.export.ID}))
	must("assign role", st.AssignRole(ctx, e.exporter.ID, store.Assignee{Type: store.AssigneeUser, ID: e.bob.ID}, e.anne.ID))
	return e
}

// user sends a request of the original's SDK on behalf of u, a member of
// acme with the given role: the service key of notes and u's access token.
func (e *acEnv) user(u store.User, role store.Role, method, path string, body any) testenv.Response {
	e.t.Helper()
	return testenv.DoHeaders(e.t, method, e.srv.URL+path, map[string]string{"X-Service-Key": e.notesKey,
		"Authorization": "Bearer " + e.tok.Access(e.t, u.ID, e.acme.ID, role)}, body)
}

// acHeaders are what the admin's client sends.
var acHeaders = map[string]string{"Authorization": "Bearer " + adminKey, "X-Requested-With": "XMLHttpRequest"}

// adm sends an admin request.
func (e *acEnv) adm(method, path string, body any) testenv.Response {
	e.t.Helper()
	return testenv.DoHeaders(e.t, method, e.srv.URL+path, acHeaders, body)
}

// admOK sends an admin request that must answer status.
func (e *acEnv) admOK(status int, method, path string, body any) testenv.Response {
	e.t.Helper()
	r := e.adm(method, path, body)
	if r.Status != status {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Raw, status)
	}
	return r
}

// state renders every row the routes under test may change, the
// changelog head and the size of the activity log.
func (e *acEnv) state() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	line := func(what string, v any, err error) {
		if err != nil {
			fmt.Fprintf(&b, "%s: error %v\n", what, err)
			return
		}
		js, _ := json.Marshal(v)
		fmt.Fprintf(&b, "%s: %s\n", what, js)
	}
	head, err := e.st.HeadRevision(ctx)
	line("head", head, err)
	_, n, err := e.st.ListActivity(ctx, store.ActivityFilter{}, 1, 1)
	line("activity", n, err)
	rs, _, err := e.st.ListResources(ctx, store.ResourceFilter{}, 1, 1000)
	line("resources", rs, err)
	as, err := e.st.AllServiceActions(ctx)
	line("actions", as, err)
	for _, ws := range []store.Workspace{e.acme, e.other} {
		roles, err := e.st.Roles(ctx, ws.ID)
		line("roles of "+ws.Slug, roles, err)
		for _, r := range roles {
			ras, err := e.st.RoleActions(ctx, r.ID)
			line("actions of "+r.Name, ras, err)
			held, err := e.st.RoleAssignments(ctx, r.ID)
			line("holders of "+r.Name, held, err)
		}
	}
	apps, err := e.st.ClientApps(ctx)
	line("client apps", apps, err)
	svcs, err := e.st.ListServices(ctx)
	line("services", svcs, err)
	metas, err := e.st.ServiceApps(ctx)
	line("service apps", metas, err)
	for _, svc := range svcs {
		keys, err := e.st.ListKeys(ctx, svc.ID)
		for i := range keys {
			keys[i].LastUsedAt = nil // written in the background by any use
		}
		line("keys of "+svc.Name, keys, err)
	}
	return b.String()
}

// acRefusal is a request that must be refused and change nothing.
type acRefusal struct {
	name, method, path string
	headers            map[string]string // nil: acHeaders
	body               any
	status             int
	detail             string // a substring of the answer's detail
}

// refuse sends each refusal and checks its status, its detail and that the
// state is unchanged.
func (e *acEnv) refuse(cases []acRefusal) {
	e.t.Helper()
	before := e.state()
	for _, c := range cases {
		headers := c.headers
		if headers == nil {
			headers = acHeaders
		}
		r := testenv.DoHeaders(e.t, c.method, e.srv.URL+c.path, headers, c.body)
		if r.Status != c.status {
			e.t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, r.Status, r.Raw, c.status)
			continue
		}
		if d, _ := r.Body["detail"].(string); d == "" || !strings.Contains(d, c.detail) {
			e.t.Errorf("%s: answer %s, want a detail containing %q", c.name, r.Raw, c.detail)
		}
		if after := e.state(); after != before {
			e.t.Fatalf("%s changed the store:\nbefore %s\nafter  %s", c.name, before, after)
		}
	}
}

// authRefusals are the refusals of compatAdminAuth for a route: no
// credential, a wrong one, a service key, and (for a mutation) no
// X-Requested-With.
func (e *acEnv) authRefusals(method, path string, body any) []acRefusal {
	out := []acRefusal{
		{name: "no credential", method: method, path: path, headers: map[string]string{"X-Requested-With": "x"}, body: body,
			status: 401, detail: "Not authenticated"},
		{name: "a wrong admin key", method: method, path: path, headers: map[string]string{"X-Admin-Key": "nope", "X-Requested-With": "x"},
			body: body, status: 401, detail: "Invalid admin credentials"},
		{name: "a service key", method: method, path: path, headers: map[string]string{"Authorization": "Bearer " + e.notesKey,
			"X-Requested-With": "x"}, body: body, status: 401, detail: "Invalid admin credentials"},
	}
	if method != "GET" {
		out = append(out, acRefusal{name: "no X-Requested-With", method: method, path: path,
			headers: map[string]string{"X-Admin-Key": adminKey}, body: body, status: 403, detail: "X-Requested-With"})
	}
	return out
}

// adminEntry returns the newest activity entry with the action, checking
// that the admin credential made it.
func (e *acEnv) adminEntry(action string) store.ActivityEntry {
	e.t.Helper()
	es, _, err := e.st.ListActivity(context.Background(), store.ActivityFilter{Action: action}, 1, 1)
	if err != nil || len(es) == 0 {
		e.t.Fatalf("no %s activity entry (%v)", action, err)
	}
	if es[0].ActorType != store.ActorAdmin || es[0].ActorID != "" {
		e.t.Fatalf("%s entry by %s %q, want the admin credential", action, es[0].ActorType, es[0].ActorID)
	}
	return es[0]
}

// page returns the items of a paginated answer, checking its shape.
func page(t *testing.T, r testenv.Response, total, pg, size int) []map[string]any {
	t.Helper()
	wantKeys(t, "page", r.Body, "items", "total", "page", "page_size")
	if r.Body["total"] != float64(total) || r.Body["page"] != float64(pg) || r.Body["page_size"] != float64(size) {
		t.Fatalf("page: total %v page %v page_size %v, want %d %d %d: %s", r.Body["total"], r.Body["page"], r.Body["page_size"],
			total, pg, size, r.Raw)
	}
	raw, _ := json.Marshal(r.Body["items"])
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		t.Fatalf("items is not an array: %s", r.Raw)
	}
	return out
}

// obj returns a field that must be a JSON object.
func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object: %v", key, m)
	}
	return v
}

// detailOf decodes an activity entry's detail.
func detailOf(t *testing.T, e store.ActivityEntry) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		t.Fatalf("detail %s: %v", e.Detail, err)
	}
	return d
}
