package api_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the original's /workspaces… and /users/me routes
// (user tokens; COMPAT.md: the token's wid must be {id}, else 403, and a
// minimum role read from the store).

// wsSpec describes a /workspaces/{id}… route; route() makes its cases.
type wsSpec struct {
	method, pattern string
	min             store.Role
	// target is the request (path, body) on tn's objects: the refusals
	// send it on B's.
	target func(w *isoWorld, tn *isoTenant) (string, any)
	ok     int
	// control is the rightful request: by default target on B by B's
	// member of exactly role min; routes that destroy use scratch objects.
	control func(w *isoWorld) isoReq
	changes []string // sections the control changes (besides ctl's)
	check   func(t *testing.T, w *isoWorld, r testenv.Response)
	extra   []isoCase
}

var rolesAscending = []store.Role{store.RoleViewer, store.RoleEditor, store.RoleAdmin, store.RoleOwner}

// member is the tenant's member of the role.
func (tn *isoTenant) member(r store.Role) isoUser {
	switch r {
	case store.RoleOwner:
		return tn.owner
	case store.RoleAdmin:
		return tn.admin
	case store.RoleEditor:
		return tn.editor
	}
	return tn.viewer
}

func (s wsSpec) route() isoRoute {
	onB := func(token func(w *isoWorld) string) func(w *isoWorld) isoReq {
		return func(w *isoWorld) isoReq {
			p, b := s.target(w, w.b)
			return isoReq{path: p, body: b, bearer: token(w)}
		}
	}
	const notMember = "Not a member of this workspace"
	cases := []isoCase{
		{name: "no token", req: onB(func(*isoWorld) string { return "" }), status: 401, detail: "Not authenticated", foreign: true},
		{name: "service one's key without a user", req: func(w *isoWorld) isoReq {
			r := onB(func(*isoWorld) string { return "" })(w)
			r.key = w.one.key
			return r
		}, status: 401, detail: "Not authenticated", foreign: true},
		{name: "service one's key as the bearer", req: onB(func(w *isoWorld) string { return w.one.key }),
			status: 401, detail: "Invalid token", foreign: true},
		{name: "A's owner, token for A", req: onB(func(w *isoWorld) string { return w.access(w.a.owner, w.a) }),
			status: 403, detail: notMember, foreign: true},
		{name: "A's owner, authz token for A", req: onB(func(w *isoWorld) string { return w.authz(w.a.owner, w.a, w.one) }),
			status: 403, detail: notMember, foreign: true},
		{name: "admin of B and viewer of A, token for A", req: onB(func(w *isoWorld) string { return w.access(w.dual, w.a) }),
			status: 403, detail: notMember, foreign: true},
		{name: "an outsider, token naming B and role owner", req: onB(func(w *isoWorld) string {
			return w.access(w.outsider, w.b, store.RoleOwner)
		}), status: 403, detail: notMember, foreign: true},
	}
	for _, r := range rolesAscending {
		if r.AtLeast(s.min) {
			break
		}
		cases = append(cases, isoCase{name: "B's " + string(r), req: onB(func(w *isoWorld) string { return w.access(w.b.member(r), w.b) }),
			status: 403, detail: "Insufficient role"})
	}
	if s.min != store.RoleViewer {
		cases = append(cases, isoCase{name: "B's viewer, token claiming owner", req: onB(func(w *isoWorld) string {
			return w.access(w.b.viewer, w.b, store.RoleOwner)
		}), status: 403, detail: "Insufficient role"})
	}
	cases = append(cases, s.extra...)
	control := s.control
	if control == nil {
		control = onB(func(w *isoWorld) string { return w.access(w.b.member(s.min), w.b) })
	}
	cases = append(cases, isoCase{name: "control: B's " + string(s.min), req: control, status: s.ok,
		changes: ctl(s.changes...), check: s.check})
	return isoRoute{method: s.method, pattern: s.pattern, cases: cases}
}

func wsp(tn *isoTenant, rest string) string { return "/workspaces/" + tn.ws.ID + rest }

