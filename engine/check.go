package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Check answers req against the service's tuples and current model.
func (e *Engine) Check(ctx context.Context, serviceID string, req CheckRequest) (CheckResult, error) {
	c := e.current(serviceID)
	if c == nil {
		return CheckResult{}, ErrNoModel
	}
	if err := validateQuery(c.model, req.Object.Type, req.Relation, req.User); err != nil {
		return CheckResult{}, err
	}
	overlay, err := contextual(c, serviceID, req.Contextual)
	if err != nil {
		return CheckResult{}, err
	}
	allowed, err := e.eval(ctx, c, overlay, req.Object, req.Relation, req.User)
	if err != nil || !req.Explain {
		return CheckResult{Allowed: allowed}, err
	}
	return CheckResult{Allowed: allowed, Explanation: e.explain(c, overlay, serviceID, req, allowed)}, nil
}

// explain re-derives a decision with its steps.
func (e *Engine) explain(c *compiled, overlay *tuples, serviceID string, req CheckRequest, allowed bool) *Explanation {
	e.store.mu.RLock()
	defer e.store.mu.RUnlock()
	x := &explainer{m: c.model, ts: e.store.data, ov: overlay, svc: serviceID, user: req.User, maxDepth: e.opts.MaxDepth, path: map[string]bool{}}
	if allowed {
		_, steps := x.check(req.Object, req.Relation, 0)
		return &Explanation{Path: steps}
	}
	return &Explanation{Tried: x.tried(req.Object, req.Relation)}
}

// validateQuery refuses types, relations and users the model does not know.
func validateQuery(m *model.Model, objType, relation string, user tuple.User) error {
	if !m.HasType(objType) {
		return fmt.Errorf("%w: type %q is not defined in the authorization model", ErrInvalidRequest, objType)
	}
	if !m.HasRelation(objType, relation) {
		return fmt.Errorf("%w: relation %q is not defined on type %q", ErrInvalidRequest, relation, objType)
	}
	if !m.HasType(user.Type) {
		return fmt.Errorf("%w: user type %q is not defined in the authorization model", ErrInvalidRequest, user.Type)
	}
	if user.Relation != "" && !m.HasRelation(user.Type, user.Relation) {
		return fmt.Errorf("%w: relation %q is not defined on user type %q", ErrInvalidRequest, user.Relation, user.Type)
	}
	return nil
}

// contextual validates contextual tuples like writes and returns them as an
// overlay of indexes (nil when there are none).
func contextual(c *compiled, serviceID string, ts []tuple.Tuple) (*tuples, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	ov := newTuples()
	for i, t := range ts {
		if c.dirTypes[t.Object.Type] {
			return nil, fmt.Errorf("%w: contextual tuple %d (%s): type %s comes from the directory, which this service's model opted in to; "+
				"its tuples are the directory's, not the service's", ErrInvalidRequest, i, t, t.Object.Type)
		}
		if err := c.model.ValidateTuple(t); err != nil {
			return nil, fmt.Errorf("%w: contextual tuple %d (%s): %v", ErrInvalidRequest, i, t, err)
		}
		ov.add(serviceID, t)
		switch _, closable := c.closables[[2]string{t.Object.Type, t.Relation}]; {
		case closable || c.chains.shapes(t.Object.Type, t.Relation):
			ov.careful = true
		case c.chains.touches(t.Object.Type, t.Relation):
			ov.grants = append(ov.grants, t)
		}
	}
	return ov, nil
}

