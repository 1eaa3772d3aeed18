// Package engine answers authorization questions by evaluating prepared Rego
// queries against an in-memory OPA store that datasync keeps in step with the
// changelog. No SQL is ever run on the check path.
//
// # Store layout
//
// Tuples live in one nested object, keyed so that a direct check is a single
// ground reference (one store read, O(1) at any size):
//
//	data.sentinel.tuples[<service id>][<object "type:id">][<relation>][<user>] = true
//
// The index is held in plain Go maps behind OPA's storage interface (see
// indexStore): a write is a map assignment, O(1) at any width and any batch
// size, whereas OPA's AST-valued store rehashes the whole parent object on
// every write (tens of milliseconds per tuple at 1M tuples) and its plain
// in-memory store re-scans a transaction's pending writes on every write
// (quadratic in the batch). Deletes prune maps that become empty, so memory
// follows the live tuple count.
package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/tuple"
)

// tuplesPath is where the tuple index lives in the OPA store.
var tuplesPath = storage.Path{"sentinel", "tuples"}

// Engine evaluates checks against its in-memory copy of every service's
// tuples and models. It is safe for concurrent use.
type Engine struct {
	store *indexStore
	check rego.PreparedEvalQuery

	mu     sync.RWMutex
	models map[string]*model.Model // service id → current model
}

// New returns an Engine with an empty store and the built-in policies
// compiled and prepared.
func New(ctx context.Context) (*Engine, error) {
	st := newIndexStore()
	mods, err := policies.Modules()
	if err != nil {
		return nil, err
	}
	opts := []func(*rego.Rego){
		rego.Query("data.sentinel.check.allowed"),
		rego.Store(st),
	}
	names := make([]string, 0, len(mods))
	for name := range mods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		opts = append(opts, rego.Module(name, mods[name]))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare check query: %w", err)
	}
	return &Engine{store: st, check: pq, models: map[string]*model.Model{}}, nil
}

// Check answers req against the service's tuples and current model.
func (e *Engine) Check(ctx context.Context, serviceID string, req CheckRequest) (CheckResult, error) {
	ok, err := e.checkDirect(ctx, serviceID, req.Object, req.Relation, req.User)
	return CheckResult{Allowed: ok}, err
}

// checkDirect reports whether the tuple exists for the user itself or
// through a wildcard of the user's type.
func (e *Engine) checkDirect(ctx context.Context, serviceID string, object tuple.Object, relation string, user tuple.User) (bool, error) {
	wildcard := ""
	if !user.IsUserset() && !user.IsWildcard() {
		wildcard = user.Type + ":" + tuple.Wildcard
	}
	input := ast.NewObject(
		ast.Item(ast.InternedTerm("service"), ast.StringTerm(serviceID)),
		ast.Item(ast.InternedTerm("object"), ast.StringTerm(object.String())),
		ast.Item(ast.InternedTerm("relation"), ast.StringTerm(relation)),
		ast.Item(ast.InternedTerm("user"), ast.StringTerm(user.String())),
		ast.Item(ast.InternedTerm("wildcard"), ast.StringTerm(wildcard)),
	)
	rs, err := e.check.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return false, fmt.Errorf("evaluate check %s#%s@%s: %w", object, relation, user, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return false, fmt.Errorf("evaluate check %s#%s@%s: undefined result", object, relation, user)
	}
	allowed, ok := rs[0].Expressions[0].Value.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate check %s#%s@%s: non-boolean result %v", object, relation, user, rs[0].Expressions[0].Value)
	}
	return allowed, nil
}

// SetModel makes m the current model of a service.
func (e *Engine) SetModel(serviceID string, m *model.Model) {
	e.mu.Lock()
	e.models[serviceID] = m
	e.mu.Unlock()
}

// Model returns the current model of a service, or nil.
func (e *Engine) Model(serviceID string) *model.Model {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.models[serviceID]
}
