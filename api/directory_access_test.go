package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// TestDirectoryAccess: only a service an administrator has granted
// directory access may opt in to the directory. Without it the opt-in is
// 403, before the model is even looked at, and writes nothing; the admin
// route refuses bad bodies (400) and unknown services (404), changing
// nothing; a grant is listed and recorded; a revocation from an opted-in
// service writes, at once, a new version that opts out, so a check true
// through a group membership becomes false, and records that version.
func TestDirectoryAccess(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNative(t, open(t))
			ctx := context.Background()
			svc, err := n.st.ServiceByName(ctx, "notes")
			if err != nil {
				t.Fatal(err)
			}
			owner, ann := n.user("owner"), n.user("ann")
			wid := testenv.Must(t, 201, n.nat("POST", "/v1/workspaces", n.noWorkspace(owner), map[string]any{"name": "Team", "slug": "team"})).Body["id"].(string)
			n.wids = append(n.wids, wid)
			ws := "/v1/workspaces/" + wid
			testenv.Must(t, 201, n.nat("POST", ws+"/members", n.as(owner, wid), map[string]any{"email": ann.Email, "role": "viewer"}))
			gid := testenv.Must(t, 201, n.nat("POST", ws+"/groups", n.as(owner, wid), map[string]any{"name": "eng"})).Body["id"].(string)
			testenv.Must(t, 201, n.nat("POST", ws+"/groups/"+gid+"/members/"+ann.ID, n.as(owner, wid), nil))

			access := func() bool {
				t.Helper()
				r := n.must(200, n.do("GET", "/v1/admin/services", adminKey, nil))
				for _, x := range r.Body["services"].([]any) {
					if s := x.(map[string]any); s["name"] == "notes" {
						v, ok := s["directory_access"].(bool)
						if !ok {
							t.Fatalf("GET /v1/admin/services: no directory_access in %v", s)
						}
						return v
					}
				}
				t.Fatalf("GET /v1/admin/services = %s: notes not listed", r.Raw)
				return false
			}
			entries := func() []string {
				t.Helper()
				items, _ := n.activity("target_type=service")
				var out []string
				for _, it := range items {
					if a := it["action"].(string); strings.HasPrefix(a, "service.directory_") {
						out = append(out, fmt.Sprint(a, " ", it["actor_type"], " ", it["target_id"], " ", it["detail"]))
					}
				}
				return out
			}
			setAccess := func(key string, body any) testenv.Response {
				return n.do("PUT", "/v1/admin/services/notes/directory", key, body)
			}
			check := func(user string) bool {
				t.Helper()
				r := n.must(200, n.do("POST", "/v1/check", n.key, map[string]any{"object": "doc:1", "relation": "viewer", "user": user}))
				return r.Body["allowed"] == true
			}
			if access() {
				t.Fatal("a new service has directory access")
			}

			// Denied: a service key alone cannot opt in, whatever the
			// model; nothing is written.
			n.must(201, n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel}))
			before := n.snap(svc.ID)
			noGroup := dirDocModel[:strings.Index(dirDocModel, "type group")] + "type doc\n  relations\n    define viewer: [user, workspace#member]\n"
			for _, dsl := range []string{dirDocModel, noGroup} {
				wantErr(t, "opt in without access", n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dsl, "directory": true}),
					403, "forbidden", "an administrator must grant it directory access")
			}
			if g := n.must(200, n.do("GET", "/v1/model", n.key, nil)); g.Body["version"] != float64(1) || g.Body["directory"] != false {
				t.Fatalf("GET /v1/model after the refusals = %s", g.Raw)
			}

			// The admin route's refusals change nothing.
			refusals := []struct {
				name, path, key string
				body            any
				status          int
				code            string
			}{
				{"no body", "notes", adminKey, nil, 400, "invalid_argument"},
				{"empty object", "notes", adminKey, map[string]any{}, 400, "invalid_argument"},
				{"null", "notes", adminKey, map[string]any{"allowed": nil}, 400, "invalid_argument"},
				{"not a boolean", "notes", adminKey, map[string]any{"allowed": "yes"}, 400, "invalid_argument"},
				{"unknown field", "notes", adminKey, map[string]any{"allowed": true, "all": true}, 400, "invalid_argument"},
				{"unknown service", "nope", adminKey, map[string]any{"allowed": true}, 404, "not_found"},
				{"the system service", "_system", adminKey, map[string]any{"allowed": true}, 404, "not_found"},
				{"the service's own key", "notes", n.key, map[string]any{"allowed": true}, 401, "unauthenticated"},
				{"no credential", "notes", "", map[string]any{"allowed": true}, 401, "unauthenticated"},
			}
			for _, r := range refusals {
				got := n.do("PUT", "/v1/admin/services/"+r.path+"/directory", r.key, r.body)
				if got.Status != r.status || got.Code() != r.code {
					t.Errorf("%s: %d %s, want %d %s", r.name, got.Status, got.Raw, r.status, r.code)
				}
			}
			if after := n.snap(svc.ID); after != before || access() || len(entries()) != 0 {
				t.Fatalf("refusals changed something: %+v → %+v, access %v, entries %q", before, after, access(), entries())
			}

			// Granted: listed, recorded; a repeat records nothing.
			for range 2 {
				g := n.must(200, setAccess(adminKey, map[string]any{"allowed": true}))
				if s := g.Body["service"].(map[string]any); s["directory_access"] != true || s["id"] != svc.ID || g.Body["model"] != nil {
					t.Fatalf("grant = %s", g.Raw)
				}
			}
			if !access() {
				t.Fatal("GET /v1/admin/services: no directory access after the grant")
			}
			granted := fmt.Sprintf("service.directory_granted admin %s map[allowed:true name:notes]", svc.ID)
			if got := entries(); len(got) != 1 || got[0] != granted {
				t.Fatalf("entries after two grants = %q, want [%q]", got, granted)
			}

			// Opted in: ann is a viewer through her group.
			in := n.must(201, n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel, "directory": true}))
			n.must(200, n.do("POST", "/v1/tuples", n.key, map[string]any{"writes": []any{tk("doc:1", "viewer", "group:"+gid+"#member")}}))
			if !check("user:" + ann.ID) {
				t.Fatal("opted in: ann is not a viewer of doc:1 through her group")
			}

			// Revoked: a new version that opts out, in effect when the
			// answer comes (no consistency token needed on this server).
			r := n.must(200, setAccess(adminKey, map[string]any{"allowed": false}))
			m, _ := r.Body["model"].(map[string]any)
			if s := r.Body["service"].(map[string]any); s["directory_access"] != false || m == nil ||
				m["directory"] != false || m["version"] != float64(3) || m["dsl"] != in.Body["dsl"] || m["id"] == in.Body["id"] {
				t.Fatalf("revoke = %s", r.Raw)
			}
			if check("user:" + ann.ID) {
				t.Error("after the revocation: ann is still a viewer of doc:1 through the directory's group")
			}
			if g := n.must(200, n.do("GET", "/v1/model", n.key, nil)); g.Body["id"] != m["id"] || g.Body["directory"] != false {
				t.Errorf("GET /v1/model after the revocation = %s", g.Raw)
			}
			if access() {
				t.Error("GET /v1/admin/services: directory access after the revocation")
			}
			revoked := fmt.Sprintf("service.directory_revoked admin %s map[allowed:false name:notes opted_out_model_id:%s opted_out_version:3]", svc.ID, m["id"])
			if got := entries(); len(got) != 2 || got[0] != revoked {
				t.Errorf("entries after the revocation = %q, want %q first", got, revoked)
			}
			// The service's own tuples stay; it cannot opt in again.
			wantErr(t, "opt in after the revocation", n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": dirDocModel, "directory": true}),
				403, "forbidden", "an administrator must grant it directory access")
			if ts := n.must(200, n.do("GET", "/v1/tuples?object=doc:1", n.key, nil)); len(ts.Body["tuples"].([]any)) != 1 {
				t.Errorf("GET /v1/tuples after the revocation = %s", ts.Raw)
			}

			// Revoking again writes and records nothing.
			before = n.snap(svc.ID)
			if r := n.must(200, setAccess(adminKey, map[string]any{"allowed": false})); r.Body["model"] != nil {
				t.Errorf("second revocation = %s", r.Raw)
			}
			if after := n.snap(svc.ID); after != before || len(entries()) != 2 {
				t.Errorf("second revocation changed something: %+v → %+v, entries %q", before, after, entries())
			}
		})
	}
}
