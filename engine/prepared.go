package engine

import (
	"context"
	"fmt"
	"slices"
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
// The queries' settings never change, so each evaluation copies them into
// a topdown.Query of a pooled evaluation. It costs the evaluation no CPU
// of its own, but the collector's: a check's garbage is what sets how
// often it marks the whole index, and at 100k tuples its CPU per check was
// about that of the check itself. BenchmarkCheck/100k: 4781 → 4015 B, 74 →
// 67 allocations per check; collections during 300k checks 27 → 23.
type preparedQuery struct {
	// body is the compiled call, its first argument a placeholder for
	// the object's id: each evaluation calls it with a copy of its own
	// (see prepare).
	body     ast.Body
	settings func(*topdown.Query) *topdown.Query
	pool     sync.Pool // of *evaluation
}

// evaluation is one evaluation of a preparedQuery, reused: the query's
// call with the id term of the check in flight, its settings, its
// cancellation and its answer, so an evaluation allocates none of them.
type evaluation struct {
	call  []*ast.Term // the body's terms: call[1] is the id
	proto topdown.Query
	q     topdown.Query // proto's copy being evaluated

	cancel  ctxCancel
	allowed bool
	// onResult is ev.result, bound once: a closure or method value made
	// per evaluation would be allocated, as Iter keeps it.
	onResult func(topdown.QueryResult) error
}

func (pq *preparedQuery) newEvaluation() *evaluation {
	ev := &evaluation{}
	expr := *pq.body[0]
	ev.call = slices.Clone(expr.Terms.([]*ast.Term))
	expr.Terms = ev.call
	ev.proto = *pq.settings(topdown.NewQuery(ast.Body{&expr}))
	ev.onResult = ev.result
	return ev
}

// result records the query's one result: the call was true.
func (ev *evaluation) result(topdown.QueryResult) error {
	ev.allowed = true
	return nil
}

// noMetadata is the request metadata of every evaluation: none. OPA
// makes an empty map per evaluation when it is not given one; nothing a
// check runs writes to it.
var noMetadata = map[string]any{}

// inputIDRef is the reference to the object's id a generated query passes its
// entry (compiler.Compiled.Query).
var inputIDRef = ast.MustParseTerm("input.id")

// prepare compiles src, a call of a generated entry (compiler.Compiled.Query),
// against rc.
//
// The call is the whole query, with no output argument: OPA then yields a
// result only if the function's value is true (a call whose value is
// false or undefined is not satisfied), so the answer is whether there is
// a result. And the call's first argument, input.id, is replaced by a term
// of each evaluation holding the id itself: OPA's query compiler binds a
// reference passed to a call to a variable first, and every variable of
// the query is copied into a map for the result, so the query binds none.
// Bound to variables, the id and the value made a check allocate the
// result map's slots and a binding: BenchmarkCheck/100k 2833 → 2602 B per
// check.
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
	if len(call) < 2 || !call[1].Equal(inputIDRef) {
		return nil, fmt.Errorf("query %q does not pass input.id first", src)
	}
	call[1] = ast.StringTerm("") // each evaluation's id (evaluation.call)
	qc := rc.QueryCompiler()
	compiled, err := qc.Compile(body)
	if err != nil {
		return nil, err
	}
	if len(compiled) != 1 || !compiled[0].IsCall() || len(compiled[0].Operands()) != len(call)-1 || !compiled[0].Operand(0).Equal(call[1]) {
		return nil, fmt.Errorf("query %q compiled to %v, not one call with the id first", src, compiled)
	}
	builtins := checkBuiltins()
	return &preparedQuery{
		body: compiled,
		settings: func(q *topdown.Query) *topdown.Query {
			return q.WithQueryCompiler(qc).
				WithCompiler(rc).
				WithStore(store).
				WithBuiltins(builtins).
				WithStrictBuiltinErrors(true).
				WithRequestMetadata(noMetadata).
				WithMetrics(metrics.NoOp()). // OPA's default makes a registry and timers per evaluation
				WithBaseCache(noBaseCache{}) // see noBaseCache
		},
	}, nil
}

// eval evaluates the query for the object whose id is id, on input, in
// tx, with cancellation by ctx and the function-call cache calls, and
// returns the relation's answer.
func (pq *preparedQuery) eval(ctx context.Context, tx storage.Transaction, id, input *ast.Term, calls topdown.VirtualCache) (bool, error) {
	ev, _ := pq.pool.Get().(*evaluation)
	if ev == nil {
		ev = pq.newEvaluation()
	}
	placeholder := ev.call[1]
	defer func() {
		// Hold nothing of this evaluation.
		ev.call[1] = placeholder
		ev.q, ev.cancel, ev.allowed = topdown.Query{}, ctxCancel{}, false
		pq.pool.Put(ev)
	}()
	ev.call[1] = id
	ev.q = ev.proto // every field, the time of evaluation (zero: now) included
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
