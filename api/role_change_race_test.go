package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// TestRoleChangeRecordedByItsWrite: both PATCH …/members/{user_id} routes
// record a role change, and the /admin one revokes the member's tokens, by
// what their own write did, not by the role they read before it. A change
// that commits in between must not leave the route's real change without
// its entry and revocation (a token of the role in between stays valid),
// nor make it record a change it did not make.
func TestRoleChangeRecordedByItsWrite(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &racingStore{Store: open(t)}
			w := startWS(t, st)
			owner := w.user("owner")
			wid := w.createWorkspace(owner, "team")
			// A member of its own per route: a revocation lets through
			// tokens of the next second on, so each member's first
			// revocation is the one under test.
			routes := []struct {
				name  string
				actor store.ActorType
				patch func(ann store.User, role store.Role) int
			}{
				{"admin", store.ActorAdmin, func(ann store.User, role store.Role) int {
					return w.adm("PATCH", "/admin/workspaces/"+wid+"/members/"+ann.ID, map[string]any{"role": role}).Status
				}},
				{"workspace", store.ActorUser, func(ann store.User, role store.Role) int {
					return w.do("PATCH", "/workspaces/"+wid+"/members/"+ann.ID, w.as(owner, wid), map[string]any{"role": role}).Status
				}},
			}
			for _, rt := range routes {
				ann := w.user("member-of-" + rt.name)
				w.addMember(wid, ann, store.RoleViewer)
				// entries returns the route's role_changed entries of ann,
				// oldest first, as "previous→role".
				entries := func() []string {
					t.Helper()
					es, _, err := st.ListActivity(context.Background(), store.ActivityFilter{Action: "member.role_changed", WorkspaceID: wid}, 1, 1000)
					if err != nil {
						t.Fatal(err)
					}
					var out []string
					for i := len(es) - 1; i >= 0; i-- {
						if e := es[i]; e.ActorType == rt.actor && e.TargetID == ann.ID {
							var d map[string]any
							if err := json.Unmarshal(e.Detail, &d); err != nil {
								t.Fatal(err)
							}
							out = append(out, fmt.Sprintf("%v→%v", d["previous_role"], d["role"]))
						}
					}
					return out
				}
				setRole := func(role store.Role) {
					if _, err := st.Store.SetRole(context.Background(), wid, ann.ID, role); err != nil {
						t.Error(err)
					}
				}
				before := len(entries())

				// The route reads viewer and asks for viewer; an editor
				// role commits in between, and ann takes an editor token.
				// The route's write then demotes ann: recorded, and, on
				// the admin route, the editor token revoked.
				var editorToken string
				st.next(func() {
					setRole(store.RoleEditor)
					editorToken = w.tok.AccessAt(t, time.Now(), ann.ID, wid, store.RoleEditor)
				})
				if got := rt.patch(ann, store.RoleViewer); got != 200 {
					t.Fatalf("%s: PATCH role viewer = %d", rt.name, got)
				}
				if m, _ := st.Membership(context.Background(), wid, ann.ID); m.Role != store.RoleViewer {
					t.Fatalf("%s: role after the PATCH %q, want viewer", rt.name, m.Role)
				}
				got := entries()
				want := "editor→viewer"
				if len(got) != before+1 || got[len(got)-1] != want {
					t.Errorf("%s: entries after a demotion the route's write made: %v, want one more, %s", rt.name, got[before:], want)
				}
				if r := w.do("GET", "/users/me", editorToken, nil); r.Status != 401 {
					t.Errorf("%s: the editor token after the demotion: GET /users/me = %d, want 401", rt.name, r.Status)
				}

				// The route reads viewer and asks for editor; the same
				// change commits in between, so its write changes
				// nothing: no entry.
				before = len(entries())
				st.next(func() { setRole(store.RoleEditor) })
				if got := rt.patch(ann, store.RoleEditor); got != 200 {
					t.Fatalf("%s: PATCH role editor = %d", rt.name, got)
				}
				if got := entries(); len(got) != before {
					t.Errorf("%s: entries after a PATCH whose write changed nothing: %v, want none", rt.name, got[before:])
				}
			}
		})
	}
}
