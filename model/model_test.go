package model

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// dsl builds a schema 1.1 model from lines; the header takes lines 1 and 2,
// so the first given line is line 3.
func dsl(lines ...string) string {
	return "model\n  schema 1.1\n" + strings.Join(lines, "\n") + "\n"
}

// githubModel is OpenFGA's classic GitHub example: teams, orgs and repos
// with roles inherited from the owning organization.
var githubModel = dsl(
	"type user",
	"type team",
	"  relations",
	"    define member: [user, team#member]",
	"type repo",
	"  relations",
	"    define admin: [user, team#member] or repo_admin from owner",
	"    define maintainer: [user, team#member] or admin",
	"    define owner: [organization]",
	"    define reader: [user, team#member] or triager or repo_reader from owner",
	"    define triager: [user, team#member] or writer",
	"    define writer: [user, team#member] or maintainer or repo_writer from owner",
	"type organization",
	"  relations",
	"    define member: [user] or owner",
	"    define owner: [user]",
	"    define repo_admin: [user, organization#member]",
	"    define repo_reader: [user, organization#member]",
	"    define repo_writer: [user, organization#member]",
)

func TestParseDSLValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dsl  string
	}{
		{"github", githubModel},
		{"single type", dsl("type user")},
		{"direct", dsl("type user", "type doc", "  relations", "    define viewer: [user]")},
		{"nested groups", dsl(
			"type user",
			"type group",
			"  relations",
			"    define member: [user, group#member]",
		)},
		{"parent chain", dsl(
			"type user",
			"type folder",
			"  relations",
			"    define parent: [folder]",
			"    define viewer: [user] or viewer from parent",
			"type doc",
			"  relations",
			"    define parent: [folder]",
			"    define viewer: [user] or viewer from parent",
		)},
		{"intersection", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define allowed: [user]",
			"    define viewer: [user] and allowed",
		)},
		{"exclusion", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define blocked: [user]",
			"    define viewer: [user] but not blocked",
		)},
		{"wildcard", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define viewer: [user, user:*]",
			"    define public: [user:*]",
		)},
		{"computed chain", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define owner: [user]",
			"    define editor: [user] or owner",
			"    define viewer: editor",
		)},
		{"nested operators", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define a: [user]",
			"    define b: [user]",
			"    define c: [user]",
			"    define viewer: (a or b) and (c but not (a and b))",
		)},
		{"userset on own type", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define viewer: [user, doc#viewer]",
		)},
		{"ttu to several types", dsl(
			"type user",
			"type folder",
			"  relations",
			"    define viewer: [user]",
			"type drive",
			"type doc",
			"  relations",
			"    define parent: [folder, drive]",
			"    define viewer: viewer from parent",
		)},
		{"mutual recursion with an exit", dsl(
			"type user",
			"type doc",
			"  relations",
			"    define a: [user] or b",
			"    define b: a",
		)},
		{"comments", "# a model\nmodel\n  schema 1.1 # version\ntype user # people\n# docs\ntype doc\n  relations\n    define viewer: [user] # who can see\n"},
		{"recursion through tuples only", dsl(
			"type user",
			"type group",
			"  relations",
			"    define member: [user, group#member]",
			"    define admin: [group#member]",
		)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseDSL(tc.dsl)
			if err != nil {
				t.Fatalf("ParseDSL: %v", err)
			}
			if m.DSL() != tc.dsl {
				t.Errorf("DSL() does not return the input")
			}
			if m.SchemaVersion() != "1.1" {
				t.Errorf("SchemaVersion() = %q", m.SchemaVersion())
			}
			back, err := ParseJSON([]byte(m.JSON()))
			if err != nil {
				t.Fatalf("ParseJSON(JSON()): %v", err)
			}
			if back.JSON() != m.JSON() {
				t.Errorf("JSON round trip differs:\n%s\n%s", m.JSON(), back.JSON())
			}
			again, err := ParseDSL(back.DSL())
			if err != nil {
				t.Fatalf("ParseDSL(generated DSL): %v\n%s", err, back.DSL())
			}
			if again.JSON() != m.JSON() {
				t.Errorf("DSL round trip differs:\n%s\n%s", m.JSON(), again.JSON())
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	m, err := ParseDSL(githubModel)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Types(), []string{"organization", "repo", "team", "user"}; !slices.Equal(got, want) {
		t.Errorf("Types() = %v, want %v", got, want)
	}
	if !m.HasType("repo") || m.HasType("nope") {
		t.Error("HasType wrong")
	}
	if got := m.Relations("organization"); !slices.Equal(got, []string{"member", "owner", "repo_admin", "repo_reader", "repo_writer"}) {
		t.Errorf("Relations(organization) = %v", got)
	}
	if m.Relations("user") != nil || m.Relations("nope") != nil {
		t.Error("Relations of a type without relations should be nil")
	}
	rw, ok := m.Relation("repo", "maintainer")
	if !ok || rw.GetUnion() == nil || len(rw.GetUnion().GetChild()) != 2 {
		t.Errorf("Relation(repo, maintainer) = %v, %v", rw, ok)
	}
	if _, ok := m.Relation("repo", "nope"); ok {
		t.Error("Relation(repo, nope) found")
	}
	if _, ok := m.Relation("nope", "admin"); ok {
		t.Error("Relation(nope, admin) found")
	}
	if !m.IsTupleset("repo", "owner") || m.IsTupleset("repo", "admin") {
		t.Error("IsTupleset wrong")
	}
	p := m.Proto()
	p.TypeDefinitions = nil
	if len(m.Proto().GetTypeDefinitions()) != 4 {
		t.Error("Proto() does not return a copy")
	}
	types := m.Types()
	types[0] = "changed"
	if m.Types()[0] != "organization" {
		t.Error("Types() does not return a copy")
	}
	if !strings.Contains(m.JSON(), `"schema_version":"1.1"`) || strings.Contains(m.JSON(), " ") {
		t.Errorf("JSON() is not canonical snake_case compact JSON: %s", m.JSON())
	}
}

// wantErr asserts err is an invalid-model error with a problem at line
// (0: any line) whose message contains msg.
func wantErr(t *testing.T, err error, line int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q at line %d", msg, line)
	}
	if !errors.Is(err, ErrInvalidModel) {
		t.Errorf("error does not wrap ErrInvalidModel: %v", err)
	}
	for _, e := range Errors(err) {
		if strings.Contains(e.Msg, msg) && (line == 0 || e.Line == line) {
			return
		}
	}
	t.Errorf("error %q has no problem at line %d mentioning %q", err, line, msg)
}

func TestParseDSLInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		dsl  string
		line int
		msg  string
	}{
		{"empty", "", 1, "syntax error"},
		{"no model header", "type user\n", 1, "syntax error"},
		{"dangling or", dsl("type user", "type doc", "  relations", "    define viewer: [user] or"), 6, "syntax error"},
		{"duplicate relation", dsl("type user", "type doc", "  relations", "    define viewer: [user]", "    define viewer: [user]"), 7, "'viewer' is already defined in 'doc'"},
		{"schema 1.0", "model\n  schema 1.0\ntype user\n", 2, "schema version 1.0 is not supported"},
		{"no types", "model\n  schema 1.1\n", 0, "defines no types"},
		{"duplicate type", dsl("type user", "type doc", "type user"), 5, "type user is defined more than once"},
		{"reserved relation", dsl("type user", "type doc", "  relations", "    define this: [user]"), 6, `relation name "this" is a reserved keyword`},
		{"reserved type", dsl("type self"), 3, `type name "self" is a reserved keyword`},
		{"condition", dsl("type user", "type doc", "  relations", "    define viewer: [user with in_time]",
			"condition in_time(x: int) {", "  x < 10", "}"), 6, "conditions are not supported (user with in_time)"},
		{"condition declaration", dsl("type user", "type doc", "  relations", "    define viewer: [user with in_time]",
			"condition in_time(x: int) {", "  x < 10", "}"), 7, "conditions are not supported (condition in_time)"},
		{"undefined user type", dsl("type user", "type doc", "  relations", "    define viewer: [usr]"), 6, "type usr is not defined"},
		{"undefined userset relation", dsl("type user", "type group", "  relations", "    define member: [user]",
			"type doc", "  relations", "    define viewer: [group#mem]"), 9, "relation mem is not defined on type group"},
		{"undefined wildcard type", dsl("type user", "type doc", "  relations", "    define viewer: [user, person:*]"), 6, "type person is not defined"},
		{"undefined computed relation", dsl("type user", "type doc", "  relations", "    define owner: [user]", "    define viewer: editor"), 7, "relation editor is not defined on type doc"},
		{"self reference", dsl("type user", "type doc", "  relations", "    define viewer: viewer"), 6, "doc#viewer refers to itself"},
		{"self reference in union", dsl("type user", "type doc", "  relations", "    define viewer: [user] or viewer"), 6, "doc#viewer refers to itself"},
		{"undefined tupleset", dsl("type user", "type doc", "  relations", "    define viewer: [user] or viewer from parent"), 6, `relation parent (in "viewer from parent") is not defined on type doc`},
		{"tupleset is a rewrite", dsl("type user", "type folder", "  relations", "    define viewer: [user]",
			"type doc", "  relations", "    define owner: [folder]", "    define parent: [folder] or owner", "    define viewer: viewer from parent"),
			11, "doc#parent is used as a tupleset"},
		{"tupleset holds a userset", dsl("type user", "type folder", "  relations", "    define viewer: [user]",
			"type doc", "  relations", "    define parent: [folder, folder#viewer]", "    define viewer: viewer from parent"),
			9, "may only hold plain object types, not folder#viewer"},
		{"tupleset holds a wildcard", dsl("type user", "type folder", "  relations", "    define viewer: [user]",
			"type doc", "  relations", "    define parent: [folder:*]", "    define viewer: viewer from parent"),
			9, "may only hold plain object types, not folder:*"},
		{"ttu relation on no type", dsl("type user", "type folder", "  relations", "    define viewer: [user]",
			"type doc", "  relations", "    define parent: [folder]", "    define viewer: editor from parent"),
			10, `relation editor (in "editor from parent") is not defined on any type doc#parent can hold (folder)`},
		{"computed loop", dsl("type user", "type doc", "  relations", "    define a: b", "    define b: a"), 6, "doc#a has no entrypoint"},
		{"computed loop second", dsl("type user", "type doc", "  relations", "    define a: b", "    define b: a"), 7, "doc#b has no entrypoint"},
		{"userset only loop", dsl("type user", "type group", "  relations", "    define member: [group#member]"), 6, "group#member has no entrypoint"},
		{"ttu loop", dsl("type folder", "  relations", "    define parent: [folder]", "    define viewer: viewer from parent"), 6, "folder#viewer has no entrypoint"},
		{"intersection without entrypoint", dsl("type user", "type doc", "  relations", "    define viewer: [user] and blocked", "    define blocked: viewer"),
			6, "doc#viewer has no entrypoint"},
		{"exclusion loop", dsl("type user", "type doc", "  relations", "    define viewer: [user] but not editor", "    define editor: viewer"),
			6, "doc#viewer has no entrypoint"},
		{"depends on a relation without entrypoint", dsl("type user", "type doc", "  relations", "    define a: b", "    define b: a", "    define c: [user] and a"),
			8, "doc#c has no entrypoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseDSL(tc.dsl)
			if m != nil {
				t.Errorf("got a model with the error")
			}
			wantErr(t, err, tc.line, tc.msg)
		})
	}
}

