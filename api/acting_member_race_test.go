package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// TestMemberChecksHoldAtTheWrite: the workspace routes' role rules hold
// against the roles as they are when the change is written, not as the
// route read them: an admin cannot demote or remove a member who became an
// owner in between, and an admin demoted in between changes nothing.
func TestMemberChecksHoldAtTheWrite(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &racingStore{Store: open(t)}
			w := startWS(t, st)
			owner, admin := w.user("owner"), w.user("admin")
			ann, bea := w.user("ann"), w.user("bea")
			wid := w.createWorkspace(owner, "team")
			w.addMember(wid, admin, store.RoleAdmin)
			w.addMember(wid, ann, store.RoleEditor)
			w.addMember(wid, bea, store.RoleEditor)
			adminTok := w.as(admin, wid)
			set := func(u string, role store.Role) func() {
				return func() {
					if _, err := st.Store.SetRole(context.Background(), wid, u, role); err != nil {
						t.Error(err)
					}
				}
			}
			race := st.next
			role := func(u store.User) store.Role {
				m, err := st.Membership(context.Background(), wid, u.ID)
				if err != nil {
					return ""
				}
				return m.Role
			}

			// ann is made an owner after the route checked her role.
			race(set(ann.ID, store.RoleOwner))
			if r := w.do("PATCH", "/workspaces/"+wid+"/members/"+ann.ID, adminTok, map[string]any{"role": "viewer"}); r.Status != 403 {
				t.Errorf("an admin demoting a member made owner meanwhile: %d %s, want 403", r.Status, r.Raw)
			}
			if got := role(ann); got != store.RoleOwner {
				t.Errorf("ann's role after the refused demotion: %q, want owner", got)
			}
			race(set(bea.ID, store.RoleOwner))
			if r := w.do("DELETE", "/workspaces/"+wid+"/members/"+bea.ID, adminTok, nil); r.Status != 403 {
				t.Errorf("an admin removing a member made owner meanwhile: %d %s, want 403", r.Status, r.Raw)
			}
			if got := role(bea); got != store.RoleOwner {
				t.Errorf("bea's role after the refused removal: %q, want owner", got)
			}

			// The admin is demoted after the route checked their role.
			carl := w.user("carl")
			w.addMember(wid, carl, store.RoleEditor)
			race(set(admin.ID, store.RoleViewer))
			if r := w.do("PATCH", "/workspaces/"+wid+"/members/"+carl.ID, adminTok, map[string]any{"role": "viewer"}); r.Status != 403 {
				t.Errorf("an admin demoted meanwhile changing a role: %d %s, want 403", r.Status, r.Raw)
			}
			if got := role(carl); got != store.RoleEditor {
				t.Errorf("carl's role after the refused change: %q, want editor", got)
			}

			// Without a race the same routes work for an owner.
			ownerTok := w.as(owner, wid)
			if r := w.do("PATCH", "/workspaces/"+wid+"/members/"+ann.ID, ownerTok, map[string]any{"role": "viewer"}); r.Status != 200 {
				t.Errorf("the owner demoting an owner: %d %s", r.Status, r.Raw)
			}
			if r := w.do("DELETE", "/workspaces/"+wid+"/members/"+bea.ID, ownerTok, nil); r.Status != 204 {
				t.Errorf("the owner removing an owner: %d %s", r.Status, r.Raw)
			}

			// A removal is recorded with the role it removed, on both
			// routes, not with the role the route read before.
			for _, rt := range []struct {
				name   string
				remove func(u store.User) int
			}{
				{"workspace", func(u store.User) int {
					return w.do("DELETE", "/workspaces/"+wid+"/members/"+u.ID, ownerTok, nil).Status
				}},
				{"admin", func(u store.User) int {
					return w.adm("DELETE", "/admin/workspaces/"+wid+"/members/"+u.ID, nil).Status
				}},
			} {
				dan := w.user("dan-" + rt.name)
				w.addMember(wid, dan, store.RoleEditor)
				race(set(dan.ID, store.RoleViewer))
				if got := rt.remove(dan); got != 204 {
					t.Fatalf("%s: removing dan: %d", rt.name, got)
				}
				es, _, err := st.ListActivity(context.Background(), store.ActivityFilter{Action: "member.removed", WorkspaceID: wid}, 1, 100)
				if err != nil {
					t.Fatal(err)
				}
				var roles []string
				for _, e := range es {
					if e.TargetID == dan.ID {
						var d map[string]any
						if err := json.Unmarshal(e.Detail, &d); err != nil {
							t.Fatal(err)
						}
						roles = append(roles, fmt.Sprint(d["role"]))
					}
				}
				if len(roles) != 1 || roles[0] != "viewer" {
					t.Errorf("%s: member.removed entries of dan record roles %v, want [viewer]", rt.name, roles)
				}
			}
		})
	}
}
