package api_test

import (
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// dirDocModel is a service's own model over the directory: the directory
// types as policies/default_model.fga defines them, and a doc whose
// viewers are users, workspace members and group members.
const dirDocModel = "model\n  schema 1.1\n" + testenv.DirectoryTypes + `
type doc
  relations
    define viewer: [user, workspace#member, group#member]
`

// TestDirectoryModel: a service whose model opts in to the directory (once
// an administrator has granted it directory access) answers checks from
// the workspaces and groups made through the routes, as they change; may
// not write, delete or bring as contextual tuples any workspace or group
// tuple; and gets its refusals (a model that cannot hold the directory, an
// opt-in over its own group tuples) with a message naming the cause.
// Opting out hides the directory again.
func TestDirectoryModel(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNative(t, open(t))
			owner, ann := n.user("owner"), n.user("ann")
			wid := testenv.Must(t, 201, n.nat("POST", "/v1/workspaces", n.noWorkspace(owner), map[string]any{"name": "Team", "slug": "team"})).Body["id"].(string)
			n.wids = append(n.wids, wid)
			ws := "/v1/workspaces/" + wid
			testenv.Must(t, 201, n.nat("POST", ws+"/members", n.as(owner, wid), map[string]any{"email": ann.Email, "role": "viewer"}))
			gid := testenv.Must(t, 201, n.nat("POST", ws+"/groups", n.as(owner, wid), map[string]any{"name": "eng"})).Body["id"].(string)
			testenv.Must(t, 201, n.nat("POST", ws+"/groups/"+gid+"/members/"+ann.ID, n.as(owner, wid), nil))

			// An administrator lets the service opt in
			// (directory_access_test.go: without it, 403).
			n.must(200, n.do("PUT", "/v1/admin/services/notes/directory", adminKey, map[string]any{"allowed": true}))

			// A model that cannot hold the directory is refused, naming
			// the relation; so is an unknown field.
			noNesting := strings.Replace(dirDocModel, "define member: [user, group#member]", "define member: [user]", 1)
			wantErr(t, "model without nested groups", n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": noNesting, "directory": true}),
				400, "invalid_argument", "group#member must admit group#member")
			noGroup := dirDocModel[:strings.Index(dirDocModel, "type group")] + "type doc\n  relations\n    define viewer: [user, workspace#member]\n"
			wantErr(t, "model without groups", n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": noGroup, "directory": true}),
				400, "invalid_argument", "type group is not defined")
			n.must(404, n.do("GET", "/v1/model", n.key, nil))

			m := n.must(201, n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel, "directory": true}))
			if m.Body["directory"] != true {
				t.Fatalf("PUT /v1/model = %s, want directory true", m.Raw)
			}
			if g := n.must(200, n.do("GET", "/v1/model", n.key, nil)); g.Body["directory"] != true || g.Body["id"] != m.Body["id"] {
				t.Fatalf("GET /v1/model = %s", g.Raw)
			}
			n.must(200, n.do("POST", "/v1/tuples", n.key, map[string]any{"writes": []any{
				tk("doc:1", "viewer", "group:"+gid+"#member"),
				tk("doc:2", "viewer", "workspace:"+wid+"#member"),
			}}))
			check := func(obj, user string, ctx ...any) testenv.Response {
				t.Helper()
				body := map[string]any{"object": obj, "relation": "viewer", "user": user, "consistency": map[string]any{"fully_consistent": true}}
				if len(ctx) > 0 {
					body["contextual_tuples"] = ctx
				}
				return n.do("POST", "/v1/check", n.key, body)
			}
			wantCheck := func(step, obj, user string, want bool) {
				t.Helper()
				if r := n.must(200, check(obj, user)); r.Body["allowed"] != want {
					t.Errorf("%s: check %s viewer %s = %s, want %v", step, obj, user, r.Raw, want)
				}
			}
			wantCheck("in the group", "doc:1", "user:"+ann.ID, true)
			wantCheck("not in the group", "doc:1", "user:"+owner.ID, false)
			wantCheck("workspace member", "doc:2", "user:"+owner.ID, true)
			wantCheck("workspace member", "doc:2", "user:"+ann.ID, true)
			users := n.must(200, n.do("POST", "/v1/list-users", n.key, map[string]any{"object": "doc:1", "relation": "viewer",
				"user_filters": []any{map[string]any{"type": "user"}}}))
			if got, _ := users.Body["users"].([]any); len(got) != 1 || got[0] != "user:"+ann.ID {
				t.Errorf("list-users doc:1 viewer = %s", users.Raw)
			}

			// The directory's tuples are not the service's to change.
			refusals := []struct {
				name string
				body map[string]any
			}{
				{"write a group member", map[string]any{"writes": []any{tk("group:"+gid, "member", "user:"+owner.ID)}}},
				{"write a group among others", map[string]any{"writes": []any{tk("doc:3", "viewer", "user:x"), tk("group:g2", "member", "user:x")}}},
				{"write a workspace role", map[string]any{"writes": []any{tk("workspace:"+wid, "owner", "user:x")}}},
				{"delete a group member", map[string]any{"deletes": []any{tk("group:"+gid, "member", "user:"+ann.ID)}}},
			}
			for _, r := range refusals {
				wantErr(t, r.name, n.do("POST", "/v1/tuples", n.key, r.body), 400, "invalid_argument", "opted in to the directory")
			}
			wantErr(t, "contextual group member", check("doc:1", "user:"+owner.ID, tk("group:"+gid, "member", "user:"+owner.ID)),
				400, "invalid_argument", "comes from the directory")
			wantCheck("after the refusals", "doc:1", "user:"+owner.ID, false)
			wantCheck("after the refusals", "doc:1", "user:"+ann.ID, true)

			// A change of the directory reaches the service's checks.
			testenv.Must(t, 204, n.nat("DELETE", ws+"/groups/"+gid+"/members/"+ann.ID, n.as(owner, wid), nil))
			wantCheck("removed from the group", "doc:1", "user:"+ann.ID, false)
			wantCheck("removed from the group", "doc:2", "user:"+ann.ID, true)
			testenv.Must(t, 201, n.nat("POST", ws+"/groups/"+gid+"/members/"+owner.ID, n.as(owner, wid), nil))
			wantCheck("added to the group", "doc:1", "user:"+owner.ID, true)

			// Opting out hides the directory; the service's group tuples
			// are then its own, and block opting in again.
			if r := n.must(201, n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel})); r.Body["directory"] != false {
				t.Fatalf("opt-out = %s", r.Raw)
			}
			wantCheck("opted out", "doc:1", "user:"+owner.ID, false)
			wantCheck("opted out", "doc:2", "user:"+owner.ID, false)
			n.must(200, n.do("POST", "/v1/tuples", n.key, map[string]any{"writes": []any{tk("group:"+gid, "member", "user:zed")}}))
			wantCheck("own group", "doc:1", "user:zed", true)
			wantErr(t, "opt in over own group tuples", n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel, "directory": true}),
				409, "conflict", "tuples of its own of type group")
			n.must(200, n.do("POST", "/v1/tuples", n.key, map[string]any{"deletes": []any{tk("group:"+gid, "member", "user:zed")}}))
			n.must(201, n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel, "directory": true}))
			wantCheck("opted in again", "doc:1", "user:"+owner.ID, true)
			wantCheck("opted in again", "doc:1", "user:zed", false)
		})
	}
}
