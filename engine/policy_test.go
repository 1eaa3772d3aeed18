package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// policyModule reads the index the way an extra policy does: plain users
// (t), usersets (s) and membership closures (c) of service "svc".
const policyModule = `package test.policy

import rego.v1

direct if data.sentinel.t.svc.group[input.group].member.user[input.user]

nested_groups contains g if {
	some g
	data.sentinel.s.svc.group[input.group].member.group.member[g]
}

member if is_number(data.sentinel.c.svc.group[input.group].member.user[input.user])
`

func preparePolicy(t *testing.T, e *Engine, query string) *Policy {
	t.Helper()
	p, err := e.PreparePolicy(t.Context(), map[string]string{"test/policy.rego": policyModule}, query)
	if err != nil {
		t.Fatalf("PreparePolicy(%q): %v", query, err)
	}
	return p
}

// evalBool evaluates a boolean query; undefined is false.
func evalBool(t *testing.T, p *Policy, input any) bool {
	t.Helper()
	rs, err := p.Eval(t.Context(), input)
	if err != nil {
		t.Fatalf("Eval(%v): %v", input, err)
	}
	if len(rs) == 0 {
		return false
	}
	b, ok := rs[0].Expressions[0].Value.(bool)
	if !ok {
		t.Fatalf("Eval(%v) = %v, not a boolean", input, rs[0].Expressions[0].Value)
	}
	return b
}

func TestPolicyReadsTheIndex(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	direct := preparePolicy(t, e, "data.test.policy.direct")
	member := preparePolicy(t, e, "data.test.policy.member")
	nested := preparePolicy(t, e, "data.test.policy.nested_groups")
	in := func(group, user string) map[string]any { return map[string]any{"group": group, "user": user} }

	if evalBool(t, direct, in("eng", "anne")) || evalBool(t, member, in("all", "anne")) {
		t.Fatal("an empty index grants membership")
	}
	write(t, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"group:all", "member", "group:eng#member"},
	)
	for _, c := range []struct {
		name   string
		p      *Policy
		input  any
		want   bool
		reason string
	}{
		{"direct member", direct, in("eng", "anne"), true, "t holds group:eng#member@user:anne"},
		{"not a direct member of the parent", direct, in("all", "anne"), false, "anne is in all only through eng"},
		{"closure, direct", member, in("eng", "anne"), true, "the closure holds direct members"},
		{"closure, nested", member, in("all", "anne"), true, "the closure follows group:all#member@group:eng#member"},
		{"closure, stranger", member, in("all", "bob"), false, "bob is in no group"},
		{"parsed input", member, ast.MustParseTerm(`{"group": "all", "user": "anne"}`).Value, true, "an ast.Value input is used as is"},
	} {
		if got := evalBool(t, c.p, c.input); got != c.want {
			t.Errorf("%s: %v, want %v (%s)", c.name, got, c.want, c.reason)
		}
	}
	rs, err := nested.Eval(t.Context(), in("all", ""))
	if err != nil || len(rs) != 1 {
		t.Fatalf("nested_groups: %v, %v", rs, err)
	}
	if got, ok := rs[0].Expressions[0].Value.([]any); !ok || len(got) != 1 || got[0] != "eng" {
		t.Fatalf("nested_groups of all = %v, want [eng] (from s)", rs[0].Expressions[0].Value)
	}

	// A prepared policy sees later changes: no state is captured.
	if err := e.Apply(context.Background(), []Mutation{
		{ServiceID: "svc", Delete: true, Tuple: mustTuple(t, "group:all", "member", "group:eng#member")},
	}); err != nil {
		t.Fatal(err)
	}
	if evalBool(t, member, in("all", "anne")) {
		t.Fatal("the closure still grants membership after the nesting tuple was deleted")
	}
	if !evalBool(t, member, in("eng", "anne")) {
		t.Fatal("the direct membership was lost with the nesting")
	}
}

func TestPreparePolicyErrors(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	for _, c := range []struct {
		name    string
		modules map[string]string
		query   string
		want    string
	}{
		{"module does not parse", map[string]string{"bad.rego": "package p\nallow if {"}, "data.p.allow", "bad.rego"},
		{"module is not Rego v1", map[string]string{"v0.rego": "package p\nallow { true }"}, "data.p.allow", "v0.rego"},
		{"module does not compile", map[string]string{"unsafe.rego": "package p\nimport rego.v1\nallow if x > 1"}, "data.p.allow", "unsafe.rego"},
		{"query does not parse", nil, "data.p.[", "data.p.["},
	} {
		_, err := e.PreparePolicy(t.Context(), c.modules, c.query)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}

func TestPolicyAdHocQuery(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	write(t, e, [3]string{"group:eng", "member", "user:anne"})
	p, err := e.PreparePolicy(t.Context(), nil, `data.sentinel.t.svc.group.eng.member.user.anne == true`)
	if err != nil {
		t.Fatal(err)
	}
	if !evalBool(t, p, nil) {
		t.Fatal("a query without modules found nothing in the index")
	}
}

// TestPolicyConcurrent evaluates from several goroutines while the index
// changes (run with -race): each evaluation sees one state, and the last
// state is what a later evaluation answers.
func TestPolicyConcurrent(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	member := preparePolicy(t, e, "data.test.policy.member")
	const writers, evals = 50, 50
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for range evals {
				if _, err := member.Eval(context.Background(), map[string]any{"group": "all", "user": "u7"}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := range writers {
		write(t, e, [3]string{"group:g" + strconv.Itoa(i), "member", "user:u" + strconv.Itoa(i)},
			[3]string{"group:all", "member", "group:g" + strconv.Itoa(i) + "#member"})
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Eval: %v", err)
		}
	}
	if !evalBool(t, member, map[string]any{"group": "all", "user": "u7"}) {
		t.Fatal("after the writes, u7 is not a member of all")
	}
}
