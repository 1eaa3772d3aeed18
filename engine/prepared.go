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
// evaluation copies them into the topdown.Query of a pooled evaluation. It costs
// the evaluation no CPU of its own, but the collector's: a check's garbage
// is what sets how often it marks the whole index, and at 100k tuples its
// CPU per check was about that of the check itself. BenchmarkCheck/100k:
// 4781 → 4015 B, 74 → 67 allocations per check; collections during 300k
// checks 27 → 23.
type preparedQuery struct {
	proto topdown.Query
	pool  sync.Pool // of *evaluation
}

// evaluation is one evaluation of a preparedQuery, reused: the query's
// copy, its cancellation and its answer, so an evaluation allocates none
// of them.
type evaluation struct {
	q       topdown.Query
	cancel  ctxCancel
	allowed bool
	// onResult is ev.result, bound once: a closure or method value made
	// per evaluation would be allocated, as Iter keeps it.
	onResult func(topdown.QueryResult) error
}

func newEvaluation() *evaluation {
	ev := &evaluation{}
	ev.onResult = ev.result
	return ev
}

// result records the relation's answer from the query's result. A
// function call that is undefined yields no result: not allowed.
func (ev *evaluation) result(qr topdown.QueryResult) error {
	if v, ok := qr[decision]; ok {
		allowed, _ := v.Value.(ast.Boolean)
		ev.allowed = bool(allowed)
	}
	return nil
}

// noMetadata is the request metadata of every evaluation: none. OPA
// makes an empty map per evaluation when it is not given one; nothing a
// check runs writes to it.
var noMetadata = map[string]any{}

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
		WithRequestMetadata(noMetadata).
		WithMetrics(metrics.NoOp()). // OPA's default makes a registry and timers per evaluation
		WithBaseCache(noBaseCache{}) // see noBaseCache
	return pq, nil
}

// eval evaluates the query on input in tx, with cancellation by ctx and
// the function-call cache calls, and returns the relation's answer.
func (pq *preparedQuery) eval(ctx context.Context, tx storage.Transaction, input *ast.Term, calls topdown.VirtualCache) (bool, error) {
	ev, _ := pq.pool.Get().(*evaluation)
	if ev == nil {
		ev = newEvaluation()
	}
	defer func() {
		// Hold nothing of this evaluation.
		ev.q, ev.cancel, ev.allowed = topdown.Query{}, ctxCancel{}, false
		pq.pool.Put(ev)
	}()
	ev.q = pq.proto // every field, the time of evaluation (zero: now) included
	ev.cancel.ctx = ctx
	ev.q.WithTransaction(tx).WithInput(input).WithCancel(&ev.cancel).WithVirtualCache(calls)
	err := ev.q.Iter(ctx, ev.onResult)
	return ev.allowed, err
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
