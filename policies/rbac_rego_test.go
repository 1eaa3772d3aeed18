package policies_test

import (
	_ "embed"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/sentinel-auth/sentinel/policies"
)

//go:embed rbac_test.rego
var rbacRegoTests string

// TestRBACRego runs the Rego unit tests of the RBAC policy
// (rbac_test.rego), as `opa test` would, each as a subtest.
func TestRBACRego(t *testing.T) {
	modules := map[string]*ast.Module{}
	for name, src := range map[string]string{policies.RBACModuleFile: policies.RBACModule, "policies/rbac_test.rego": rbacRegoTests} {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		modules[name] = m
	}
	ch, err := tester.NewRunner().SetModules(modules).RaiseBuiltinErrors(true).Run(t.Context(), modules)
	if err != nil {
		t.Fatalf("run the Rego tests: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		t.Run(r.Name, func(t *testing.T) {
			switch {
			case r.Error != nil:
				t.Fatalf("%s: error: %v", r.Location, r.Error)
			case r.Fail:
				t.Fatalf("%s: failed", r.Location)
			case r.Skip:
				t.Skipf("%s: marked todo", r.Location)
			}
		})
	}
	if n < 10 {
		t.Fatalf("ran %d Rego tests, want every test_ rule of rbac_test.rego", n)
	}
}
