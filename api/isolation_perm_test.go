package api_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the original's /permissions/* routes: a service key
// acts for its own service only (403 naming another, 404 for another's
// registration id), and a user's token for its own workspace only (checks
// and lists deny or omit another workspace's resources; sharing one is a
// 403).

// tok is who signs a request on behalf of a user.
type tok func(w *isoWorld) string

var (
	tokNone    tok = func(*isoWorld) string { return "" }
	tokAOwner  tok = func(w *isoWorld) string { return w.access(w.a.owner, w.a) }
	tokDual    tok = func(w *isoWorld) string { return w.access(w.dual, w.a) } // B's admin, token for A
	tokOutside tok = func(w *isoWorld) string { return w.access(w.outsider, w.b, store.RoleOwner) }
	// tokTwo is B's owner's authz token issued to service two.
	tokTwo tok = func(w *isoWorld) string { return w.authz(w.b.owner, w.b, w.two) }
)

func tokB(r store.Role) tok { return func(w *isoWorld) string { return w.access(w.b.member(r), w.b) } }

// sk1 is a request with service one's key and the user's token.
func sk1(path func(w *isoWorld) string, body func(w *isoWorld) any, user tok) func(w *isoWorld) isoReq {
	return func(w *isoWorld) isoReq {
		r := isoReq{path: path(w), key: w.one.key, bearer: user(w)}
		if body != nil {
			r.body = body(w)
		}
		return r
	}
}

// noKey is the request without a service key.
func noKey(req func(w *isoWorld) isoReq) isoCase {
	return isoCase{name: "no service key", req: func(w *isoWorld) isoReq {
		r := req(w)
		r.key = ""
		return r
	}, status: 401, detail: "Missing service key", foreign: true}
}

func at(p string) func(*isoWorld) string { return func(*isoWorld) string { return p } }

func checksOf(res func(w *isoWorld) store.Resource, actions ...string) func(w *isoWorld) any {
	return func(w *isoWorld) any {
		r := res(w)
		var cs []any
		for _, a := range actions {
			cs = append(cs, map[string]any{"service_name": r.Key.Service, "resource_type": r.Key.Type, "resource_id": r.Key.ID, "action": a})
		}
		return map[string]any{"checks": cs}
	}
}

func bRes1(w *isoWorld) store.Resource { return w.b.res1 }
func bRes2(w *isoWorld) store.Resource { return w.b.res2 }

// scratchRes registers a private resource of service one in B owned by
// B's editor, shared with the groups given (view).
func (w *isoWorld) scratchRes(groups ...string) store.Resource {
	r := w.resource(w.one.name, w.b, w.b.editor, store.VisibilityPrivate)
	for _, g := range groups {
		w.must(w.st.ShareResource(w.ctx, r.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: g,
			Permission: store.ShareView, GrantedBy: w.b.editor.id}))
	}
	return r
}

