package api_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the native API. Under /v1 a service key reaches its
// own service only: another service's model, tuples and changes are not
// there for it (a read finds nothing, a delete is a 409), and another
// service's tokens are inactive for it. /v1/admin takes the admin
// credential only. The native workspace, resource and RBAC routes' cases
// are in isolation_native_dir_test.go.

// v1 is a request with the service's key (X-Service-Key) and a body.
func v1(path string, svc func(w *isoWorld) isoService, body func(w *isoWorld) any) func(w *isoWorld) isoReq {
	return func(w *isoWorld) isoReq {
		r := isoReq{path: path}
		if svc != nil {
			r.key = svc(w).key
		}
		if body != nil {
			r.body = body(w)
		}
		return r
	}
}

func isoNativeRoutes() []isoRoute {
	one := func(w *isoWorld) isoService { return w.one }
	two := func(w *isoWorld) isoService { return w.two }
	body := func(v any) func(*isoWorld) any { return func(*isoWorld) any { return v } }
	secretCheck := body(map[string]any{"object": "doc:two-secret", "relation": "viewer", "user": "user:bob"})
	bobsDocs := body(map[string]any{"user": "user:bob", "relation": "viewer", "type": "doc"})
	whoViews := body(map[string]any{"object": "doc:two-secret", "relation": "viewer", "user_filters": []any{map[string]any{"type": "user"}}})
	expand := body(map[string]any{"object": "doc:two-secret", "relation": "viewer"})
	batch := body(map[string]any{"checks": []any{map[string]any{"correlation_id": "c1", "object": "doc:two-secret", "relation": "viewer", "user": "user:bob"}}})
	twosToken := func(w *isoWorld) any { return map[string]any{"token": w.authz(w.b.owner, w.b, w.two)} }
	exchange := func(u func(w *isoWorld) isoUser, ws func(w *isoWorld) *isoTenant) func(w *isoWorld) any {
		return func(w *isoWorld) any {
			return map[string]any{"provider": isoProvider, "idp_token": w.idToken(u(w)), "workspace_id": ws(w).ws.ID}
		}
	}
	wsB := func(w *isoWorld) *isoTenant { return w.b }

	// unauthenticated are a route's refusals of callers without a key of
	// their own: none, the admin credential, a user's token.
	unauthenticated := func(path string, b func(w *isoWorld) any) []isoCase {
		return []isoCase{
			{name: "no key", req: v1(path, nil, b), status: 401, foreign: true},
			{name: "the admin credential", req: func(w *isoWorld) isoReq { r := v1(path, nil, b)(w); r.bearer = adminKey; return r },
				status: 401, foreign: true},
			{name: "B's owner's access token", req: func(w *isoWorld) isoReq { r := v1(path, nil, b)(w); r.bearer = w.access(w.b.owner, w.b); return r },
				status: 401, foreign: true},
		}
	}
	route := func(method, pattern string, b func(w *isoWorld) any, cases ...isoCase) isoRoute {
		return isoRoute{method: method, pattern: pattern, cases: append(unauthenticated(pattern, b), cases...)}
	}
	routes := []isoRoute{
		route("PUT", "/v1/model", body(map[string]any{"dsl": docsModel}),
			isoCase{name: "control: service one replaces its own model", req: v1("/v1/model", one, func(*isoWorld) any {
				return map[string]any{"dsl": strings.Replace(isoModel, "%s", "onlyone", 1)}
			}), status: 201, changes: ctl("svc:one")}),
		route("GET", "/v1/model", nil,
			isoCase{name: "service one reads its own", req: v1("/v1/model", one, nil), status: 200, foreign: true, check: wantRaw("onlyone")},
			isoCase{name: "control: service two reads its own", req: v1("/v1/model", two, nil), status: 200, check: wantRaw("onlytwo")}),
		route("POST", "/v1/tuples", nil,
			isoCase{name: "service one deletes service two's tuple", req: v1("/v1/tuples", one, body(map[string]any{
				"deletes": []any{tk("doc:two-secret", "viewer", "user:bob")}})), status: 409, foreign: true},
			isoCase{name: "service one writes on service two's type", req: v1("/v1/tuples", one, body(map[string]any{
				"writes": []any{tk("onlytwo:1", "viewer", "user:bob")}})), status: 400, foreign: true},
			isoCase{name: "control: service one writes its own", req: v1("/v1/tuples", one, func(*isoWorld) any {
				return map[string]any{"writes": []any{tk("doc:"+uuid.NewString()[:8], "viewer", "user:carl")}}
			}), status: 200, changes: ctl("svc:one")}),
		route("GET", "/v1/tuples", nil,
			isoCase{name: "service one reads service two's object", req: v1("/v1/tuples?object=doc:two-secret", one, nil), status: 200, foreign: true,
				check: wantList("tuples", 0)},
			isoCase{name: "control: service two", req: v1("/v1/tuples?object=doc:two-secret", two, nil), status: 200, check: wantList("tuples", 1)}),
		route("GET", "/v1/changes", nil,
			isoCase{name: "service one's changes", req: v1("/v1/changes", one, nil), status: 200, foreign: true, check: wantRaw("one-secret")},
			isoCase{name: "control: service two's changes", req: v1("/v1/changes", two, nil), status: 200, check: wantRaw("two-secret")}),
		route("POST", "/v1/check", secretCheck,
			isoCase{name: "service one checks service two's tuple", req: v1("/v1/check", one, secretCheck), status: 200, foreign: true,
				check: wantBody("allowed", false)},
			isoCase{name: "control: service two", req: v1("/v1/check", two, secretCheck), status: 200, check: wantBody("allowed", true)}),
		route("POST", "/v1/check/batch", batch,
			isoCase{name: "service one checks service two's tuple", req: v1("/v1/check/batch", one, batch), status: 200, foreign: true,
				check: wantRaw(`"c1":{"allowed":false`)},
			isoCase{name: "control: service two", req: v1("/v1/check/batch", two, batch), status: 200, check: wantRaw(`"c1":{"allowed":true`)}),
		route("POST", "/v1/list", bobsDocs,
			isoCase{name: "service one lists bob's docs", req: v1("/v1/list", one, bobsDocs), status: 200, foreign: true, check: wantRaw(`["doc:one-secret"]`)},
			isoCase{name: "control: service two", req: v1("/v1/list", two, bobsDocs), status: 200, check: wantRaw(`["doc:two-secret"]`)}),
		route("POST", "/v1/list-users", whoViews,
			isoCase{name: "service one lists who views service two's doc", req: v1("/v1/list-users", one, whoViews), status: 200, foreign: true,
				check: wantList("users", 0)},
			isoCase{name: "control: service two", req: v1("/v1/list-users", two, whoViews), status: 200, check: wantRaw(`["user:bob"]`)}),
		route("POST", "/v1/expand", expand,
			isoCase{name: "service one expands service two's doc", req: v1("/v1/expand", one, expand), status: 200, foreign: true,
				check: wantNoRaw("user:bob")},
			isoCase{name: "control: service two", req: v1("/v1/expand", two, expand), status: 200, check: wantRaw("user:bob")}),
		route("POST", "/v1/authz/token", nil,
			isoCase{name: "A's owner asks for B", req: v1("/v1/authz/token", one, exchange(func(w *isoWorld) isoUser { return w.a.owner }, wsB)),
				status: 403, foreign: true},
			isoCase{name: "an outsider asks for B", req: v1("/v1/authz/token", one, exchange(func(w *isoWorld) isoUser { return w.outsider }, wsB)),
				status: 403, foreign: true},
			isoCase{name: "control: B's viewer asks for B", req: v1("/v1/authz/token", one, exchange(func(w *isoWorld) isoUser { return w.b.viewer }, wsB)),
				status: 200, check: func(t *testing.T, w *isoWorld, r testenv.Response) {
					if ws, _ := r.Body["workspace"].(map[string]any); ws["id"] != w.b.ws.ID {
						t.Errorf("authz token for B = %s", r.Raw)
					}
				}}),
		route("POST", "/v1/tokens/introspect", nil,
			isoCase{name: "service one introspects service two's token", req: v1("/v1/tokens/introspect", one, twosToken), status: 200, foreign: true,
				check: wantBody("active", false)},
			isoCase{name: "control: service two", req: v1("/v1/tokens/introspect", two, twosToken), status: 200, check: wantBody("active", true)}),
		revokeRoute(route, twosToken),
	}
	routes = append(routes, isoNativeDirectoryRoutes()...) // isolation_native_dir_test.go
	return append(routes, isoAdminRoutes()...)
}

