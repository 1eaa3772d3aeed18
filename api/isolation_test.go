package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// Tenant isolation over every route (issue 5, item 8). A caller from
// workspace A, or holding service one's key, tries each route on workspace
// B's and service two's ids; B's members below a route's role try it too.
// Each refusal must answer the route's documented status and error shape,
// show nothing of B or service two but what the caller sent, and leave the
// database as it was (isoDigest). Each route also has a control: the
// rightful caller doing the same thing succeeds, so a refusal is about who
// asks, not about a malformed request; a control changes nothing of the
// other tenant.
//
// Every registered route must be in the table (isolation_ws_test.go and
// isolation_self_test.go for the user routes, isolation_perm_test.go and
// isolation_rbac_test.go for the service routes, isolation_native_test.go
// for /v1) or in isoPublic with the reason it serves no tenant's data: a
// new route fails this test until its isolation cases are written. Admin
// routes (/admin/…, /v1/admin/…) get generated cases when they have no
// hand-written ones (isolation_admin_test.go). The world and the digest
// are in isolation_world_test.go and isolation_digest_test.go.

// isoReq is one request. method defaults to the route's; path may carry a
// query string.
type isoReq struct {
	method, path string
	key          string // X-Service-Key
	bearer       string // Authorization: Bearer
	authz        string // X-Authz-Token
	xrw          bool   // X-Requested-With (the admin routes' CSRF guard)
	cookie       string // the admin_token cookie
	body         any
}

// isoCase is one request of a route and what must come of it.
type isoCase struct {
	name string
	// req builds the request; it may create scratch objects first (the
	// digest is taken after it).
	req    func(w *isoWorld) isoReq
	status int
	// detail is a substring of the error's detail (the original's
	// routes) or message (the native API).
	detail string
	// changes are the digest sections the request may change (a
	// control); nil for a refusal, which changes nothing.
	changes []string
	// foreign: the caller is another tenant's; nothing of B's or service
	// two's may show in the answer but what the caller sent.
	foreign bool
	// check asserts more of an answer with the expected status.
	check func(t *testing.T, w *isoWorld, r testenv.Response)
	// control marks a refusal that proves the caller got through
	// authentication (a route whose success cannot be tried generically).
	control bool
}

// isoRoute is a route (gin's method and path pattern) and its cases.
type isoRoute struct {
	method, pattern string
	cases           []isoCase
}

// isoPublic are the routes without isolation cases, and why: they serve
// nothing of any tenant (checked below: no tenant's data in their answer).
var isoPublic = map[string]string{
	"GET /healthz":                          "liveness: a constant answer",
	"GET /health":                           "the original's liveness: a constant answer",
	"GET /readyz":                           "readiness: store reachability, revisions and a count of failing models, no tenant rows",
	"GET /.well-known/jwks.json":            "the public signing keys, public by design",
	"GET /.well-known/openid-configuration": "the public discovery document",
	"GET /metrics":                          "Prometheus metrics labelled by route pattern and status class only",
	"GET /auth/providers":                   "the names of the login providers, the same for every caller",
}

// ctl is the changes of a control: the head and activity, plus sections.
func ctl(sections ...string) []string { return append([]string{"head", "activity"}, sections...) }

func TestIsolation(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			w := newIsoWorld(t, backends[backend](t))
			table := isoTable()
			table = append(table, isoAdminSurface(isoRegistered(t, w), table)...)
			isoCoverage(t, w, table)
			parent := w.t
			for _, rt := range table {
				t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
					w.t = t
					defer func() { w.t = parent }()
					for _, c := range rt.cases {
						w.run(t, rt, c)
					}
				})
			}
			w.publicRoutes(t)
		})
	}
}

// isoTable is every route's cases.
func isoTable() []isoRoute {
	var out []isoRoute
	out = append(out, isoWorkspaceRoutes()...)
	out = append(out, isoPermissionRoutes()...)
	out = append(out, isoNativeRoutes()...)
	out = append(out, isoLoginRoutes()...)
	return out
}

// isoCoverage requires every registered route to be in the table or in
// isoPublic, and every entry of those to be a registered route; each route
// of the table needs a foreign caller's case and a successful control.
func isoCoverage(t *testing.T, w *isoWorld, table []isoRoute) {
	t.Helper()
	covered := map[string]bool{}
	for _, rt := range table {
		k := rt.method + " " + rt.pattern
		if covered[k] {
			t.Errorf("%s is in the isolation table twice", k)
		}
		covered[k] = true
		foreign, control := false, false
		for _, c := range rt.cases {
			foreign = foreign || c.foreign
			control = control || c.control || (c.status >= 200 && c.status < 300)
		}
		if !foreign || !control {
			t.Errorf("%s: the table needs a case of a foreign caller (%v) and a successful control (%v)", k, foreign, control)
		}
	}
	registered := map[string]bool{}
	for _, r := range isoRegistered(t, w) {
		k := r.Method + " " + r.Path
		registered[k] = true
		if !covered[k] && isoPublic[k] == "" {
			t.Errorf("route %s has no tenant-isolation cases: add them to the table (api/isolation_*_test.go), "+
				"or to isoPublic with the reason it serves no tenant's data", k)
		}
	}
	for k := range covered {
		if !registered[k] {
			t.Errorf("the isolation table has %s, which is not a registered route", k)
		}
	}
	for k := range isoPublic {
		if !registered[k] {
			t.Errorf("isoPublic has %s, which is not a registered route", k)
		}
	}
}

