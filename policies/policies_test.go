package policies

import (
	"context"
	"io/fs"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs every Rego test (*_test.rego) against the built-in policies.
func TestRego(t *testing.T) {
	names, err := fs.Glob(files, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]*ast.Module{}
	for _, name := range names {
		src, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		mods[name] = m
	}
	ch, err := tester.NewRunner().SetModules(mods).RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		if r.Fail || r.Error != nil {
			t.Errorf("%s.%s failed: %v", r.Package, r.Name, r.Error)
		}
	}
	if n == 0 {
		t.Fatal("no Rego tests ran")
	}
}

func TestModulesExcludeTests(t *testing.T) {
	mods, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mods["check.rego"]; !ok {
		t.Fatal("check.rego missing")
	}
	for name := range mods {
		if len(name) > 10 && name[len(name)-10:] == "_test.rego" {
			t.Fatalf("Modules returned test file %s", name)
		}
	}
}