// revokeRoute: service one cannot revoke service two's token (it stays
// active for service two).
func revokeRoute(route func(string, string, func(w *isoWorld) any, ...isoCase) isoRoute, twosToken func(w *isoWorld) any) isoRoute {
	var stolen any
	return route("POST", "/v1/tokens/revoke", nil,
		isoCase{name: "service one revokes service two's token", req: func(w *isoWorld) isoReq {
			stolen = twosToken(w)
			return isoReq{path: "/v1/tokens/revoke", key: w.one.key, body: stolen}
		}, status: 400, foreign: true, check: func(t *testing.T, w *isoWorld, _ testenv.Response) {
			r := w.send(isoReq{method: "POST", path: "/v1/tokens/introspect", key: w.two.key, body: stolen})
			if r.Body["active"] != true {
				t.Errorf("service two's token after service one revoked it: %s", r.Raw)
			}
		}},
		isoCase{name: "control: service two revokes its own", req: func(w *isoWorld) isoReq {
			return isoReq{path: "/v1/tokens/revoke", key: w.two.key, body: twosToken(w)}
		}, status: 200, check: wantBody("revoked", true)})
}

func wantRaw(s string) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, _ *isoWorld, r testenv.Response) {
		t.Helper()
		if !strings.Contains(r.Raw, s) {
			t.Errorf("answer lacks %s: %.400s", s, r.Raw)
		}
	}
}