func isoPermissionRoutes() []isoRoute {
	check := sk1(at("/permissions/check"), checksOf(bRes1, "view"), tokAOwner)
	checkAs := func(u tok, res func(w *isoWorld) store.Resource, actions ...string) func(w *isoWorld) isoReq {
		return sk1(at("/permissions/check"), checksOf(res, actions...), u)
	}
	accessible := func(u tok, ws func(w *isoWorld) *isoTenant, svc func(w *isoWorld) isoService, limit int) func(w *isoWorld) isoReq {
		return sk1(at("/permissions/accessible"), func(w *isoWorld) any {
			b := map[string]any{"service_name": svc(w).name, "resource_type": "doc", "action": "view", "workspace_id": ws(w).ws.ID}
			if limit > 0 {
				b["limit"] = limit
			}
			return b
		}, u)
	}
	wsA := func(w *isoWorld) *isoTenant { return w.a }
	wsB := func(w *isoWorld) *isoTenant { return w.b }
	svc1 := func(w *isoWorld) isoService { return w.one }
	svc2 := func(w *isoWorld) isoService { return w.two }
	register := func(svc func(w *isoWorld) isoService, rid func(w *isoWorld) string, ws func(w *isoWorld) string, owner func(w *isoWorld) string) func(w *isoWorld) isoReq {
		return sk1(at("/permissions/register"), func(w *isoWorld) any {
			return map[string]any{"service_name": svc(w).name, "resource_type": "doc", "resource_id": rid(w),
				"workspace_id": ws(w), "owner_id": owner(w), "visibility": "private"}
		}, tokNone)
	}
	byID := func(res func(w *isoWorld) store.Resource, suffix string, body func(w *isoWorld) any, user tok) func(w *isoWorld) isoReq {
		return sk1(func(w *isoWorld) string { return "/permissions/" + res(w).ID + suffix }, body, user)
	}
	share := func(gt string, id func(w *isoWorld) string) func(w *isoWorld) any {
		return func(w *isoWorld) any {
			return map[string]any{"grantee_type": gt, "grantee_id": id(w), "permission": "view"}
		}
	}
	byKey := func(svc func(w *isoWorld) isoService, rid func(w *isoWorld) string, suffix string) func(w *isoWorld) isoReq {
		return sk1(func(w *isoWorld) string { return "/permissions/resource/" + svc(w).name + "/doc/" + rid(w) + suffix }, nil, tokNone)
	}
	rid := func(res func(w *isoWorld) store.Resource) func(w *isoWorld) string {
		return func(w *isoWorld) string { return res(w).Key.ID }
	}
	newID := func(*isoWorld) string { return uuid.NewString() }
	const (
		otherService = "Service key does not match service_name"
		otherToken   = "Token was issued for another service"
		otherWs      = "Workspace mismatch"
		notFound     = "Resource permission not found"
	)
	resourceRoutes := []isoRoute{
		{method: "POST", pattern: "/permissions/check", cases: []isoCase{
			noKey(check),
			{name: "service one's key without a user", req: checkAs(tokNone, bRes1, "view"), status: 401, detail: "Not authenticated", foreign: true},
			{name: "A's owner checks B's resource", req: check, status: 200, foreign: true, check: wantAllowed(false)},
			{name: "admin of B and viewer of A, token for A", req: checkAs(tokDual, bRes1, "view", "edit"), status: 200, foreign: true, check: wantAllowed(false, false)},
			{name: "an outsider with a token naming B", req: checkAs(tokOutside, bRes1, "view"), status: 200, foreign: true, check: wantAllowed(false)},
			{name: "service one's key, service two's resource", req: checkAs(tokB(store.RoleOwner), bRes2, "view"), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: checkAs(tokTwo, bRes1, "view"), status: 403, detail: otherToken, foreign: true},
			{name: "B's viewer, a private resource not shared with them", req: checkAs(tokB(store.RoleViewer), bRes1, "view"), status: 200, check: wantAllowed(false)},
			{name: "control: B's owner", req: checkAs(tokB(store.RoleOwner), bRes1, "view", "edit"), status: 200, check: wantAllowed(true, true)},
		}},
		{method: "POST", pattern: "/permissions/accessible", cases: []isoCase{
			noKey(accessible(tokB(store.RoleOwner), wsB, svc1, 0)),
			{name: "A's owner asks for B", req: accessible(tokAOwner, wsB, svc1, 0), status: 403, detail: otherWs, foreign: true},
			{name: "service one's key, service two", req: accessible(tokB(store.RoleOwner), wsB, svc2, 0), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, authz token of service two", req: accessible(tokTwo, wsB, svc1, 0), status: 403, detail: otherToken, foreign: true},
			{name: "A's owner lists A's", req: accessible(tokAOwner, wsA, svc1, 100), status: 200, foreign: true,
				check: wantIDs(true, func(w *isoWorld) []string { return []string{w.a.res1.Key.ID} })},
			{name: "admin of B and viewer of A, token for A", req: accessible(tokDual, wsA, svc1, 0), status: 200, foreign: true,
				check: wantIDs(false, func(*isoWorld) []string { return nil })},
			{name: "an outsider with a token naming B", req: accessible(tokOutside, wsB, svc1, 0), status: 200, foreign: true,
				check: wantIDs(false, func(*isoWorld) []string { return nil })},
			{name: "B's viewer", req: accessible(tokB(store.RoleViewer), wsB, svc1, 0), status: 200,
				check: wantIDs(false, func(*isoWorld) []string { return nil })},
			{name: "control: B's editor", req: accessible(tokB(store.RoleEditor), wsB, svc1, 0), status: 200,
				check: wantIDs(false, func(w *isoWorld) []string { return []string{w.b.res1.Key.ID} })},
		}},
		{method: "POST", pattern: "/permissions/register", cases: []isoCase{
			noKey(register(svc1, newID, func(w *isoWorld) string { return w.b.ws.ID }, func(w *isoWorld) string { return w.b.editor.id })),
			{name: "service one's key, service two", req: register(svc2, newID, func(w *isoWorld) string { return w.b.ws.ID },
				func(w *isoWorld) string { return w.b.editor.id }), status: 403, detail: otherService, foreign: true},
			{name: "B's resource again, naming workspace A", req: register(svc1, rid(bRes1), func(w *isoWorld) string { return w.a.ws.ID },
				func(w *isoWorld) string { return w.b.editor.id }), status: 409, foreign: true},
			{name: "B's resource again, owned by A's owner", req: register(svc1, rid(bRes1), func(w *isoWorld) string { return w.b.ws.ID },
				func(w *isoWorld) string { return w.a.owner.id }), status: 409, foreign: true},
			{name: "a workspace that does not exist", req: register(svc1, newID, newID, func(w *isoWorld) string { return w.b.editor.id }),
				status: 404, detail: "Workspace not found", foreign: true},
			{name: "control: in B", req: register(svc1, newID, func(w *isoWorld) string { return w.b.ws.ID },
				func(w *isoWorld) string { return w.b.editor.id }), status: 201, changes: ctl("res:B")},
		}},
		{method: "PATCH", pattern: "/permissions/:id/visibility", cases: []isoCase{
			noKey(byID(bRes1, "/visibility", func(*isoWorld) any { return map[string]any{"visibility": "workspace"} }, tokNone)),
			{name: "service one's key, service two's resource in B", req: byID(bRes2, "/visibility",
				func(*isoWorld) any { return map[string]any{"visibility": "private"} }, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "service one's key, service two's resource in A", req: byID(func(w *isoWorld) store.Resource { return w.a.res2 }, "/visibility",
				func(*isoWorld) any { return map[string]any{"visibility": "private"} }, tokNone), status: 404, detail: notFound, foreign: true},
			{name: "control: service one's own", req: func(w *isoWorld) isoReq {
				r := w.scratchRes()
				return byID(func(*isoWorld) store.Resource { return r }, "/visibility",
					func(*isoWorld) any { return map[string]any{"visibility": "workspace"} }, tokNone)(w)
			}, status: 200, changes: ctl("res:B")},
		}},
		{method: "POST", pattern: "/permissions/:id/share", cases: []isoCase{
			noKey(byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.b.viewer.id }), tokB(store.RoleOwner))),
			{name: "service one's key without a user", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.b.viewer.id }), tokNone),
				status: 401, detail: "Not authenticated", foreign: true},
			{name: "service one's key, service two's resource", req: byID(bRes2, "/share", share("user", func(w *isoWorld) string { return w.b.viewer.id }),
				tokB(store.RoleOwner)), status: 404, detail: notFound, foreign: true},
			{name: "A's owner shares B's resource", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.a.viewer.id }), tokAOwner),
				status: 403, detail: "Resource belongs to another workspace", foreign: true},
			{name: "admin of B and viewer of A, token for A", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.dual.id }), tokDual),
				status: 403, detail: "Resource belongs to another workspace", foreign: true},
			{name: "an outsider with a token naming B", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.outsider.id }), tokOutside),
				status: 403, detail: "Only those who may edit", foreign: true},
			{name: "service one's key, authz token of service two", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.b.viewer.id }), tokTwo),
				status: 403, detail: otherToken, foreign: true},
			{name: "B's viewer", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.b.viewer.id }), tokB(store.RoleViewer)),
				status: 403, detail: "Only those who may edit"},
			{name: "B's owner shares with A's user", req: byID(bRes1, "/share", share("user", func(w *isoWorld) string { return w.a.viewer.id }), tokB(store.RoleOwner)),
				status: 400, detail: "Grantee is not in the resource's workspace"},
			{name: "B's owner shares with A's group", req: byID(bRes1, "/share", share("group", func(w *isoWorld) string { return w.a.group.ID }), tokB(store.RoleOwner)),
				status: 400, detail: "Grantee is not in the resource's workspace"},
			{name: "control: B's editor, their own resource", req: func(w *isoWorld) isoReq {
				r := w.scratchRes()
				return byID(func(*isoWorld) store.Resource { return r }, "/share", share("user", func(w *isoWorld) string { return w.b.viewer.id }), tokB(store.RoleEditor))(w)
			}, status: 200, changes: ctl("res:B")},
		}},
		{method: "DELETE", pattern: "/permissions/:id/share", cases: []isoCase{
			noKey(byID(bRes1, "/share", share("group", func(w *isoWorld) string { return w.b.group.ID }), tokNone)),
			{name: "service one's key, service two's share in B", req: byID(bRes2, "/share", share("group", func(w *isoWorld) string { return w.b.group.ID }), tokNone),
				status: 404, detail: notFound, foreign: true},
			{name: "service one's key, service two's share in A", req: byID(func(w *isoWorld) store.Resource { return w.a.res2 }, "/share",
				share("group", func(w *isoWorld) string { return w.a.group.ID }), tokNone), status: 404, detail: notFound, foreign: true},
			{name: "control: service one's own", req: func(w *isoWorld) isoReq {
				r := w.scratchRes(w.b.group.ID)
				return byID(func(*isoWorld) store.Resource { return r }, "/share", share("group", func(w *isoWorld) string { return w.b.group.ID }), tokNone)(w)
			}, status: 204, changes: ctl("res:B")},
		}},
		{method: "GET", pattern: "/permissions/resource/:service/:type/:rid", cases: []isoCase{
			noKey(byKey(svc1, rid(bRes1), "")),
			{name: "service one's key, service two's resource", req: byKey(svc2, rid(bRes2), ""), status: 403, detail: otherService, foreign: true},
			{name: "service one's key, service two, unregistered", req: byKey(svc2, newID, ""), status: 403, detail: otherService, foreign: true},
			{name: "control: service one's own", req: byKey(svc1, rid(bRes1), ""), status: 200,
				check: wantField("id", func(w *isoWorld) string { return w.b.res1.ID })},
		}},
		{method: "DELETE", pattern: "/permissions/resource/:service/:type/:rid", cases: []isoCase{
			noKey(byKey(svc1, rid(bRes1), "")),
			{name: "service one's key, service two's resource", req: byKey(svc2, rid(bRes2), ""), status: 403, detail: otherService, foreign: true},
			{name: "control: service one's own", req: func(w *isoWorld) isoReq {
				r := w.scratchRes(w.b.group.ID)
				return byKey(svc1, func(*isoWorld) string { return r.Key.ID }, "")(w)
			}, status: 204, changes: ctl("res:B")},
		}},
		{method: "GET", pattern: "/permissions/resource/:service/:type/:rid/enriched", cases: []isoCase{
			noKey(byKey(svc1, rid(bRes1), "/enriched")),
			{name: "service one's key, service two's resource", req: byKey(svc2, rid(bRes2), "/enriched"), status: 403, detail: otherService, foreign: true},
			{name: "control: service one's own", req: byKey(svc1, rid(bRes1), "/enriched"), status: 200,
				check: wantField("owner_email", func(w *isoWorld) string { return w.b.editor.email })},
		}},
	}
	return append(resourceRoutes, isoRBACRoutes()...)
}

// wantAllowed checks the results of POST /permissions/check.
func wantAllowed(want ...bool) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, _ *isoWorld, r testenv.Response) {
		t.Helper()
		results, _ := r.Body["results"].([]any)
		if len(results) != len(want) {
			t.Fatalf("%d results, want %d: %s", len(results), len(want), r.Raw)
		}
		for i, x := range results {
			if got := x.(map[string]any)["allowed"]; got != want[i] {
				t.Errorf("results[%d].allowed = %v, want %v: %s", i, got, want[i], r.Raw)
			}
		}
	}
}

// wantIDs checks POST /permissions/accessible's answer.
func wantIDs(full bool, want func(w *isoWorld) []string) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, w *isoWorld, r testenv.Response) {
		t.Helper()
		got := []string{}
		for _, x := range r.Body["resource_ids"].([]any) {
			got = append(got, x.(string))
		}
		ids := want(w)
		slices.Sort(got)
		slices.Sort(ids)
		if !slices.Equal(got, append([]string{}, ids...)) || r.Body["has_full_access"] != full {
			t.Errorf("accessible = %s, want ids %v, has_full_access %v", r.Raw, ids, full)
		}
	}
}