// eval runs the compiled decision of object#relation for user: the fast
// variant first, and the careful one if that reaches the depth limit (a
// data cycle, or a genuinely deep question) or if contextual tuples change
// a membership relation. If the service's model is replaced meanwhile, it
// evaluates again on the new one.
func (e *Engine) eval(ctx context.Context, c *compiled, overlay *tuples, object tuple.Object, relation string, user tuple.User) (bool, error) {
	in := e.inputs.get()
	defer e.inputs.put(in)
	input := in.set(c.names, object, user)
	careful := overlay != nil && overlay.careful
	var (
		allowed bool
		err     error
	)
	for attempt := 0; attempt < 3; attempt++ {
		allowed, err = e.evalVariant(ctx, c, overlay, object.Type, relation, input, careful)
		if errors.Is(err, errTooComplex) && !careful {
			allowed, err = e.evalVariant(ctx, c, overlay, object.Type, relation, input, true)
		}
		if !errors.Is(err, errStale) {
			break
		}
		if c = e.currentOf(c); c == nil {
			return false, ErrNoModel
		}
	}
	if errors.Is(err, errTooComplex) {
		return false, fmt.Errorf("%w: %s#%s@%s needs more than %d nested relations", ErrTooComplex, object, relation, user, e.opts.MaxDepth)
	}
	if err != nil {
		return false, fmt.Errorf("evaluate %s#%s@%s: %w", object, relation, user, err)
	}
	return allowed, nil
}

// errStale: the model evaluated was replaced before the evaluation could
// read the index (whose closures follow the current model).
var errStale = errors.New("model replaced during evaluation")

func (e *Engine) evalVariant(ctx context.Context, c *compiled, overlay *tuples, objType, relation string, input queryInput, careful bool) (bool, error) {
	pq, err := e.query(ctx, c, objType, relation, careful, input.plain)
	if err != nil {
		return false, err
	}
	tx, err := e.store.NewTransaction(ctx)
	if err != nil {
		return false, fmt.Errorf("open store transaction: %w", err)
	}
	defer e.store.Abort(ctx, tx)
	if !e.isCurrent(c) {
		return false, errStale
	}
	if overlay != nil {
		tx.(*txn).overlay = overlay.fwd
		if len(overlay.grants) > 0 && !careful {
			// Under the transaction's read lock: the overlay and the
			// index it complements are of the same state.
			tx.(*txn).eff = e.store.data.chainOverlay(c.service, c.chains, overlay.grants)
		}
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	calls := e.calls.get()
	defer e.calls.put(calls)
	return pq.eval(ctx, tx, input.id, input.value, calls)
}

// ctxCancel is an evaluation's cancellation as OPA asks for it: cancelled
// once its context is done, which is when the context's Err is not nil.
// OPA asks before every expression it evaluates, which Err answers with
// an atomic load (a cancelCtx's), without allocating. OPA's default starts
// a goroutine per evaluation to watch the context; context.AfterFunc,
// used before, registered a callback with the request's context and
// removed it again, under its lock: 4 allocations, 150 B per check under a
// context.WithCancel (BenchmarkCheckShapes/*/request), ≈600 B in a
// server's allocation profile. Polling the done channel, used next, made
// the context allocate it: net/http's request context makes it on the
// first call of Done, ≈110 B per request in a server's profile, where
// nothing else asked for it.
//
// A check's is part of its pooled evaluation (prepared.go), so OPA gets a
// pointer, which makes no allocation either.
type ctxCancel struct{ ctx context.Context }

// Cancel does nothing: the evaluation ends when the context does.
func (*ctxCancel) Cancel() {}

func (c *ctxCancel) Cancelled() bool { return c.ctx.Err() != nil }

// noBaseCache is the base-document cache of a check's evaluation: none.
// OPA caches every data read of an evaluation in a trie with one node per
// key of the path, in case a large JSON document is read again; here a
// read is a few map lookups that return values already in memory, while
// filling the trie was a third of a check's allocations (a check makes
// several reads of eight-key paths, each read once). Measured with
// BenchmarkCheck at 100k tuples, together with metrics.NoOp (OPA's default
// creates a metrics registry and timers per evaluation): p50 30 → 21 µs,
// allocations 154 → 116 per check.
type noBaseCache struct{}

func (noBaseCache) Get(ast.Ref) ast.Value  { return nil }
func (noBaseCache) Put(ast.Ref, ast.Value) {}
