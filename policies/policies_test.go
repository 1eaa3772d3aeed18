package policies_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/engine/compiler"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// TestDefaultModelCompiles: the shipped model parses, keeps its text, and
// compiles to Rego as the server compiles it (both variants).
func TestDefaultModelCompiles(t *testing.T) {
	m, err := policies.Default()
	if err != nil {
		t.Fatal(err)
	}
	if m.DSL() != policies.DefaultModel {
		t.Error("the parsed model does not keep the shipped text")
	}
	if want := []string{"group", "resource", "user", "workspace"}; !slices.Equal(m.Types(), want) {
		t.Errorf("types: got %v, want %v", m.Types(), want)
	}
	for _, rel := range []string{"view", "edit", "manager"} {
		if !m.HasRelation("resource", rel) {
			t.Errorf("resource#%s is missing", rel)
		}
	}
	if _, _, err := engine.Compile(store.SystemServiceID, m, compiler.DefaultMaxDepth); err != nil {
		t.Fatalf("compile: %v", err)
	}
}

// TestTupleSchema: every tuple shape the store writes is admitted by the
// model, and shapes outside the schema are refused, so a store bug cannot
// slip a grant in through a tuple the model was not written for.
func TestTupleSchema(t *testing.T) {
	m, err := policies.Default()
	if err != nil {
		t.Fatal(err)
	}
	u := userRef("9b2d6f4e-7c55-4c8e-9d0c-3f1a2b3c4d5e")
	ws := tuple.User{Type: "workspace", ID: acme}
	grp := tuple.User{Type: "group", ID: "5d1f6a3e-1b2c-4d5e-8f90-a1b2c3d4e5f6", Relation: "member"}
	res := rid("doc")
	parent := tuple.User{Type: "resource", ID: rid("folder")}
	cases := []struct {
		tuple tuple.Tuple
		ok    bool
	}{
		{member(acme, u.ID, "owner"), true},
		{member(acme, u.ID, "admin"), true},
		{member(acme, u.ID, "editor"), true},
		{member(acme, u.ID, "viewer"), true},
		{tp("group", "g", "workspace", ws), true},
		{tp("group", "g", "member", u), true},
		{tp("group", "g", "member", grp), true},
		{tp("resource", res, "workspace", ws), true},
		{tp("resource", res, "owner", u), true},
		{tp("resource", res, "parent", parent), true},
		{tp("resource", res, "visible_to", tuple.User{Type: "workspace", ID: acme, Relation: "member"}), true},
		{tp("resource", res, "editable_by", tuple.User{Type: "workspace", ID: acme, Relation: "editor"}), true},
		{tp("resource", res, "shared_viewer", u), true},
		{tp("resource", res, "shared_viewer", grp), true},
		{tp("resource", res, "shared_editor", u), true},
		{tp("resource", res, "shared_editor", grp), true},

		// Outside the schema.
		{member(acme, u.ID, "member"), false},         // member is computed, never assigned
		{tp("workspace", acme, "viewer", grp), false}, // roles go to users only
		{tp("resource", res, "owner", grp), false},    // a group owns nothing
		{tp("resource", res, "view", u), false},       // permissions are computed
		{tp("resource", res, "edit", u), false},
		{tp("resource", res, "manager", u), false},
		{tp("resource", res, "shared_viewer", tuple.User{Type: "user", ID: "*"}), false}, // no public shares
		{tp("resource", res, "visible_to", ws), false},                                   // visibility names the member set
		{tp("resource", res, "parent", tuple.User{Type: "group", ID: "g"}), false},
		{tp("group", "g", "member", tuple.User{Type: "workspace", ID: acme, Relation: "member"}), false},
	}
	for _, c := range cases {
		err := m.ValidateTuple(c.tuple)
		if c.ok && err != nil {
			t.Errorf("%s is refused: %v", c.tuple, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s is admitted, but it is outside the schema", c.tuple)
		}
		if !c.ok && err != nil && !errors.Is(err, model.ErrInvalidTuple) {
			t.Errorf("%s: refused with %v, want model.ErrInvalidTuple", c.tuple, err)
		}
	}
}
