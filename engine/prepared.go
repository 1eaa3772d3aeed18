package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/sentinel-auth/sentinel/engine/compiler"
)

// preparedQuery is the query deciding one relation in one variant,
// compiled once and evaluated by topdown directly.
//
// rego.PreparedEvalQuery made, per evaluation, an EvalContext (512 B), a
// topdown.Query (496 B) and a result set with the value converted to Go.
// The queries' settings never change, so proto holds them and each
// evaluation copies them into a topdown.Query taken from pool. It costs
// the evaluation no CPU of its own, but the collector's: a check's garbage
// is what sets how often it marks the whole index, and at 100k tuples its
// CPU per check was about that of the check itself. BenchmarkCheck/100k:
// 4781 → 4015 B, 74 → 67 allocations per check; collections during 300k
// checks 27 → 23.
type preparedQuery struct {
	proto topdown.Query
	pool  sync.Pool // of *topdown.Query
}

// decision is the variable a query binds the relation's answer to.
const decision = ast.Var("allowed")

// prepare compiles src, a call of a generated entry (compiler.Compiled.Query),
// against rc: the call gets decision as its output argument.
func prepare(rc *ast.Compiler, store storage.Store, src string) (*preparedQuery, error) {
	body, err := ast.ParseBodyWithOpts(src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, err
	}
	if len(body) != 1 {
		return nil, fmt.Errorf("query %q is not one function call", src)
	}
	call, ok := body[0].Terms.([]*ast.Term)
	if !ok {
		return nil, fmt.Errorf("query %q is not a function call", src)
	}
	body[0].Terms = append(call, ast.NewTerm(decision))
	qc := rc.QueryCompiler()
	compiled, err := qc.Compile(body)
	if err != nil {
		return nil, err
	}
	pq := &preparedQuery{}
	pq.proto = *topdown.NewQuery(compiled).
		WithQueryCompiler(qc).
		WithCompiler(rc).
		WithStore(store).
		WithBuiltins(checkBuiltins()).
		WithStrictBuiltinErrors(true).
		WithMetrics(metrics.NoOp()). // OPA's default makes a registry and timers per evaluation
		WithBaseCache(noBaseCache{}) // see noBaseCache
	return pq, nil
}

// eval evaluates the query on input in tx, with OPA's cancellation and
// function-call cache, and returns the relation's answer.
func (pq *preparedQuery) eval(ctx context.Context, tx storage.Transaction, input *ast.Term, cancel topdown.Cancel, calls topdown.VirtualCache) (bool, error) {
	q, _ := pq.pool.Get().(*topdown.Query)
	if q == nil {
		q = new(topdown.Query)
	}
	defer func() {
		*q = topdown.Query{} // holds nothing of this evaluation
		pq.pool.Put(q)
	}()
	*q = pq.proto // every field, the time of evaluation (zero: now) included
	q.WithTransaction(tx).WithInput(input).WithCancel(cancel).WithVirtualCache(calls)
	var allowed ast.Boolean
	err := q.Iter(ctx, func(qr topdown.QueryResult) error {
		// A function call that is undefined yields no result: not allowed.
		if v, ok := qr[decision]; ok {
			allowed, _ = v.Value.(ast.Boolean)
		}
		return nil
	})
	return bool(allowed), err
}

// checkBuiltins are the builtins the generated Rego calls besides OPA's:
// sentinel.too_complex, past the depth limit. Its error is an evaluation's
// error (strict builtin errors).
func checkBuiltins() map[string]*topdown.Builtin {
	return map[string]*topdown.Builtin{
		compiler.TooComplexBuiltin: {
			Decl: &ast.Builtin{Name: compiler.TooComplexBuiltin, Decl: types.NewFunction(types.Args(types.S), types.B)},
			Func: func(_ topdown.BuiltinContext, args []*ast.Term, _ func(*ast.Term) error) error {
				return fmt.Errorf("%s: %w at %v", compiler.TooComplexBuiltin, errTooComplex, args[0])
			},
		},
	}
}
