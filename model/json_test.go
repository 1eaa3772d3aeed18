package model

import (
	"slices"
	"strings"
	"testing"
)

// jsonModel is one model in OpenFGA's JSON form, snake_case as the HTTP API
// returns it.
const jsonModel = `{
  "schema_version": "1.1",
  "type_definitions": [
    {"type": "user"},
    {"type": "folder", "relations": {"viewer": {"this": {}}},
     "metadata": {"relations": {"viewer": {"directly_related_user_types": [{"type": "user"}]}}}},
    {"type": "doc",
     "relations": {
       "parent": {"this": {}},
       "viewer": {"union": {"child": [
         {"this": {}},
         {"tupleToUserset": {"tupleset": {"relation": "parent"}, "computedUserset": {"relation": "viewer"}}}
       ]}}
     },
     "metadata": {"relations": {
       "parent": {"directly_related_user_types": [{"type": "folder"}]},
       "viewer": {"directly_related_user_types": [{"type": "user"}, {"type": "user", "wildcard": {}}]}
     }}}
  ]
}`

// camelModel is jsonModel with protojson's camelCase field names.
var camelModel = strings.NewReplacer(
	"schema_version", "schemaVersion",
	"type_definitions", "typeDefinitions",
	"directly_related_user_types", "directlyRelatedUserTypes",
).Replace(jsonModel)

func TestParseJSON(t *testing.T) {
	t.Parallel()
	snake, err := ParseJSON([]byte(jsonModel))
	if err != nil {
		t.Fatalf("snake_case: %v", err)
	}
	camel, err := ParseJSON([]byte(camelModel))
	if err != nil {
		t.Fatalf("camelCase: %v", err)
	}
	if snake.JSON() != camel.JSON() {
		t.Errorf("snake_case and camelCase differ:\n%s\n%s", snake.JSON(), camel.JSON())
	}
	fromDSL, err := ParseDSL(snake.DSL())
	if err != nil {
		t.Fatalf("generated DSL does not parse: %v\n%s", err, snake.DSL())
	}
	if fromDSL.JSON() != snake.JSON() {
		t.Errorf("DSL round trip differs:\n%s\n%s", snake.JSON(), fromDSL.JSON())
	}
	if !strings.Contains(snake.DSL(), "define viewer: [user, user:*] or viewer from parent") {
		t.Errorf("generated DSL:\n%s", snake.DSL())
	}
	again, err := ParseJSON([]byte(snake.JSON()))
	if err != nil || again.JSON() != snake.JSON() {
		t.Errorf("JSON round trip: %v\n%s\n%s", err, snake.JSON(), again.JSON())
	}
}