func wantNoRaw(s string) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, _ *isoWorld, r testenv.Response) {
		t.Helper()
		if strings.Contains(r.Raw, s) {
			t.Errorf("answer shows %s: %.400s", s, r.Raw)
		}
	}
}

func wantBody(field string, v any) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, _ *isoWorld, r testenv.Response) {
		t.Helper()
		if r.Body[field] != v {
			t.Errorf("%s = %v, want %v: %.400s", field, r.Body[field], v, r.Raw)
		}
	}
}

func wantList(field string, n int) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, _ *isoWorld, r testenv.Response) {
		t.Helper()
		if list, ok := r.Body[field].([]any); !ok || len(list) != n {
			t.Errorf("%s has not %d entries: %.400s", field, n, r.Raw)
		}
	}
}

// isoAdminRoutes: /v1/admin takes the admin credential, never a service
// key or a user's token; an admin naming one service cannot revoke
// another's key.
func isoAdminRoutes() []isoRoute {
	asAdmin := func(path func(w *isoWorld) string, b any) func(w *isoWorld) isoReq {
		return func(w *isoWorld) isoReq { return isoReq{path: path(w), bearer: adminKey, body: b} }
	}
	refusals := func(path func(w *isoWorld) string, b any) []isoCase {
		with := func(cred func(w *isoWorld) string) func(w *isoWorld) isoReq {
			return func(w *isoWorld) isoReq { return isoReq{path: path(w), bearer: cred(w), body: b} }
		}
		return []isoCase{
			{name: "no credential", req: with(func(*isoWorld) string { return "" }), status: 401, foreign: true},
			{name: "service one's key", req: with(func(w *isoWorld) string { return w.one.key }), status: 401, foreign: true},
			{name: "service one's key as X-Service-Key", req: func(w *isoWorld) isoReq { r := with(tokNone)(w); r.key = w.one.key; return r },
				status: 401, foreign: true},
			{name: "B's owner's access token", req: with(func(w *isoWorld) string { return w.access(w.b.owner, w.b) }), status: 401, foreign: true},
		}
	}
	route := func(method, pattern string, path func(w *isoWorld) string, b any, control ...isoCase) isoRoute {
		return isoRoute{method: method, pattern: pattern, cases: append(refusals(path, b), control...)}
	}
	p := func(s string) func(*isoWorld) string { return func(*isoWorld) string { return s } }
	twosKey := func(w *isoWorld) string {
		keys, err := w.st.ListKeys(w.ctx, w.two.id)
		w.check(err)
		return keys[0].ID
	}
	// scratch creates a service and returns its name.
	scratch := func(w *isoWorld) string {
		name := "scratch-" + uuid.NewString()[:8]
		testenv.Must(w.t, 201, testenv.Do(w.t, "POST", w.url+"/v1/admin/services", adminKey, map[string]any{"name": name}))
		return name
	}
	return []isoRoute{
		route("POST", "/v1/admin/services", p("/v1/admin/services"), map[string]any{"name": "intruder"},
			isoCase{name: "the admin names the system service", req: asAdmin(p("/v1/admin/services"), map[string]any{"name": store.SystemServiceName}),
				status: 400},
			isoCase{name: "control: the admin", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/v1/admin/services", bearer: adminKey, body: map[string]any{"name": "new-" + uuid.NewString()[:8]}}
			}, status: 201, changes: ctl()}),
		route("GET", "/v1/admin/services", p("/v1/admin/services"), nil,
			isoCase{name: "control: the admin", req: asAdmin(p("/v1/admin/services"), nil), status: 200}),
		route("GET", "/v1/admin/services/:name/keys", p("/v1/admin/services/svc-two/keys"), nil,
			isoCase{name: "the admin names the system service", req: asAdmin(p("/v1/admin/services/"+store.SystemServiceName+"/keys"), nil), status: 404},
			isoCase{name: "control: the admin", req: asAdmin(p("/v1/admin/services/svc-two/keys"), nil), status: 200}),
		route("POST", "/v1/admin/services/:name/keys", p("/v1/admin/services/svc-two/keys"), map[string]any{"grace": "0s"},
			// A key of the system service would write every tenant's
			// memberships and shares through /v1/tuples.
			isoCase{name: "the admin names the system service", req: asAdmin(p("/v1/admin/services/"+store.SystemServiceName+"/keys"),
				map[string]any{"grace": "0s"}), status: 404},
			isoCase{name: "control: the admin", req: func(w *isoWorld) isoReq {
				return asAdmin(p("/v1/admin/services/"+scratch(w)+"/keys"), map[string]any{"grace": "0s"})(w)
			}, status: 201, changes: ctl()}),
		route("DELETE", "/v1/admin/services/:name/keys/:id", func(w *isoWorld) string { return "/v1/admin/services/svc-two/keys/" + twosKey(w) }, nil,
			isoCase{name: "the admin names service one with service two's key", req: asAdmin(func(w *isoWorld) string {
				return "/v1/admin/services/svc-one/keys/" + twosKey(w)
			}, nil), status: 404},
			isoCase{name: "control: the admin", req: func(w *isoWorld) isoReq {
				name := scratch(w)
				svc, err := w.st.ServiceByName(w.ctx, name)
				w.check(err)
				keys, err := w.st.ListKeys(w.ctx, svc.ID)
				w.check(err)
				return asAdmin(p("/v1/admin/services/"+name+"/keys/"+keys[0].ID), nil)(w)
			}, status: 204, changes: ctl()}),
		directoryAccessRoute(route, asAdmin, scratch),
		route("GET", "/v1/admin/users/:id", func(w *isoWorld) string { return "/v1/admin/users/" + w.b.owner.id }, nil,
			isoCase{name: "control: the admin", req: asAdmin(func(w *isoWorld) string { return "/v1/admin/users/" + w.b.owner.id }, nil), status: 200}),
		route("PATCH", "/v1/admin/users/:id", func(w *isoWorld) string { return "/v1/admin/users/" + w.b.owner.id }, map[string]any{"is_active": false},
			isoCase{name: "control: the admin", req: asAdmin(func(w *isoWorld) string { return "/v1/admin/users/" + w.b.viewer.id },
				map[string]any{"is_active": true}), status: 200, changes: ctl("users:B")}),
		route("GET", "/v1/admin/activity", p("/v1/admin/activity"), nil,
			isoCase{name: "control: the admin", req: asAdmin(p("/v1/admin/activity"), nil), status: 200}),
	}
}

