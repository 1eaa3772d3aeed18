package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// TestRoleUpdateRecordedByItsWrite: PATCH /admin/roles/{id} records a
// rename by what its own write changed, not by the role it read before:
// a rename committed in between must not leave the route's real rename
// without its entry, nor make it record one it did not make.
func TestRoleUpdateRecordedByItsWrite(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := &racingStore{Store: open(t)}
			w := startWS(t, st)
			wid := w.createWorkspace(w.user("owner"), "team")
			ctx := context.Background()
			role, err := st.CreateRole(ctx, wid, "Alpha", "", "")
			if err != nil {
				t.Fatal(err)
			}
			rename := func(name string) {
				if _, err := st.Store.UpdateRole(ctx, role.ID, store.RBACRoleUpdate{Name: &name}); err != nil {
					t.Error(err)
				}
			}
			// entries lists the role.updated entries, oldest first, as
			// "previous_name→name".
			entries := func() []string {
				t.Helper()
				es, _, err := st.ListActivity(ctx, store.ActivityFilter{Action: "role.updated"}, 1, 1000)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for i := len(es) - 1; i >= 0; i-- {
					var d map[string]any
					if err := json.Unmarshal(es[i].Detail, &d); err != nil {
						t.Fatal(err)
					}
					out = append(out, fmt.Sprintf("%v→%v", d["previous_name"], d["name"]))
				}
				return out
			}
			patch := func(name string, race func()) {
				t.Helper()
				st.next(race)
				w.must(200, w.adm("PATCH", "/admin/roles/"+role.ID, map[string]any{"name": name}))
			}

			// The route reads Alpha and asks for Alpha; Beta commits in
			// between, so the route's write renames Beta to Alpha.
			patch("Alpha", func() { rename("Beta") })
			if got := entries(); len(got) != 1 || got[0] != "Beta→Alpha" {
				t.Errorf("entries after a rename the route's write made: %v, want [Beta→Alpha]", got)
			}
			// The route reads Alpha and asks for Beta; Beta commits in
			// between, so the route's write changes nothing.
			before := len(entries())
			patch("Beta", func() { rename("Beta") })
			if got := entries(); len(got) != before {
				t.Errorf("entries after a PATCH whose write changed nothing: %v, want none new", got[before:])
			}
		})
	}
}
