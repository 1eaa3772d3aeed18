package engine

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestPreparedQueryAnswer: a prepared call answers true only when the
// function's value is true, for the id it is given, on evaluation after
// evaluation of the same pooled query; a query that does not pass input.id
// first is refused.
func TestPreparedQueryAnswer(t *testing.T) {
	t.Parallel()
	const module = `package q

yes(id) := true if id == "a"

no(id) := false

undefined(id) if id == "never"

ordered(id) := true if id == "a" else := false if id == "b" else := true

two(id, x) := true if {
	id == input.want
	x == 1
}
`
	rc := ast.NewCompiler()
	if rc.Compile(map[string]*ast.Module{"q.rego": ast.MustParseModuleWithOpts(module, ast.ParserOptions{RegoVersion: ast.RegoV1})}); rc.Failed() {
		t.Fatal(rc.Errors)
	}
	e := newEngine(t, testModel)
	for _, tc := range []struct {
		query string
		want  map[string]bool // id → answer
	}{
		{"data.q.yes(input.id)", map[string]bool{"a": true, "b": false}},
		{"data.q.no(input.id)", map[string]bool{"a": false}},
		{"data.q.undefined(input.id)", map[string]bool{"a": false, "never": true}},
		{"data.q.ordered(input.id)", map[string]bool{"a": true, "b": false, "c": true}},
		{"data.q.two(input.id, 1)", map[string]bool{"a": false, "w": true}},
	} {
		pq, err := prepare(rc, e.store, tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		for range 2 { // again, on the pooled evaluation
			for id, want := range tc.want {
				got, err := evalPrepared(t, e, pq, id)
				if err != nil || got != want {
					t.Errorf("%s with id %q: %v, %v; want %v", tc.query, id, got, err, want)
				}
			}
		}
	}
	for _, bad := range []string{"data.q.yes(\"a\")", "data.q.two(1, input.id)", "data.q.yes(input.id); data.q.no(input.id)", "true"} {
		if _, err := prepare(rc, e.store, bad); err == nil {
			t.Errorf("prepare(%q) succeeded; want an error", bad)
		}
	}
}

// evalPrepared evaluates pq for id, with input.want "w".
func evalPrepared(t *testing.T, e *Engine, pq *preparedQuery, id string) (bool, error) {
	t.Helper()
	ctx := context.Background()
	tx, err := e.store.NewTransaction(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer e.store.Abort(ctx, tx)
	input := ast.NewTerm(ast.NewObject(ast.Item(ast.StringTerm("want"), ast.StringTerm("w"))))
	return pq.eval(ctx, tx, ast.StringTerm(id), input, nil)
}
