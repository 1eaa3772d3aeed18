package policies_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
)

// dirTypes are the directory types as default_model.fga defines them.
const dirTypes = testenv.DirectoryTypes

const dirDoc = `
type doc
  relations
    define viewer: [user, workspace#member, group#member]
`

// TestCheckDirectory: a model takes the directory only if every tuple the
// store writes for workspaces and groups is valid in it; a refusal names
// the type and relation at fault.
func TestCheckDirectory(t *testing.T) {
	const head = "model\n  schema 1.1\n"
	cases := []struct {
		name string
		dsl  string
		want string // "" accepts; else a part of the error
	}{
		{"the default model", policies.DefaultModel, ""},
		{"the directory types and a doc", head + dirTypes + dirDoc, ""},
		{"extra relations and types", head + strings.Replace(dirTypes, "define member: viewer", "define member: viewer\n    define billing: [user] or owner", 1) +
			"type team\n  relations\n    define member: [user, group#member]\n" + dirDoc, ""},
		{"member redefined", head + strings.Replace(dirTypes, "define member: viewer", "define member: [user]", 1), ""},
		{"roles admitting more", head + strings.Replace(dirTypes, "define owner: [user]", "define owner: [user, group#member]", 1), ""},
		{"no group type", head + "type user\ntype workspace\n  relations\n    define owner: [user]\n    define admin: [user]\n    define editor: [user]\n    define viewer: [user]\n    define member: viewer\n",
			"type group is not defined"},
		{"no workspace type", head + "type user\ntype group\n  relations\n    define member: [user, group#member]\n", "type workspace is not defined"},
		{"no group#workspace", head + strings.Replace(dirTypes, "    define workspace: [workspace]\n", "", 1), "relation group#workspace is not defined"},
		{"workspace#member missing", head + strings.Replace(dirTypes, "    define member: viewer\n", "", 1), "relation workspace#member is not defined"},
		{"member without nesting", head + strings.Replace(dirTypes, "define member: [user, group#member]", "define member: [user]", 1),
			"group#member must admit group#member"},
		{"member without users", head + strings.Replace(dirTypes, "define member: [user, group#member]", "define member: [workspace, group#member]", 1),
			"group#member must admit user"},
		{"computed role", head + strings.Replace(dirTypes, "define admin: [user] or owner", "define admin: owner", 1),
			"workspace#admin must admit user"},
		{"wildcard only", head + strings.Replace(dirTypes, "define viewer: [user] or editor", "define viewer: [user:*] or editor", 1),
			"workspace#viewer must admit user"},
		{"group#workspace to another type", head + strings.Replace(dirTypes, "define workspace: [workspace]", "define workspace: [user]", 1),
			"group#workspace must admit workspace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := model.ParseDSL(tc.dsl)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			err = policies.CheckDirectory(m, store.DirectoryTypes)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.Is(err, policies.ErrDirectoryModel) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want ErrDirectoryModel with %q", err, tc.want)
			}
		})
	}
}

// TestDirectoryTypesFixture: the directory types the tests write their
// models with (testenv.DirectoryTypes) are the default model's.
func TestDirectoryTypesFixture(t *testing.T) {
	fixture, err := model.ParseDSL("model\n  schema 1.1\n" + testenv.DirectoryTypes)
	if err != nil {
		t.Fatal(err)
	}
	def, err := model.ParseDSL(policies.DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"user", "workspace", "group"} {
		if got, want := fixture.Relations(typ), def.Relations(typ); !slices.Equal(got, want) {
			t.Errorf("%s: fixture relations %v, default model %v", typ, got, want)
			continue
		}
		for _, rel := range def.Relations(typ) {
			got, _ := fixture.Relation(typ, rel)
			want, _ := def.Relation(typ, rel)
			if !proto.Equal(got, want) {
				t.Errorf("%s#%s: fixture %v, default model %v", typ, rel, got, want)
			}
			if fmt.Sprint(fixture.DirectTypes(typ, rel)) != fmt.Sprint(def.DirectTypes(typ, rel)) {
				t.Errorf("%s#%s: fixture admits %v, default model %v", typ, rel, fixture.DirectTypes(typ, rel), def.DirectTypes(typ, rel))
			}
		}
	}
}
