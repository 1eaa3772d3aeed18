package model

import "testing"

// FuzzParseDSL checks that no input makes the parser panic or produce a
// model whose canonical JSON does not parse back to the same model. Under
// plain `go test` it only runs the seeds.
func FuzzParseDSL(f *testing.F) {
	f.Add(githubModel)
	f.Add(docsModel)
	f.Add(dsl("type user", "type doc", "  relations", "    define viewer: [user with c] or (a and b but not c) or x from y"))
	f.Add("model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user, ] or\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseDSL(s)
		if err != nil {
			if len(Errors(err)) == 0 {
				t.Fatalf("error without *Error: %v", err)
			}
			return
		}
		back, err := ParseJSON([]byte(m.JSON()))
		if err != nil {
			t.Fatalf("ParseJSON(JSON()): %v", err)
		}
		if back.JSON() != m.JSON() {
			t.Fatalf("JSON round trip differs")
		}
	})
}

// FuzzParseJSON does the same for JSON input, including the field-name
// normalisation and the DSL generation.
func FuzzParseJSON(f *testing.F) {
	f.Add(jsonModel)
	f.Add(camelModel)
	f.Add(`{"schema_version": "1.1", "type_definitions": [{"type": "user"}, {"type": "doc", "relations": {"v": {"difference": {"base": {"this": {}}}}}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseJSON([]byte(s))
		if err != nil {
			if len(Errors(err)) == 0 {
				t.Fatalf("error without *Error: %v", err)
			}
			return
		}
		again, err := ParseDSL(m.DSL())
		if err != nil {
			t.Fatalf("generated DSL does not parse: %v\n%s", err, m.DSL())
		}
		// The DSL may order a union differently from the JSON (direct
		// assignment first), so compare the DSL generated from both.
		back, err := ParseJSON([]byte(again.JSON()))
		if err != nil {
			t.Fatalf("ParseJSON(JSON()): %v", err)
		}
		if back.DSL() != m.DSL() {
			t.Fatalf("DSL round trip differs:\n%s\n%s", m.DSL(), back.DSL())
		}
	})
}
