package compiler

import (
	"fmt"
	"strings"
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

// TestPlainQuery: flattened and membership relations of the fast variant
// have an entry for plain users that does not test the input's kind; other
// relations, and the careful variant, answer every user with Query's entry.
func TestPlainQuery(t *testing.T) {
	t.Parallel()
	m, err := model.ParseDSL(`model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, user:*, group#member] or owner or viewer from parent
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, careful := range []bool{false, true} {
		c, err := Compile(m, Options{Package: "p", ServiceID: "svc", TrackCycles: careful})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range [][2]string{{"folder", "viewer"}, {"group", "member"}, {"folder", "owner"}} {
			q, _ := c.Query(k[0], k[1])
			pq, ok := c.PlainQuery(k[0], k[1])
			special := !careful && k != [2]string{"folder", "owner"}
			if !ok || (pq != q) == !special {
				t.Errorf("careful=%v %s#%s: PlainQuery %q, Query %q", careful, k[0], k[1], pq, q)
				continue
			}
			if !special {
				continue
			}
			fn := pq[len("data.p.") : len(pq)-len("(input.id)")]
			start := strings.Index(c.Module, "\n"+fn+"(id)")
			if start < 0 {
				t.Fatalf("%s not in the module", fn)
			}
			body := c.Module[start:]
			body = body[:strings.Index(body, "else := false\n")]
			if strings.Contains(body, "input.urel") || strings.Contains(body, `input.uid != "*"`) {
				t.Errorf("%s tests the kind of user:\n%s", fn, body)
			}
		}
	}
	if _, ok := (&Compiled{}).PlainQuery("folder", "nope"); ok {
		t.Error("PlainQuery of an unknown relation")
	}
}
