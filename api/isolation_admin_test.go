package api_test

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// The admin surface: /admin/… (the original's, compatAdminAuth) and
// /v1/admin/… (adminAuth). Admins act across every tenant by design, so
// their isolation is that nobody else gets in: no credential, a service
// key (as either header) or a workspace owner's token is a 401, with or
// without X-Requested-With, and changes nothing. These cases are made from
// the registered routes themselves, so an admin route added later is
// covered at once; routes with hand-written cases (isoAdminRoutes) keep
// theirs.
//
// Each generated route also gets a control showing the admin credential
// gets through: GET answers 200 on B's ids; an /admin mutation without
// X-Requested-With is the CSRF guard's 403; a /v1/admin mutation on ids
// that do not exist is a 404. And where a path nests a child in a
// workspace (…/workspaces/{id}/groups/{gid}), the admin naming workspace A
// with B's child gets a 404 on GET and DELETE: a child is only reached
// through its own workspace.

// isoAdminSurface makes the cases of the admin routes the table lacks.
func isoAdminSurface(routes []gin.RouteInfo, table []isoRoute) []isoRoute {
	have := map[string]bool{}
	for _, rt := range table {
		have[rt.method+" "+rt.pattern] = true
	}
	var out []isoRoute
	for _, r := range routes {
		native := strings.HasPrefix(r.Path, "/v1/admin/")
		if have[r.Method+" "+r.Path] || !(native || strings.HasPrefix(r.Path, "/admin/")) {
			continue
		}
		out = append(out, isoAdminRoute(r.Method, r.Path, native))
	}
	return out
}

func isoAdminRoute(method, pattern string, native bool) isoRoute {
	mutation := method != http.MethodGet
	onB := func(w *isoWorld) string { return isoFill(w, pattern, w.b, w.b) }
	with := func(cred func(w *isoWorld) isoReq) func(w *isoWorld) isoReq {
		return func(w *isoWorld) isoReq {
			r := cred(w)
			r.path = onB(w)
			if mutation {
				r.body = map[string]any{}
			}
			return r
		}
	}
	cases := []isoCase{
		{name: "no credential", req: with(func(*isoWorld) isoReq { return isoReq{xrw: true} }), status: 401, foreign: true},
		{name: "service one's key", req: with(func(w *isoWorld) isoReq { return isoReq{key: w.one.key, xrw: true} }), status: 401, foreign: true},
		{name: "service one's key as the bearer", req: with(func(w *isoWorld) isoReq { return isoReq{bearer: w.one.key, xrw: true} }),
			status: 401, foreign: true},
		{name: "B's owner's access token", req: with(func(w *isoWorld) isoReq {
			return isoReq{bearer: w.access(w.b.owner, w.b), xrw: true}
		}), status: 401, foreign: true},
		{name: "B's owner's authz token", req: with(func(w *isoWorld) isoReq {
			return isoReq{bearer: w.authz(w.b.owner, w.b, w.one), xrw: true}
		}), status: 401, foreign: true},
	}
	switch {
	case !mutation:
		cases = append(cases, isoCase{name: "control: the admin", req: with(func(*isoWorld) isoReq { return isoReq{bearer: adminKey} }), status: 200})
	case !native:
		cases = append(cases, isoCase{name: "control: the admin without X-Requested-With", req: with(func(*isoWorld) isoReq {
			return isoReq{bearer: adminKey}
		}), status: 403, detail: "X-Requested-With", control: true})
	case strings.Contains(pattern, "/:"):
		cases = append(cases, isoCase{name: "control: the admin, ids that do not exist", req: func(w *isoWorld) isoReq {
			return isoReq{path: isoFill(w, pattern, nil, nil), bearer: adminKey}
		}, status: 404, control: true})
	}
	if nested := strings.Count(pattern, "/:") >= 2 && strings.HasPrefix(strings.TrimPrefix(pattern, "/v1"), "/admin/workspaces/:id/"); nested && method != http.MethodPost && method != http.MethodPatch {
		cases = append(cases, isoCase{name: "the admin, workspace A's path with B's child", req: func(w *isoWorld) isoReq {
			return isoReq{path: isoFill(w, pattern, w.a, w.b), bearer: adminKey, xrw: true}
		}, status: 404})
	}
	return isoRoute{method: method, pattern: pattern, cases: cases}
}

// isoFill puts ids in the pattern's parameters, by the segment before
// each: the workspace is parent's, what it names is child's (nil: ids that
// do not exist).
func isoFill(w *isoWorld, pattern string, parent, child *isoTenant) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") {
			continue
		}
		tn := child
		if segs[i-1] == "workspaces" {
			tn = parent
		}
		segs[i] = isoParam(w, segs[i-1], tn)
	}
	return strings.Join(segs, "/")
}

func isoParam(w *isoWorld, collection string, tn *isoTenant) string {
	if tn == nil {
		if collection == "services" {
			return "no-such-service"
		}
		return uuid.NewString()
	}
	switch collection {
	case "workspaces":
		return tn.ws.ID
	case "users":
		return tn.owner.id
	case "members":
		return tn.viewer.id
	case "groups":
		return tn.group.ID
	case "roles":
		return tn.role.ID
	case "permissions":
		return tn.res1.ID
	case "services":
		return w.two.name
	case "service-apps": // the original's app id: the service's id
		return w.two.id
	case "client-apps": // of no tenant: a scratch one
		a, err := w.st.CreateClientApp(context.Background(), store.ClientAppSpec{Name: "scratch",
			RedirectURIs: []string{"https://scratch.example/cb"}})
		if err != nil {
			w.t.Fatal(err)
		}
		return a.ID
	}
	return uuid.NewString()
}
