package api_test

import (
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the native /v1 routes for workspaces, members,
// invitations, groups, resources and RBAC (api/native_routes.go). They run
// the original's handlers, so the workspace routes take the original's
// cases (isolation_ws_test.go) moved to their native paths, each sent with
// service one's key, plus what only the native routes check: a service key
// is required, and a user's token issued to another service is refused.
// The resource and RBAC routes have their own cases: a resource is
// addressed by its key under the key's service, so another service's
// resource is simply not there (404), and a body's omitted service_name
// is the key's.

// nativeWsPath is the native path of an original /workspaces… path.
func nativeWsPath(p string) string {
	return "/v1" + strings.Replace(p, "/members/invite", "/members", 1)
}

// isoNativeWorkspace moves a route of the original's /workspaces… cases
// to its native path and adds the native refusals.
func isoNativeWorkspace(rt isoRoute) isoRoute {
	out := isoRoute{method: rt.method, pattern: nativeWsPath(rt.pattern)}
	for _, c := range rt.cases {
		req := c.req
		c.req = func(w *isoWorld) isoReq {
			r := req(w)
			r.path = nativeWsPath(r.path)
			if r.key == "" {
				r.key = w.one.key
			}
			return r
		}
		out.cases = append(out.cases, c)
	}
	// cases[0] is the request on B's objects without a token.
	onB := func(w *isoWorld) isoReq { return rt.cases[0].req(w) }
	return isoRoute{method: out.method, pattern: out.pattern, cases: append(out.cases,
		isoCase{name: "no service key, B's owner's token", req: func(w *isoWorld) isoReq {
			r := onB(w)
			r.path, r.bearer = nativeWsPath(r.path), w.access(w.b.owner, w.b)
			return r
		}, status: 401, detail: "invalid service key", foreign: true},
		isoCase{name: "service one's key, B's owner's authz token of service two", req: func(w *isoWorld) isoReq {
			r := onB(w)
			r.path, r.key, r.bearer = nativeWsPath(r.path), w.one.key, w.authz(w.b.owner, w.b, w.two)
			return r
		}, status: 403, detail: "Token was issued for another service", foreign: true},
	)}
}

func isoNativeDirectoryRoutes() []isoRoute {
	var out []isoRoute
	for _, rt := range append(isoWorkspaceRoutes(), isoNativeOnlyWorkspaceRoutes()...) {
		if strings.HasPrefix(rt.pattern, "/workspaces") {
			out = append(out, isoNativeWorkspace(rt))
		}
	}
	return append(append(out, isoNativeResourceRoutes()...), isoNativeRBACRoutes()...)
}

// isoNativeOnlyWorkspaceRoutes are the cases, at the original's paths, of
// the workspace routes only the native API has.
func isoNativeOnlyWorkspaceRoutes() []isoRoute {
	invite := func(w *isoWorld, tn *isoTenant, role store.Role) string {
		email := "pending-" + uuid.NewString()[:8] + "@example.test"
		w.must(w.st.Invite(w.ctx, tn.ws.ID, email, role, tn.owner.id))
		return email
	}
	specs := []wsSpec{
		{method: "GET", pattern: "/workspaces/:id/invitations", min: store.RoleAdmin, target: fixed("/invitations", nil), ok: 200},
		{method: "DELETE", pattern: "/workspaces/:id/invitations/:email", min: store.RoleAdmin,
			target: func(w *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/invitations/"+url.PathEscape(invite(w, tn, store.RoleViewer))), nil
			}, ok: 204, changes: []string{"ws:B"},
			extra: []isoCase{
				{name: "A's owner, A's path, B's invitation", req: func(w *isoWorld) isoReq {
					email := invite(w, w.b, store.RoleViewer)
					return asA(func(w *isoWorld) string { return wsp(w.a, "/invitations/"+email) }, nil)(w)
				}, status: 404, detail: "Invitation not found", foreign: true},
				{name: "B's admin withdraws an invitation to owner", req: func(w *isoWorld) isoReq {
					email := invite(w, w.b, store.RoleOwner)
					return asB(store.RoleAdmin, func(w *isoWorld) string { return wsp(w.b, "/invitations/"+email) }, nil)(w)
				}, status: 403, detail: "Only workspace owners"},
			}},
		{method: "GET", pattern: "/workspaces/:id/groups/:gid", min: store.RoleViewer,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) { return wsp(tn, "/groups/"+tn.group.ID), nil }, ok: 200,
			check: wantField("id", func(w *isoWorld) string { return w.b.group.ID }),
			extra: []isoCase{{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string { return wsp(w.a, "/groups/"+w.b.group.ID) }, nil),
				status: 404, detail: "Group not found", foreign: true}}},
	}
	out := make([]isoRoute, len(specs))
	for i, s := range specs {
		out[i] = s.route()
	}
	return out
}

