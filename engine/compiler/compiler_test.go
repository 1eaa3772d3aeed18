package compiler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/types"
	"go.yaml.in/yaml/v3"

	"github.com/sentinel-auth/sentinel/model"
)

func conformanceModels(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "conformance", "openfga", "consolidated_1_1_tests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests []struct {
			Stages []struct {
				Model string `yaml:"model"`
			} `yaml:"stages"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tc := range doc.Tests {
		for _, st := range tc.Stages {
			out = append(out, st.Model)
		}
	}
	return out
}

// TestCompilesEveryConformanceModel: the generated Rego of every model in
// OpenFGA's matrix parses and compiles, with an entry for every relation.
func TestCompilesEveryConformanceModel(t *testing.T) {
	models := conformanceModels(t)
	if len(models) < 100 {
		t.Fatalf("only %d models found", len(models))
	}
	for i, dsl := range models {
		m, err := model.ParseDSL(dsl)
		if err != nil {
			t.Fatalf("model %d: %v", i, err)
		}
		c, err := Compile(m, Options{Package: "sentinel.models.m", ServiceID: "svc"})
		if err != nil {
			t.Fatalf("model %d: %v", i, err)
		}
		mod, err := ast.ParseModuleWithOpts("m.rego", c.Module, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("model %d: %v\n%s", i, err, numbered(c.Module))
		}
		comp := ast.NewCompiler().WithBuiltins(map[string]*ast.Builtin{
			TooComplexBuiltin: {Name: TooComplexBuiltin, Decl: types.NewFunction(types.Args(types.S), types.B)},
		})
		if comp.Compile(map[string]*ast.Module{"m.rego": mod}); comp.Failed() {
			t.Fatalf("model %d: %v\n%s", i, comp.Errors, numbered(c.Module))
		}
		for _, typ := range m.Types() {
			for _, rel := range m.Relations(typ) {
				if _, ok := c.Query(typ, rel); !ok {
					t.Fatalf("model %d: no query for %s#%s", i, typ, rel)
				}
			}
		}
	}
}

func numbered(src string) string {
	lines := strings.Split(src, "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%4d  %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}
