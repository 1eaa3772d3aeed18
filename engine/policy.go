package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Policy is a Rego query over extra policy modules (custom RBAC, a security
// team's rules) prepared against the engine's store, so it reads the same
// tuple index the checks read, at the same consistency: one evaluation sees
// one state of the index. See the package doc for the index's layout
// (data.sentinel.t, .s, .c). Safe for concurrent use.
type Policy struct {
	store *indexStore
	query rego.PreparedEvalQuery
}

// PreparePolicy parses and compiles modules (file name → Rego v1 source)
// and prepares query against the engine's store. A module that does not
// parse or compile, or a query that does not, is an error naming it.
func (e *Engine) PreparePolicy(ctx context.Context, modules map[string]string, query string) (*Policy, error) {
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Store(e.store),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		opts = append(opts, rego.Module(name, modules[name]))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare policy query %q: %w", query, err)
	}
	return &Policy{store: e.store, query: pq}, nil
}

// Eval evaluates the query with input (any JSON-shaped Go value, or an
// ast.Value) against the index as it is now.
func (p *Policy) Eval(ctx context.Context, input any) (rego.ResultSet, error) {
	tx, err := p.store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store transaction: %w", err)
	}
	defer p.store.Abort(ctx, tx)
	opt := rego.EvalInput(input)
	if v, ok := input.(ast.Value); ok {
		opt = rego.EvalParsedInput(v)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// As in checks (evalVariant): no metrics registry, and cancellation
	// polled from the context (ctxCancel).
	rs, err := p.query.Eval(ctx, opt, rego.EvalTransaction(tx), rego.EvalMetrics(metrics.NoOp()), rego.EvalExternalCancel(&ctxCancel{ctx}))
	if err != nil {
		return nil, fmt.Errorf("evaluate policy: %w", err)
	}
	return rs, nil
}
