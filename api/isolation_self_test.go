package api_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// Isolation cases of the user routes that name no workspace: POST and GET
// /workspaces, GET and PATCH /users/me. They act on the token's own user
// only, whatever the body names.

func isoSelfRoutes() []isoRoute {
	noToken := func(path string, body any) isoCase {
		return isoCase{name: "no token", req: func(*isoWorld) isoReq { return isoReq{path: path, body: body} },
			status: 401, detail: "Not authenticated", foreign: true}
	}
	keyAsBearer := func(path string, body any) isoCase {
		return isoCase{name: "service one's key as the bearer", req: func(w *isoWorld) isoReq {
			return isoReq{path: path, body: body, bearer: w.one.key}
		}, status: 401, detail: "Invalid token", foreign: true}
	}
	newWorkspace := func() map[string]any {
		slug := "new-" + uuid.NewString()[:8]
		return map[string]any{"name": "New " + slug, "slug": slug}
	}
	createdBy := func(u func(w *isoWorld) isoUser) func(t *testing.T, w *isoWorld, r testenv.Response) {
		return wantField("created_by", func(w *isoWorld) string { return u(w).id })
	}
	return []isoRoute{
		{method: "POST", pattern: "/workspaces", cases: []isoCase{
			noToken("/workspaces", newWorkspace()),
			keyAsBearer("/workspaces", newWorkspace()),
			func() isoCase {
				var stranger isoUser
				return isoCase{name: "a stranger with a token naming B creates their own", req: func(w *isoWorld) isoReq {
					stranger = w.user("stranger")
					return isoReq{path: "/workspaces", body: newWorkspace(), bearer: w.tokens.Access(w.t, stranger.id, w.b.ws.ID, store.RoleOwner)}
				}, status: 201, changes: ctl(), foreign: true, check: createdBy(func(*isoWorld) isoUser { return stranger })}
			}(),
			{name: "control: A's owner", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/workspaces", body: newWorkspace(), bearer: w.access(w.a.owner, w.a)}
			}, status: 201, changes: ctl(), check: createdBy(func(w *isoWorld) isoUser { return w.a.owner })},
		}},
		{method: "GET", pattern: "/workspaces", cases: []isoCase{
			noToken("/workspaces", nil),
			{name: "A's owner lists A's only", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/workspaces", bearer: w.access(w.a.owner, w.a)}
			}, status: 200, foreign: true, check: wantWorkspaces(func(w *isoWorld) []string { return []string{w.a.ws.ID} }, true)},
			{name: "an outsider with a token naming B lists none", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/workspaces", bearer: w.access(w.outsider, w.b, store.RoleOwner)}
			}, status: 200, foreign: true, check: wantWorkspaces(func(*isoWorld) []string { return nil }, false)},
			{name: "control: a member of A and B lists both", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/workspaces", bearer: w.access(w.dual, w.a)}
			}, status: 200, check: wantWorkspaces(func(w *isoWorld) []string { return []string{w.a.ws.ID, w.b.ws.ID} }, false)},
		}},
		{method: "GET", pattern: "/users/me", cases: []isoCase{
			noToken("/users/me", nil),
			keyAsBearer("/users/me", nil),
			{name: "A's owner's IdP token with B's owner's authz token", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/users/me", bearer: w.idToken(w.a.owner), authz: w.authz(w.b.owner, w.b, w.one)}
			}, status: 401, detail: "Invalid token", foreign: true},
			{name: "A's owner reads A's owner", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/users/me", bearer: w.access(w.a.owner, w.a)}
			}, status: 200, foreign: true, check: wantField("id", func(w *isoWorld) string { return w.a.owner.id })},
			{name: "control: B's owner with the IdP and authz token pair", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/users/me", bearer: w.idToken(w.b.owner), authz: w.authz(w.b.owner, w.b, w.one)}
			}, status: 200, check: wantField("id", func(w *isoWorld) string { return w.b.owner.id })},
		}},
		{method: "PATCH", pattern: "/users/me", cases: []isoCase{
			noToken("/users/me", map[string]any{"name": "nobody"}),
			keyAsBearer("/users/me", map[string]any{"name": "nobody"}),
			{name: "A's owner naming B's owner in the body changes only themself", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/users/me", bearer: w.access(w.a.owner, w.a), body: map[string]any{
					"id": w.b.owner.id, "user_id": w.b.owner.id, "email": w.b.owner.email, "avatar_url": "https://example.test/a.png"}}
			}, status: 200, changes: ctl("users:A", "ws:A"), foreign: true, check: wantField("id", func(w *isoWorld) string { return w.a.owner.id })},
			{name: "control: B's viewer", req: func(w *isoWorld) isoReq {
				return isoReq{path: "/users/me", bearer: w.access(w.b.viewer, w.b), body: map[string]any{"avatar_url": "https://example.test/b.png"}}
			}, status: 200, changes: ctl("users:B", "ws:B"), check: wantField("avatar_url", func(*isoWorld) string { return "https://example.test/b.png" })},
		}},
	}
}

// wantWorkspaces checks GET /workspaces' list: exactly want, or (atLeast)
// want and others, never B unless wanted.
func wantWorkspaces(want func(w *isoWorld) []string, atLeast bool) func(t *testing.T, w *isoWorld, r testenv.Response) {
	return func(t *testing.T, w *isoWorld, r testenv.Response) {
		t.Helper()
		var list []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(r.Raw), &list); err != nil {
			t.Fatalf("GET /workspaces is not a list: %v: %s", err, r.Raw)
		}
		var got []string
		for _, x := range list {
			got = append(got, x.ID)
		}
		ids := want(w)
		for _, id := range ids {
			if !slices.Contains(got, id) {
				t.Errorf("GET /workspaces lacks %s: %s", id, r.Raw)
			}
		}
		if slices.Contains(got, w.b.ws.ID) && !slices.Contains(ids, w.b.ws.ID) {
			t.Errorf("GET /workspaces lists B: %s", r.Raw)
		}
		if !atLeast && len(got) != len(ids) {
			t.Errorf("GET /workspaces = %v, want %v", got, ids)
		}
	}
}