// directoryAccessRoute: only the admin credential grants directory access
// (which lets a service read every tenant's workspaces and groups): not
// another service's key, not the service's own key (a service cannot grant
// itself), not a workspace owner's token. The system service is not a
// service the admin can name.
func directoryAccessRoute(route func(string, string, func(*isoWorld) string, any, ...isoCase) isoRoute,
	asAdmin func(func(*isoWorld) string, any) func(*isoWorld) isoReq, scratch func(*isoWorld) string) isoRoute {
	const pattern = "/v1/admin/services/:name/directory"
	twos := func(*isoWorld) string { return "/v1/admin/services/svc-two/directory" }
	grant := map[string]any{"allowed": true}
	return route("PUT", pattern, twos, grant,
		isoCase{name: "service two grants itself", req: func(w *isoWorld) isoReq {
			return isoReq{path: twos(w), bearer: w.two.key, body: grant}
		}, status: 401},
		isoCase{name: "service two grants itself with X-Service-Key", req: func(w *isoWorld) isoReq {
			return isoReq{path: twos(w), key: w.two.key, body: grant}
		}, status: 401},
		isoCase{name: "B's owner's authz token for service two", req: func(w *isoWorld) isoReq {
			return isoReq{path: twos(w), bearer: w.authz(w.b.owner, w.b, w.two), body: grant}
		}, status: 401},
		isoCase{name: "the admin names the system service", req: asAdmin(func(*isoWorld) string {
			return "/v1/admin/services/" + store.SystemServiceName + "/directory"
		}, grant), status: 404},
		isoCase{name: "the admin sends no decision", req: asAdmin(twos, map[string]any{}), status: 400},
		isoCase{name: "control: the admin", req: func(w *isoWorld) isoReq {
			return asAdmin(func(*isoWorld) string { return "/v1/admin/services/" + scratch(w) + "/directory" }, grant)(w)
		}, status: 200, changes: ctl(), check: func(t *testing.T, _ *isoWorld, r testenv.Response) {
			if s, _ := r.Body["service"].(map[string]any); s["directory_access"] != true {
				t.Errorf("grant = %s", r.Raw)
			}
		}})
}