// isoRegistered is every route of the app's server.
func isoRegistered(t *testing.T, w *isoWorld) []gin.RouteInfo {
	t.Helper()
	router, ok := w.app.Handler.(interface{ Routes() []gin.RouteInfo })
	if !ok {
		t.Fatalf("the app's handler %T does not list its routes", w.app.Handler)
	}
	return router.Routes()
}

// run sends one case and checks its status, error shape, the database and
// the answer.
func (w *isoWorld) run(t *testing.T, rt isoRoute, c isoCase) {
	t.Helper()
	req := c.req(w)
	if req.method == "" {
		req.method = rt.method
	}
	if req.method != rt.method || !isoMatch(rt.pattern, req.path) {
		t.Fatalf("%s: %s %s is not a request of this route", c.name, req.method, req.path)
	}
	w.synced()
	before := w.digest()
	r := w.send(req)
	msg := isoMessage(rt.pattern, r)
	switch {
	case r.Status != c.status:
		t.Errorf("%s: status %d, want %d: %.400s", c.name, r.Status, c.status, r.Raw)
	case r.Status >= 400 && msg == "":
		t.Errorf("%s: a %d without the route's error shape: %.400s", c.name, r.Status, r.Raw)
	case c.detail != "" && !strings.Contains(msg, c.detail):
		t.Errorf("%s: error %q, want it to say %q", c.name, msg, c.detail)
	case c.check != nil:
		c.check(t, w, r)
	}
	if diff := before.changed(w.digest(), c.changes); len(diff) > 0 {
		t.Errorf("%s (%d): changed the database: %v", c.name, r.Status, diff)
	}
	if c.foreign {
		w.noLeak(t, c.name, req, r)
	}
}

// send sends the request as the original's SDKs do (JSON content type on
// every request).
func (w *isoWorld) send(req isoReq) testenv.Response {
	w.t.Helper()
	h := map[string]string{}
	if req.key != "" {
		h["X-Service-Key"] = req.key
	}
	if req.bearer != "" {
		h["Authorization"] = "Bearer " + req.bearer
	}
	if req.authz != "" {
		h["X-Authz-Token"] = req.authz
	}
	if req.xrw {
		h["X-Requested-With"] = "XMLHttpRequest"
	}
	if c := w.cookieHeader(req); c != "" {
		h["Cookie"] = c
	}
	return testenv.DoHeaders(w.t, req.method, w.url+req.path, h, req.body)
}

// isoMessage is the error of an answer in its route's shape: the
// original's {"detail": "..."}, or the native {"error": {"message"}} under
// /v1.
func isoMessage(pattern string, r testenv.Response) string {
	if strings.HasPrefix(pattern, "/v1/") {
		e, _ := r.Body["error"].(map[string]any)
		if code, _ := e["code"].(string); code == "" {
			return ""
		}
		msg, _ := e["message"].(string)
		return msg
	}
	d, _ := r.Body["detail"].(string)
	return d
}

// isoMatch reports whether the path (query ignored) is one of gin's
// pattern: ":name" matches one non-empty segment.
func isoMatch(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], ":") {
			if xs[i] == "" {
				return false
			}
		} else if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// noLeak fails if the answer shows a secret of B or service two that the
// request did not carry.
func (w *isoWorld) noLeak(t *testing.T, name string, req isoReq, r testenv.Response) {
	t.Helper()
	body, _ := json.Marshal(req.body)
	sent := req.path + string(body)
	for _, s := range w.secrets {
		if s != "" && !strings.Contains(sent, s) && strings.Contains(r.Raw, s) {
			t.Errorf("%s: the answer shows %q, of workspace B or service two: %.400s", name, s, r.Raw)
		}
	}
}

// publicRoutes calls each route of isoPublic without credentials: it
// answers, and shows nothing of any tenant.
func (w *isoWorld) publicRoutes(t *testing.T) {
	t.Helper()
	for k := range isoPublic {
		method, path, _ := strings.Cut(k, " ")
		r := w.send(isoReq{method: method, path: path})
		if r.Status != http.StatusOK {
			t.Errorf("%s: status %d, want 200: %.300s", k, r.Status, r.Raw)
		}
		w.noLeak(t, k, isoReq{path: path}, r)
	}
}