func TestParseJSONInvalid(t *testing.T) {
	t.Parallel()
	const user = `{"type": "user"}`
	// doc wraps relations and metadata into a model with types user and doc.
	doc := func(relations, metadata string) string {
		return `{"schema_version": "1.1", "type_definitions": [` + user +
			`, {"type": "doc", "relations": {` + relations + `}, "metadata": {"relations": {` + metadata + `}}}]}`
	}
	direct := `"viewer": {"directly_related_user_types": [{"type": "user"}]}`
	tests := []struct {
		name string
		js   string
		line int
		msg  string
	}{
		{"syntax", "{\n  \"schema_version\": \"1.1\",\n  \"type_definitions\": [ {\"type\" ]\n}", 3, "invalid JSON"},
		{"not an object", `[]`, 0, "invalid JSON"},
		{"schema 1.0", `{"schema_version": "1.0", "type_definitions": [` + user + `]}`, 0, "schema version 1.0 is not supported"},
		{"no schema", `{"type_definitions": [` + user + `]}`, 0, "no schema version"},
		{"no types", `{"schema_version": "1.1"}`, 0, "defines no types"},
		{"empty type name", `{"schema_version": "1.1", "type_definitions": [{"type": ""}]}`, 0, "empty type name"},
		{"invalid type name", `{"schema_version": "1.1", "type_definitions": [{"type": "a:b"}]}`, 0, `invalid type name "a:b"`},
		{"invalid relation name", doc(`"a b": {"this": {}}`, `"a b": {"directly_related_user_types": [{"type": "user"}]}`), 0, `invalid relation name "a b"`},
		{"reserved relation", doc(`"self": {"this": {}}`, `"self": {"directly_related_user_types": [{"type": "user"}]}`), 0, `"self" is a reserved keyword`},
		{"this without types", doc(`"viewer": {"this": {}}`, ``), 0, "doc#viewer is directly assignable but allows no user types"},
		{"types without this", doc(`"owner": {"this": {}}, "viewer": {"computedUserset": {"relation": "owner"}}`,
			`"owner": {"directly_related_user_types": [{"type": "user"}]}, `+direct), 0, "doc#viewer lists user types but its rewrite has no direct assignment"},
		{"empty rewrite", doc(`"viewer": {}`, ``), 0, "doc#viewer: empty rewrite"},
		{"empty union", doc(`"viewer": {"union": {"child": []}}`, ``), 0, "union with no operands"},
		{"exclusion without subtract", doc(`"viewer": {"difference": {"base": {"this": {}}}}`, direct), 0, "needs both a base and a subtracted rewrite"},
		{"computed without relation", doc(`"viewer": {"computedUserset": {}}`, ``), 0, "names no relation"},
		{"conditions", `{"schema_version": "1.1", "type_definitions": [` + user + `], "conditions": {"c": {"name": "c", "expression": "true"}}}`, 0, "conditions are not supported (condition c)"},
		{"condition on a type", doc(`"viewer": {"this": {}}`, `"viewer": {"directly_related_user_types": [{"type": "user", "condition": "c"}]}`), 0, "conditions are not supported (user with c)"},
		{"name not a DSL identifier", `{"schema_version": "1.1", "type_definitions": [{"type": "0000"}]}`, 0, "cannot be expressed in the DSL"},
		{"undefined user type", doc(`"viewer": {"this": {}}`, `"viewer": {"directly_related_user_types": [{"type": "usr"}]}`), 0, "doc#viewer: user type usr: type usr is not defined"},
		{"two direct assignments", doc(`"owner": {"this": {}}, "viewer": {"union": {"child": [{"computedUserset": {"relation": "owner"}}, {"intersection": {"child": [{"this": {}}, {"computedUserset": {"relation": "owner"}}]}}, {"this": {}}]}}`,
			`"owner": {"directly_related_user_types": [{"type": "user"}]}, `+direct), 0, "cannot be expressed in the DSL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseJSON([]byte(tc.js))
			if m != nil {
				t.Errorf("got a model with the error")
			}
			wantErr(t, err, tc.line, tc.msg)
		})
	}
}

func TestParseJSONFieldNames(t *testing.T) {
	t.Parallel()
	// camelCase field names everywhere, and names (types, relations) that are
	// themselves camelCase or look like field names: those must be kept.
	const js = `{"schemaVersion": "1.1", "unknownField": 1, "typeDefinitions": [
	  {"type": "user"},
	  {"type": "myDoc",
	   "relations": {
	     "typeDefinitions": {"this": {}},
	     "canView": {"union": {"child": [{"this": {}}, {"computed_userset": {"relation": "typeDefinitions"}}]}}},
	   "metadata": {"relations": {
	     "typeDefinitions": {"directlyRelatedUserTypes": [{"type": "user"}]},
	     "canView": {"directlyRelatedUserTypes": [{"type": "user", "wildcard": {}}]}}}}]}`
	m, err := ParseJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Relations("myDoc"), []string{"canView", "typeDefinitions"}) {
		t.Errorf("Relations(myDoc) = %v", m.Relations("myDoc"))
	}
	if got := m.DirectTypes("myDoc", "canView"); len(got) != 1 || got[0].ID != "*" {
		t.Errorf("DirectTypes(myDoc, canView) = %v", got)
	}

	_, err = ParseJSON([]byte(`{"schemaVersion": "1.1", "schema_version": "1.1", "type_definitions": [{"type": "user"}]}`))
	wantErr(t, err, 0, "schema_version is given twice")
}