// nativeNoKey is the request without any key or token.
func nativeNoKey(req func(w *isoWorld) isoReq) isoCase {
	return isoCase{name: "no service key", req: func(w *isoWorld) isoReq {
		r := req(w)
		r.key, r.bearer = "", ""
		return r
	}, status: 401, detail: "missing service key", foreign: true}
}

func isoNativeResourceRoutes() []isoRoute {
	const (
		otherService = "Service key does not match service_name"
		otherToken   = "Token was issued for another service"
		otherWs      = "Workspace mismatch"
		notFound     = "Resource permission not found"
	)
	wsA := func(w *isoWorld) *isoTenant { return w.a }
	wsB := func(w *isoWorld) *isoTenant { return w.b }
	aRes2 := func(w *isoWorld) store.Resource { return w.a.res2 }
	// checks of the resources (service_name left out: the key's), or of
	// those of service svc.
	checks := func(svc string, res func(w *isoWorld) store.Resource, actions ...string) func(w *isoWorld) any {
		return func(w *isoWorld) any {
			var cs []any
			for _, a := range actions {
				c := map[string]any{"resource_type": "doc", "resource_id": res(w).Key.ID, "action": a}
				if svc != "" {
					c["service_name"] = svc
				}
				cs = append(cs, c)
			}
			return map[string]any{"checks": cs}
		}
	}
	check := func(u tok, body func(w *isoWorld) any) func(w *isoWorld) isoReq {
		return sk1(at("/v1/resources/check"), body, u)
	}
	accessible := func(u tok, ws func(w *isoWorld) *isoTenant, svc string) func(w *isoWorld) isoReq {
		return sk1(at("/v1/resources/accessible"), func(w *isoWorld) any {
			b := map[string]any{"resource_type": "doc", "action": "view", "workspace_id": ws(w).ws.ID}
			if svc != "" {
				b["service_name"] = svc
			}
			return b
		}, u)
	}
	register := func(svc string, rid, ws, owner func(w *isoWorld) string) func(w *isoWorld) isoReq {
		return sk1(at("/v1/resources"), func(w *isoWorld) any {
			b := map[string]any{"resource_type": "doc", "resource_id": rid(w), "workspace_id": ws(w), "owner_id": owner(w), "visibility": "private"}
			if svc != "" {
				b["service_name"] = svc
			}
			return b
		}, tokNone)
	}
	// byKey is a request on the resource's native path, with service one's
	// key.
	byKey := func(res func(w *isoWorld) store.Resource, suffix string, body func(w *isoWorld) any, user tok) func(w *isoWorld) isoReq {
		return sk1(func(w *isoWorld) string { return "/v1/resources/doc/" + res(w).Key.ID + suffix }, body, user)
	}
	scratch := func(groups ...func(w *isoWorld) string) func(w *isoWorld) store.Resource {
		return func(w *isoWorld) store.Resource {
			var ids []string
			for _, g := range groups {
				ids = append(ids, g(w))
			}
			return w.scratchRes(ids...)
		}
	}
	share := func(gt string, id func(w *isoWorld) string) func(w *isoWorld) any {
		return func(w *isoWorld) any {
			return map[string]any{"grantee_type": gt, "grantee_id": id(w), "permission": "view"}
		}
	}
	bViewer := func(w *isoWorld) string { return w.b.viewer.id }
	bGroup := func(w *isoWorld) string { return w.b.group.ID }
	aGroup := func(w *isoWorld) string { return w.a.group.ID }
	newID := func(*isoWorld) string { return uuid.NewString() }
	bWs := func(w *isoWorld) string { return w.b.ws.ID }
	bEditor := func(w *isoWorld) string { return w.b.editor.id }
	rid := func(res func(w *isoWorld) store.Resource) func(w *isoWorld) string {
		return func(w *isoWorld) string { return res(w).Key.ID }
	}
	// shareReq is the original's share by registration id moved to its
	// native path: PUT …/shares with the body.
	shareReq := func(res func(w *isoWorld) store.Resource, body func(w *isoWorld) any, user tok) func(w *isoWorld) isoReq {
		return byKey(res, "/shares", body, user)
	}
	unshare := func(res func(w *isoWorld) store.Resource, gt string, id func(w *isoWorld) string) func(w *isoWorld) isoReq {
		return sk1(func(w *isoWorld) string { return "/v1/resources/doc/" + res(w).Key.ID + "/shares/" + gt + "/" + id(w) }, nil, tokNone)
	}

	return []isoRoute{
		{method: "POST", pattern: "/v1/resources/check", cases: []isoCase{
			nativeNoKey(check(tokB(store.RoleOwner), checks("", bRes1, "view"))),
			{name: "service one's key without a user", req: check(tokNone, checks("", bRes1, "view")), status: 401, detail: "Not authenticated", foreign: true},
			{name: "A's owner checks B's resource", req: check(tokAOwner, checks("", bRes1, "view")), status: 200, foreign: true, check: wantAllowed(false)},
			{name: "admin of B and viewer of A, token for A", req: check(tokDual, checks("", bRes1, "view", "edit")), status: 200, foreign: true, check: wantAllowed(false, false)},
			{name: "an outsider with a token naming B", req: check(tokOutside, checks("", bRes1, "view")), status: 200, foreign: true, check: wantAllowed(false)},
			{name: "service one's key naming service two", req: check(tokB(store.RoleOwner), checks("svc-two", bRes2, "view")), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, service two's resource id", req: check(tokB(store.RoleOwner), checks("", bRes2, "view", "edit")), status: 200, foreign: true,
				check: wantAllowed(false, false)},
			{name: "service one's key, authz token of service two", req: check(tokTwo, checks("", bRes1, "view")), status: 403, detail: otherToken, foreign: true},
			{name: "control: B's owner", req: check(tokB(store.RoleOwner), checks("", bRes1, "view", "edit")), status: 200, check: wantAllowed(true, true)},
		}},
		{method: "POST", pattern: "/v1/resources/accessible", cases: []isoCase{
			nativeNoKey(accessible(tokB(store.RoleOwner), wsB, "")),
			{name: "A's owner asks for B", req: accessible(tokAOwner, wsB, ""), status: 403, detail: otherWs, foreign: true},
			{name: "service one's key naming service two", req: accessible(tokB(store.RoleOwner), wsB, "svc-two"), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: accessible(tokTwo, wsB, ""), status: 403, detail: otherToken, foreign: true},
			{name: "admin of B and viewer of A, token for A", req: accessible(tokDual, wsA, ""), status: 200, foreign: true,
				check: wantIDs(false, func(*isoWorld) []string { return nil })},
			{name: "an outsider with a token naming B", req: accessible(tokOutside, wsB, ""), status: 200, foreign: true,
				check: wantIDs(false, func(*isoWorld) []string { return nil })},
			{name: "control: B's editor", req: accessible(tokB(store.RoleEditor), wsB, ""), status: 200,
				check: wantIDs(false, editorViews)},
		}},
		{method: "POST", pattern: "/v1/resources", cases: []isoCase{
			nativeNoKey(register("", newID, bWs, bEditor)),
			{name: "service one's key naming service two", req: register("svc-two", newID, bWs, bEditor), status: 403, detail: otherService, foreign: true},
			{name: "B's resource again, naming workspace A", req: register("", rid(bRes1), func(w *isoWorld) string { return w.a.ws.ID }, bEditor),
				status: 409, foreign: true},
			{name: "B's resource again, owned by A's owner", req: register("", rid(bRes1), bWs, func(w *isoWorld) string { return w.a.owner.id }),
				status: 409, foreign: true},
			{name: "a workspace that does not exist", req: register("", newID, newID, bEditor), status: 404, detail: "Workspace not found", foreign: true},
			{name: "control: in B", req: register("", newID, bWs, bEditor), status: 201, changes: ctl("res:B")},
		}},
		{method: "GET", pattern: "/v1/resources/:type/:rid", cases: []isoCase{
			nativeNoKey(byKey(bRes1, "", nil, tokNone)),
			{name: "service one's key, service two's resource", req: byKey(bRes2, "", nil, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "control: service one's own", req: byKey(bRes1, "", nil, tokNone), status: 200,
				check: wantField("id", func(w *isoWorld) string { return w.b.res1.ID })},
		}},
		{method: "DELETE", pattern: "/v1/resources/:type/:rid", cases: []isoCase{
			nativeNoKey(byKey(bRes1, "", nil, tokNone)),
			{name: "service one's key, service two's resource", req: byKey(bRes2, "", nil, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "service one's key, service two's resource in A", req: byKey(aRes2, "", nil, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "control: service one's own", req: func(w *isoWorld) isoReq {
				r := scratch(bGroup)(w)
				return byKey(func(*isoWorld) store.Resource { return r }, "", nil, tokNone)(w)
			}, status: 204, changes: ctl("res:B")},
		}},
		{method: "GET", pattern: "/v1/resources/:type/:rid/acl", cases: []isoCase{
			nativeNoKey(byKey(bRes1, "/acl", nil, tokNone)),
			{name: "service one's key, service two's resource", req: byKey(bRes2, "/acl", nil, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "control: service one's own", req: byKey(bRes1, "/acl", nil, tokNone), status: 200,
				check: wantField("owner_email", func(w *isoWorld) string { return w.b.editor.email })},
		}},
		{method: "PATCH", pattern: "/v1/resources/:type/:rid/visibility", cases: []isoCase{
			nativeNoKey(byKey(bRes1, "/visibility", func(*isoWorld) any { return map[string]any{"visibility": "workspace"} }, tokNone)),
			{name: "service one's key, service two's resource in B", req: byKey(bRes2, "/visibility",
				func(*isoWorld) any { return map[string]any{"visibility": "private"} }, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "service one's key, service two's resource in A", req: byKey(aRes2, "/visibility",
				func(*isoWorld) any { return map[string]any{"visibility": "private"} }, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "control: service one's own", req: func(w *isoWorld) isoReq {
				r := scratch()(w)
				return byKey(func(*isoWorld) store.Resource { return r }, "/visibility",
					func(*isoWorld) any { return map[string]any{"visibility": "workspace"} }, tokNone)(w)
			}, status: 200, changes: ctl("res:B")},
		}},
		{method: "PUT", pattern: "/v1/resources/:type/:rid/shares", cases: []isoCase{
			nativeNoKey(shareReq(bRes1, share("user", bViewer), tokB(store.RoleOwner))),
			{name: "service one's key without a user", req: shareReq(bRes1, share("user", bViewer), tokNone), status: 401, detail: "Not authenticated", foreign: true},
			{name: "service one's key, service two's resource", req: shareReq(bRes2, share("user", bViewer), tokB(store.RoleOwner)),
				status: 404, detail: notFound, foreign: true},
			{name: "A's owner shares B's resource", req: shareReq(bRes1, share("user", func(w *isoWorld) string { return w.a.viewer.id }), tokAOwner),
				status: 403, detail: "Resource belongs to another workspace", foreign: true},
			{name: "admin of B and viewer of A, token for A", req: shareReq(bRes1, share("user", func(w *isoWorld) string { return w.dual.id }), tokDual),
				status: 403, detail: "Resource belongs to another workspace", foreign: true},
			{name: "an outsider with a token naming B", req: shareReq(bRes1, share("user", func(w *isoWorld) string { return w.outsider.id }), tokOutside),
				status: 403, detail: "Only those who may edit", foreign: true},
			{name: "service one's key, authz token of service two", req: shareReq(bRes1, share("user", bViewer), tokTwo), status: 403, detail: otherToken, foreign: true},
			{name: "B's viewer", req: shareReq(bRes1, share("user", bViewer), tokB(store.RoleViewer)), status: 403, detail: "Only those who may edit"},
			{name: "B's owner shares with A's user", req: shareReq(bRes1, share("user", func(w *isoWorld) string { return w.a.viewer.id }), tokB(store.RoleOwner)),
				status: 400, detail: "Grantee is not in the resource's workspace"},
			{name: "B's owner shares with A's group", req: shareReq(bRes1, share("group", aGroup), tokB(store.RoleOwner)),
				status: 400, detail: "Grantee is not in the resource's workspace"},
			{name: "control: B's editor, their own resource", req: func(w *isoWorld) isoReq {
				r := scratch()(w)
				return shareReq(func(*isoWorld) store.Resource { return r }, share("user", bViewer), tokB(store.RoleEditor))(w)
			}, status: 200, changes: ctl("res:B")},
		}},
		{method: "DELETE", pattern: "/v1/resources/:type/:rid/shares/:grantee_type/:grantee_id", cases: []isoCase{
			nativeNoKey(unshare(bRes1, "group", bGroup)),
			{name: "service one's key, service two's share in B", req: unshare(bRes2, "group", bGroup), status: 404, detail: notFound, foreign: true},
			{name: "service one's key, service two's share in A", req: unshare(aRes2, "group", aGroup), status: 404, detail: notFound, foreign: true},
			{name: "service one's key, A's group on B's resource", req: unshare(bRes1, "group", aGroup), status: 404, detail: "Share not found", foreign: true},
			{name: "control: service one's own", req: func(w *isoWorld) isoReq {
				r := scratch(bGroup)(w)
				return unshare(func(*isoWorld) store.Resource { return r }, "group", bGroup)(w)
			}, status: 204, changes: ctl("res:B")},
		}},
	}
}

func isoNativeRBACRoutes() []isoRoute {
	const (
		otherService = "Service key does not match service_name"
		otherToken   = "Token was issued for another service"
		otherWs      = "Workspace mismatch"
	)
	registerActions := func(svc string) func(w *isoWorld) isoReq {
		return sk1(at("/v1/rbac/actions"), func(w *isoWorld) any {
			b := map[string]any{"actions": []any{map[string]any{"action": "onlyone:extra-" + uuid.NewString()[:8]}}}
			if svc != "" {
				b["service_name"] = svc
			}
			return b
		}, tokNone)
	}
	// checkAction asks for service one's action, or, naming service two,
	// for its action.
	checkAction := func(u tok, ws func(w *isoWorld) *isoTenant, svc string) func(w *isoWorld) isoReq {
		return sk1(at("/v1/rbac/check-action"), func(w *isoWorld) any {
			b := map[string]any{"action": w.one.action.Action, "workspace_id": ws(w).ws.ID}
			if svc != "" {
				b["service_name"], b["action"] = svc, w.two.action.Action
			}
			return b
		}, u)
	}
	userActions := func(u tok, ws func(w *isoWorld) *isoTenant, svc string) func(w *isoWorld) isoReq {
		return sk1(func(w *isoWorld) string {
			q := url.Values{"workspace_id": {ws(w).ws.ID}}
			if svc != "" {
				q.Set("service_name", svc)
			}
			return "/v1/rbac/user-actions?" + q.Encode()
		}, nil, u)
	}
	wsA := func(w *isoWorld) *isoTenant { return w.a }
	wsB := func(w *isoWorld) *isoTenant { return w.b }
	roleOfB := func(w *isoWorld) []string { return []string{w.b.role.Name} }
	none := func(*isoWorld) []string { return nil }
	oneAction := func(w *isoWorld) []string { return []string{w.one.action.Action} }
	return []isoRoute{
		{method: "POST", pattern: "/v1/rbac/actions", cases: []isoCase{
			nativeNoKey(registerActions("")),
			{name: "service one's key naming service two", req: registerActions("svc-two"), status: 403, detail: otherService, foreign: true},
			{name: "control: service one's own", req: registerActions(""), status: 201, changes: ctl("svc:one")},
		}},
		{method: "POST", pattern: "/v1/rbac/check-action", cases: []isoCase{
			nativeNoKey(checkAction(tokB(store.RoleViewer), wsB, "")),
			{name: "service one's key without a user", req: checkAction(tokNone, wsB, ""), status: 401, detail: "Not authenticated", foreign: true},
			{name: "A's owner asks for B", req: checkAction(tokAOwner, wsB, ""), status: 403, detail: otherWs, foreign: true},
			{name: "service one's key naming service two", req: checkAction(tokB(store.RoleViewer), wsB, "svc-two"), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: checkAction(tokTwo, wsB, ""), status: 403, detail: otherToken, foreign: true},
			{name: "admin of B and viewer of A, token for A", req: checkAction(tokDual, wsA, ""), status: 200, foreign: true, check: wantRoles(false, none)},
			{name: "an outsider with a token naming B", req: checkAction(tokOutside, wsB, ""), status: 200, foreign: true, check: wantRoles(false, none)},
			{name: "B's editor, no custom role", req: checkAction(tokB(store.RoleEditor), wsB, ""), status: 200, check: wantRoles(false, none)},
			{name: "control: B's viewer, who holds B's role", req: checkAction(tokB(store.RoleViewer), wsB, ""), status: 200, check: wantRoles(true, roleOfB)},
		}},
		{method: "GET", pattern: "/v1/rbac/user-actions", cases: []isoCase{
			nativeNoKey(userActions(tokB(store.RoleViewer), wsB, "")),
			{name: "service one's key without a user", req: userActions(tokNone, wsB, ""), status: 401, detail: "Not authenticated", foreign: true},
			{name: "A's owner asks for B", req: userActions(tokAOwner, wsB, ""), status: 403, detail: otherWs, foreign: true},
			{name: "service one's key naming service two", req: userActions(tokB(store.RoleViewer), wsB, "svc-two"), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: userActions(tokTwo, wsB, ""), status: 403, detail: otherToken, foreign: true},
			{name: "admin of B and viewer of A, token for A", req: userActions(tokDual, wsA, ""), status: 200, foreign: true, check: wantActions(none)},
			{name: "an outsider with a token naming B", req: userActions(tokOutside, wsB, ""), status: 200, foreign: true, check: wantActions(none)},
			{name: "control: B's viewer, who holds B's role", req: userActions(tokB(store.RoleViewer), wsB, ""), status: 200, check: wantActions(oneAction)},
		}},
	}
}

// editorViews is what B's editor may view of service one's documents in B:
// those they own (res1 and the earlier cases' scratch resources), those
// visible to the workspace and those shared with them or their group.
func editorViews(w *isoWorld) []string {
	rs, _, err := w.st.ListResources(w.ctx, store.ResourceFilter{Service: w.one.name, Type: "doc", WorkspaceID: w.b.ws.ID}, 1, 1000)
	w.check(err)
	var out []string
	for _, r := range rs {
		ok := r.OwnerID == w.b.editor.id || r.Visibility == store.VisibilityWorkspace
		for _, sh := range r.Shares {
			ok = ok || sh.GranteeID == w.b.editor.id || sh.GranteeID == w.b.group.ID
		}
		if ok {
			out = append(out, r.Key.ID)
		}
	}
	return out
}