func TestErrorPositions(t *testing.T) {
	t.Parallel()
	_, err := ParseDSL(dsl("type user", "type doc", "  relations", "    define viewer: [user] or editr"))
	es := Errors(err)
	if len(es) != 1 {
		t.Fatalf("Errors() = %v", es)
	}
	if es[0].Line != 6 || es[0].Column != 30 {
		t.Errorf("position = %d:%d, want 6:30 (the misspelt relation)", es[0].Line, es[0].Column)
	}
	if want := "line 6, column 30: doc#viewer: relation editr is not defined on type doc"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}

	_, err = ParseDSL(dsl("type user", "type doc", "  relations", "    define viewer: [user] or"))
	es = Errors(err)
	if len(es) == 0 || es[0].Line != 6 || es[0].Column == 0 || !strings.Contains(es[0].Msg, "mismatched input") {
		t.Errorf("syntax error = %#v, want the parser's message at line 6", es)
	}
}

func TestAllProblemsReported(t *testing.T) {
	t.Parallel()
	_, err := ParseDSL(dsl(
		"type user",
		"type doc",
		"  relations",
		"    define viewer: [usr]",
		"    define editor: ownr",
		"type doc",
	))
	es := Errors(err)
	if len(es) != 3 {
		t.Fatalf("got %d problems, want 3: %v", len(es), err)
	}
	for i, line := range []int{6, 7, 8} {
		if es[i].Line != line {
			t.Errorf("problem %d at line %d, want %d: %v", i, es[i].Line, line, es[i])
		}
	}
	if !errors.Is(err, ErrInvalidModel) {
		t.Error("joined error does not wrap ErrInvalidModel")
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Line: 3, Column: 10, Msg: "bad"}, "line 3, column 10: bad"},
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{Error{Msg: "bad"}, "bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if Errors(nil) != nil {
		t.Error("Errors(nil) != nil")
	}
}
