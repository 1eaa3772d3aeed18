package compiler

import (
	"fmt"
	"testing"

	"github.com/sentinel-auth/sentinel/model"
)

// TestFlattened: which relations the engine keeps effective subjects for.
func TestFlattened(t *testing.T) {
	t.Parallel()
	const head = "model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user, group#member]\n"
	cases := []struct {
		name, types string
		want        map[[2]string]bool
	}{
		{"a parent chain with groups and wildcards", `type folder
  relations
    define parent: [folder]
    define viewer: [user, user:*, group#member] or viewer from parent
`, map[[2]string]bool{{"folder", "viewer"}: true}},
		{"no tuple-to-userset step: the walk is short already", `type doc
  relations
    define owner: [user]
    define viewer: [user] or owner
`, map[[2]string]bool{}},
		{"an exclusion is not a union of subjects", `type folder
  relations
    define parent: [folder]
    define blocked: [user]
    define viewer: ([user] or viewer from parent) but not blocked
`, map[[2]string]bool{}},
		{"reaching a relation with an intersection", `type folder
  relations
    define parent: [folder]
    define a: [user]
    define b: [user]
    define both: a and b
    define viewer: [user] or both or viewer from parent
`, map[[2]string]bool{}},
		{"a cycle of computed relations", `type folder
  relations
    define parent: [folder]
    define a: [user] or b or a from parent
    define b: [user] or a
`, map[[2]string]bool{}},
		{"a userset that is neither closable nor bounded", `type team
  relations
    define lead: [user]
    define member: [user, team#lead] or lead or member from parent
    define parent: [team]
type folder
  relations
    define parent: [folder]
    define viewer: [user, team#member] or viewer from parent
`, map[[2]string]bool{{"team", "member"}: true}},
		{"a bounded userset; a document reads its folder's chain", `type team
  relations
    define member: [user]
type folder
  relations
    define parent: [folder]
    define viewer: [user, team#member] or viewer from parent
type doc
  relations
    define parent: [folder]
    define viewer: [user] or viewer from parent
`, map[[2]string]bool{{"folder", "viewer"}: true, {"doc", "viewer"}: true}},
	}
	for _, c := range cases {
		m, err := model.ParseDSL(head + c.types)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := Flattened(m); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: Flattened = %v, want %v", c.name, got, c.want)
		}
	}
}
