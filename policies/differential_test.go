package policies_test

import (
	"slices"
	"testing"
)

// TestAgainstOriginalRules compares every check (view and edit, every user
// with every resource, across workspaces) and every user's lists on a
// generated population with the original's rules evaluated on the rows
// (dataset.allowed).
func TestAgainstOriginalRules(t *testing.T) {
	d := generate(dataConfig{workspaces: 3, members: 8, groups: 4, resources: 40, seed: 1})
	w := newWorld(t)
	w.write(d.tuples(), nil)
	wrong := 0
	for _, u := range d.users {
		for _, action := range []string{"view", "edit"} {
			var want []string
			for _, r := range d.resources {
				exp := d.allowed(u, r, action)
				if exp {
					want = append(want, r.id)
				}
				if got := w.check(u, r.id, action); got != exp {
					if wrong++; wrong <= 10 {
						t.Errorf("check %s %s %s: got %v, the original's rules say %v", u, action, r.id, got, exp)
					}
				}
			}
			slices.Sort(want)
			if got := w.list(u, action); !slices.Equal(got, want) {
				t.Errorf("list %s %s: got %d resources, the original's rules give %d", u, action, len(got), len(want))
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d checks disagree with the original's rules", wrong)
	}
}