// asA is a request by A's owner (token for A) on A's own path.
func asA(path func(w *isoWorld) string, body any) func(w *isoWorld) isoReq {
	return func(w *isoWorld) isoReq { return isoReq{path: path(w), body: body, bearer: w.access(w.a.owner, w.a)} }
}

// asB is a request by B's member of the role.
func asB(r store.Role, path func(w *isoWorld) string, body any) func(w *isoWorld) isoReq {
	return func(w *isoWorld) isoReq {
		return isoReq{path: path(w), body: body, bearer: w.access(w.b.member(r), w.b)}
	}
}

func fixed(path string, body any) func(*isoWorld, *isoTenant) (string, any) {
	return func(_ *isoWorld, tn *isoTenant) (string, any) { return wsp(tn, path), body }
}

func isoWorkspaceRoutes() []isoRoute {
	specs := []wsSpec{
		{method: "GET", pattern: "/workspaces/:id", min: store.RoleViewer, target: fixed("", nil), ok: 200,
			check: wantField("id", func(w *isoWorld) string { return w.b.ws.ID }),
			extra: []isoCase{{name: "A's owner's IdP token with B's owner's authz token", req: func(w *isoWorld) isoReq {
				return isoReq{path: wsp(w.b, ""), bearer: w.idToken(w.a.owner), authz: w.authz(w.b.owner, w.b, w.one)}
			}, status: 401, detail: "Invalid token", foreign: true}}},
		{method: "PATCH", pattern: "/workspaces/:id", min: store.RoleAdmin, target: fixed("", map[string]any{"description": "changed"}),
			ok: 200, changes: []string{"ws:B"}},
		{method: "DELETE", pattern: "/workspaces/:id", min: store.RoleOwner, target: fixed("", nil), ok: 204,
			control: func(w *isoWorld) isoReq {
				u := w.user("scratch-owner")
				ws, err := w.st.CreateWorkspace(w.ctx, "scratch-"+uuid.NewString()[:8], "Scratch", "", u.id)
				w.check(err)
				return isoReq{path: "/workspaces/" + ws.ID, bearer: w.tokens.Access(w.t, u.id, ws.ID, store.RoleOwner)}
			}},
		{method: "GET", pattern: "/workspaces/:id/members", min: store.RoleViewer, target: fixed("/members", nil), ok: 200},
		{method: "POST", pattern: "/workspaces/:id/members/invite", min: store.RoleAdmin,
			target: func(*isoWorld, *isoTenant) (string, any) { return "", nil }, ok: 201, changes: []string{"ws:B"},
			extra: []isoCase{{name: "B's admin grants owner", req: asB(store.RoleAdmin, func(w *isoWorld) string { return wsp(w.b, "/members/invite") },
				map[string]any{"email": "new-owner@example.test", "role": "owner"}), status: 400, detail: "Only workspace owners"}}},
		{method: "PATCH", pattern: "/workspaces/:id/members/:user_id", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/members/"+tn.viewer.id), map[string]any{"role": "editor"}
			}, ok: 200, changes: []string{"ws:B"},
			control: func(w *isoWorld) isoReq {
				u := w.scratchMember(w.b, store.RoleViewer)
				return isoReq{path: wsp(w.b, "/members/"+u.id), body: map[string]any{"role": "editor"}, bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{
				{name: "A's owner, A's path, B's member", req: asA(func(w *isoWorld) string { return wsp(w.a, "/members/"+w.b.viewer.id) },
					map[string]any{"role": "editor"}), status: 404, detail: "Membership not found", foreign: true},
				{name: "B's admin changes B's owner", req: asB(store.RoleAdmin, func(w *isoWorld) string { return wsp(w.b, "/members/"+w.b.owner.id) },
					map[string]any{"role": "viewer"}), status: 403, detail: "Only workspace owners"},
				{name: "B's admin grants owner", req: asB(store.RoleAdmin, func(w *isoWorld) string { return wsp(w.b, "/members/"+w.b.viewer.id) },
					map[string]any{"role": "owner"}), status: 403, detail: "Only workspace owners"},
			}},
		{method: "DELETE", pattern: "/workspaces/:id/members/:user_id", min: store.RoleAdmin,
			// The admin: a viewer or editor may remove themselves only.
			target: func(_ *isoWorld, tn *isoTenant) (string, any) { return wsp(tn, "/members/"+tn.admin.id), nil },
			ok:     204, changes: []string{"ws:B", "res:B"},
			control: func(w *isoWorld) isoReq {
				u := w.scratchMember(w.b, store.RoleEditor)
				return isoReq{path: wsp(w.b, "/members/"+u.id), bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{
				{name: "A's owner, A's path, B's member", req: asA(func(w *isoWorld) string { return wsp(w.a, "/members/"+w.b.editor.id) }, nil),
					status: 404, detail: "Membership not found", foreign: true},
				{name: "B's admin removes B's owner", req: asB(store.RoleAdmin, func(w *isoWorld) string { return wsp(w.b, "/members/"+w.b.owner.id) }, nil),
					status: 403, detail: "Only workspace owners"},
				{name: "B's last owner leaves", req: asB(store.RoleOwner, func(w *isoWorld) string { return wsp(w.b, "/members/"+w.b.owner.id) }, nil),
					status: 403, detail: "last workspace owner"},
				{name: "control: a viewer of B leaves", req: func(w *isoWorld) isoReq {
					u := w.scratchMember(w.b, store.RoleViewer)
					return isoReq{path: wsp(w.b, "/members/"+u.id), bearer: w.access(u, w.b)}
				}, status: 204, changes: ctl("ws:B", "res:B")},
			}},
		{method: "POST", pattern: "/workspaces/:id/groups", min: store.RoleAdmin,
			target: func(*isoWorld, *isoTenant) (string, any) { return "", nil }, ok: 201, changes: []string{"ws:B"}},
		{method: "GET", pattern: "/workspaces/:id/groups", min: store.RoleViewer, target: fixed("/groups", nil), ok: 200},
		{method: "PATCH", pattern: "/workspaces/:id/groups/:gid", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/groups/"+tn.group.ID), map[string]any{"description": "changed"}
			}, ok: 200, changes: []string{"ws:B"},
			extra: []isoCase{{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string { return wsp(w.a, "/groups/"+w.b.group.ID) },
				map[string]any{"description": "changed"}), status: 404, detail: "Group not found", foreign: true}}},
		{method: "DELETE", pattern: "/workspaces/:id/groups/:gid", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) { return wsp(tn, "/groups/"+tn.group.ID), nil },
			ok:     204, changes: []string{"ws:B"},
			control: func(w *isoWorld) isoReq {
				g := w.scratchGroup(w.b)
				return isoReq{path: wsp(w.b, "/groups/"+g.ID), bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string { return wsp(w.a, "/groups/"+w.b.group.ID) }, nil),
				status: 404, detail: "Group not found", foreign: true}}},
		{method: "GET", pattern: "/workspaces/:id/groups/:gid/members", min: store.RoleViewer,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) { return wsp(tn, "/groups/"+tn.group.ID+"/members"), nil }, ok: 200,
			extra: []isoCase{{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string {
				return wsp(w.a, "/groups/"+w.b.group.ID+"/members")
			}, nil), status: 404, detail: "Group not found", foreign: true}}},
		{method: "POST", pattern: "/workspaces/:id/groups/:gid/members/:uid", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/groups/"+tn.group.ID+"/members/"+tn.viewer.id), nil
			}, ok: 201, changes: []string{"ws:B"},
			control: func(w *isoWorld) isoReq {
				g := w.scratchGroup(w.b)
				return isoReq{path: wsp(w.b, "/groups/"+g.ID+"/members/"+w.b.viewer.id), bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{
				{name: "A's owner adds B's member to A's group", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.a.group.ID+"/members/"+w.b.viewer.id)
				}, nil), status: 400, detail: "not a member of this workspace", foreign: true},
				{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.b.group.ID+"/members/"+w.a.viewer.id)
				}, nil), status: 404, detail: "Group not found", foreign: true},
			}},
		{method: "DELETE", pattern: "/workspaces/:id/groups/:gid/members/:uid", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/groups/"+tn.group.ID+"/members/"+tn.editor.id), nil
			}, ok: 204, changes: []string{"ws:B"},
			control: func(w *isoWorld) isoReq {
				g := w.scratchGroup(w.b, w.b.viewer)
				return isoReq{path: wsp(w.b, "/groups/"+g.ID+"/members/"+w.b.viewer.id), bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{
				{name: "A's owner, A's group, B's member", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.a.group.ID+"/members/"+w.b.editor.id)
				}, nil), status: 404, detail: "Group membership not found", foreign: true},
				{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.b.group.ID+"/members/"+w.b.editor.id)
				}, nil), status: 404, detail: "Group not found", foreign: true},
			}},
		{method: "POST", pattern: "/workspaces/:id/groups/:gid/groups/:hid", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/groups/"+tn.group.ID+"/groups/"+tn.spare.ID), nil
			}, ok: 201, changes: []string{"ws:B"},
			control: func(w *isoWorld) isoReq {
				g := w.scratchGroup(w.b)
				return isoReq{path: wsp(w.b, "/groups/"+w.b.spare.ID+"/groups/"+g.ID), bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{
				{name: "A's owner nests B's group in A's", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.a.group.ID+"/groups/"+w.b.spare.ID)
				}, nil), status: 404, detail: "Group not found", foreign: true},
				{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.b.group.ID+"/groups/"+w.a.spare.ID)
				}, nil), status: 404, detail: "Group not found", foreign: true},
			}},
		{method: "DELETE", pattern: "/workspaces/:id/groups/:gid/groups/:hid", min: store.RoleAdmin,
			target: func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/groups/"+tn.group.ID+"/groups/"+tn.nested.ID), nil
			}, ok: 204, changes: []string{"ws:B"},
			control: func(w *isoWorld) isoReq {
				g := w.scratchGroup(w.b)
				w.must(w.st.AddGroupMember(w.ctx, w.b.spare.ID, store.GroupMemberGroup, g.ID))
				return isoReq{path: wsp(w.b, "/groups/"+w.b.spare.ID+"/groups/"+g.ID), bearer: w.access(w.b.admin, w.b)}
			},
			extra: []isoCase{
				{name: "A's owner, A's group, B's nested group", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.a.group.ID+"/groups/"+w.b.nested.ID)
				}, nil), status: 404, detail: "Group membership not found", foreign: true},
				{name: "A's owner, A's path, B's group", req: asA(func(w *isoWorld) string {
					return wsp(w.a, "/groups/"+w.b.group.ID+"/groups/"+w.b.nested.ID)
				}, nil), status: 404, detail: "Group not found", foreign: true},
			}},
	}
	// Bodies that must be fresh for every request.
	for i := range specs {
		switch specs[i].pattern {
		case "/workspaces/:id/members/invite":
			specs[i].target = func(_ *isoWorld, tn *isoTenant) (string, any) {
				return wsp(tn, "/members/invite"), map[string]any{"email": "invitee-" + uuid.NewString()[:8] + "@example.test"}
			}
		case "/workspaces/:id/groups":
			if specs[i].method == "POST" {
				specs[i].target = func(_ *isoWorld, tn *isoTenant) (string, any) {
					return wsp(tn, "/groups"), map[string]any{"name": "group " + uuid.NewString()[:8]}
				}
			}
		}
	}
	out := make([]isoRoute, 0, len(specs)+4)
	for _, s := range specs {
		out = append(out, s.route())
	}
	return append(out, isoSelfRoutes()...)
}

// wantField checks a field of a JSON object answer.
func wantField(field string, want func(w *isoWorld) string) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, w *isoWorld, r testenv.Response) {
		t.Helper()
		if got, _ := r.Body[field].(string); got != want(w) {
			t.Errorf("%s = %q, want %q: %.300s", field, got, want(w), r.Raw)
		}
	}
}
