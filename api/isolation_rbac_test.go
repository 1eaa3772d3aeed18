package api_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the original's /roles/* routes and POST
// /authz/resolve: actions are registered for the key's service only; a
// role check or action list is for the token's workspace only, and a
// custom role of another workspace never counts; an authz token is issued
// only for a workspace the user is a member of.

func isoRBACRoutes() []isoRoute {
	const (
		otherService = "Service key does not match service_name"
		otherToken   = "Token was issued for another service"
		otherWs      = "Workspace mismatch"
	)
	registerActions := func(svc func(w *isoWorld) isoService) func(w *isoWorld) isoReq {
		return sk1(at("/roles/actions/register"), func(w *isoWorld) any {
			return map[string]any{"service_name": svc(w).name, "actions": []any{map[string]any{"action": "onlyone:extra-" + uuid.NewString()[:8]}}}
		}, tokNone)
	}
	// checkAction asks for service one's action unless the service is
	// service two.
	checkAction := func(u tok, ws func(w *isoWorld) *isoTenant, svc func(w *isoWorld) isoService) func(w *isoWorld) isoReq {
		return sk1(at("/roles/check-action"), func(w *isoWorld) any {
			action := w.one.action.Action
			if svc(w).name == w.two.name {
				action = w.two.action.Action
			}
			return map[string]any{"service_name": svc(w).name, "action": action, "workspace_id": ws(w).ws.ID}
		}, u)
	}
	userActions := func(u tok, ws func(w *isoWorld) *isoTenant, svc func(w *isoWorld) isoService) func(w *isoWorld) isoReq {
		return sk1(func(w *isoWorld) string {
			return "/roles/user-actions?" + url.Values{"workspace_id": {ws(w).ws.ID}, "service_name": {svc(w).name}}.Encode()
		}, nil, u)
	}
	wsA := func(w *isoWorld) *isoTenant { return w.a }
	wsB := func(w *isoWorld) *isoTenant { return w.b }
	svc1 := func(w *isoWorld) isoService { return w.one }
	svc2 := func(w *isoWorld) isoService { return w.two }
	roleOfB := func(w *isoWorld) []string { return []string{w.b.role.Name} }
	none := func(*isoWorld) []string { return nil }
	oneAction := func(w *isoWorld) []string { return []string{w.one.action.Action} }

	resolve := func(u func(w *isoWorld) isoUser, ws func(w *isoWorld) *isoTenant) func(w *isoWorld) isoReq {
		return sk1(at("/authz/resolve"), func(w *isoWorld) any {
			b := map[string]any{"idp_token": w.idToken(u(w)), "provider": isoProvider}
			if ws != nil {
				b["workspace_id"] = ws(w).ws.ID
			}
			return b
		}, tokNone)
	}
	aOwner := func(w *isoWorld) isoUser { return w.a.owner }

	return []isoRoute{
		{method: "POST", pattern: "/roles/actions/register", cases: []isoCase{
			noKey(registerActions(svc1)),
			{name: "service one's key, service two", req: registerActions(svc2), status: 403, detail: otherService, foreign: true},
			{name: "control: service one's own", req: registerActions(svc1), status: 201, changes: ctl("svc:one")},
		}},
		{method: "POST", pattern: "/roles/check-action", cases: []isoCase{
			noKey(checkAction(tokB(store.RoleViewer), wsB, svc1)),
			{name: "service one's key without a user", req: checkAction(tokNone, wsB, svc1), status: 401, detail: "Not authenticated", foreign: true},
			{name: "A's owner asks for B", req: checkAction(tokAOwner, wsB, svc1), status: 403, detail: otherWs, foreign: true},
			{name: "service one's key, service two", req: checkAction(tokB(store.RoleViewer), wsB, svc2), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: checkAction(tokTwo, wsB, svc1), status: 403, detail: otherToken, foreign: true},
			{name: "admin of B and viewer of A, token for A", req: checkAction(tokDual, wsA, svc1), status: 200, foreign: true, check: wantRoles(false, none)},
			{name: "an outsider with a token naming B", req: checkAction(tokOutside, wsB, svc1), status: 200, foreign: true, check: wantRoles(false, none)},
			{name: "B's editor, no custom role", req: checkAction(tokB(store.RoleEditor), wsB, svc1), status: 200, check: wantRoles(false, none)},
			{name: "control: B's viewer, who holds B's role", req: checkAction(tokB(store.RoleViewer), wsB, svc1), status: 200, check: wantRoles(true, roleOfB)},
		}},
		{method: "GET", pattern: "/roles/user-actions", cases: []isoCase{
			noKey(userActions(tokB(store.RoleViewer), wsB, svc1)),
			{name: "service one's key without a user", req: userActions(tokNone, wsB, svc1), status: 401, detail: "Not authenticated", foreign: true},
			{name: "A's owner asks for B", req: userActions(tokAOwner, wsB, svc1), status: 403, detail: otherWs, foreign: true},
			{name: "service one's key, service two", req: userActions(tokB(store.RoleViewer), wsB, svc2), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: userActions(tokTwo, wsB, svc1), status: 403, detail: otherToken, foreign: true},
			{name: "admin of B and viewer of A, token for A", req: userActions(tokDual, wsA, svc1), status: 200, foreign: true, check: wantActions(none)},
			{name: "an outsider with a token naming B", req: userActions(tokOutside, wsB, svc1), status: 200, foreign: true, check: wantActions(none)},
			{name: "B's editor, no custom role", req: userActions(tokB(store.RoleEditor), wsB, svc1), status: 200, check: wantActions(none)},
			{name: "control: B's viewer, who holds B's role", req: userActions(tokB(store.RoleViewer), wsB, svc1), status: 200, check: wantActions(oneAction)},
		}},
		{method: "POST", pattern: "/authz/resolve", cases: []isoCase{
			noKey(resolve(aOwner, wsB)),
			{name: "A's owner asks for B", req: resolve(aOwner, wsB), status: 403, foreign: true},
			{name: "an outsider asks for B", req: resolve(func(w *isoWorld) isoUser { return w.outsider }, wsB), status: 403, foreign: true},
			{name: "A's owner's workspaces", req: resolve(aOwner, nil), status: 200, foreign: true, check: func(t *testing.T, w *isoWorld, r testenv.Response) {
				list, _ := r.Body["workspaces"].([]any)
				for _, x := range list {
					if x.(map[string]any)["id"] == w.b.ws.ID {
						t.Errorf("A's owner's workspaces list B: %s", r.Raw)
					}
				}
				if len(list) == 0 {
					t.Errorf("A's owner's workspaces are empty: %s", r.Raw)
				}
			}},
			{name: "control: B's viewer asks for B", req: resolve(func(w *isoWorld) isoUser { return w.b.viewer }, wsB), status: 200,
				check: func(t *testing.T, w *isoWorld, r testenv.Response) {
					ws, _ := r.Body["workspace"].(map[string]any)
					if ws["id"] != w.b.ws.ID || ws["role"] != "viewer" || r.Body["authz_token"] == "" {
						t.Errorf("resolve for B = %s", r.Raw)
					}
				}},
		}},
	}
}

// wantRoles checks POST /roles/check-action's answer.
func wantRoles(allowed bool, roles func(w *isoWorld) []string) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, w *isoWorld, r testenv.Response) {
		t.Helper()
		got := []string{}
		for _, x := range r.Body["roles"].([]any) {
			got = append(got, x.(string))
		}
		if want := roles(w); r.Body["allowed"] != allowed || !slices.Equal(got, append([]string{}, want...)) {
			t.Errorf("check-action = %s, want allowed %v and roles %v", r.Raw, allowed, want)
		}
	}
}

// wantActions checks GET /roles/user-actions' answer.
func wantActions(actions func(w *isoWorld) []string) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, w *isoWorld, r testenv.Response) {
		t.Helper()
		got := []string{}
		for _, x := range r.Body["actions"].([]any) {
			got = append(got, x.(string))
		}
		if want := actions(w); !slices.Equal(got, append([]string{}, want...)) {
			t.Errorf("user-actions = %s, want %v", r.Raw, want)
		}
	}
}
