package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/datasync"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// syncTimeout bounds the wait for datasync to apply a stage.
const syncTimeout = 30 * time.Second

// TestConformanceEngine runs the suite against the engine in process: per
// test a fresh SQLite store, engine and datasync; models and tuples go to
// the store and reach the engine through datasync, as in the server.
func TestConformanceEngine(t *testing.T) {
	runMode(t, "engine", newEngineDriver)
}

type engineDriver struct {
	st   store.Store
	eng  *engine.Engine
	sync *datasync.Syncer
	svc  string
}

func newEngineDriver(t *testing.T) driver {
	st := testenv.SQLiteStore(t)
	ctx := t.Context() // ends before the store closes
	eng, err := engine.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sync := datasync.New(st, eng, datasync.Options{Logger: quietLogger()})
	if _, err := sync.Start(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := st.CreateService(ctx, "conformance")
	if err != nil {
		t.Fatal(err)
	}
	return &engineDriver{st: st, eng: eng, sync: sync, svc: svc.ID}
}

// setStage stores the model, then the stage's tuples written under it (as
// the API would, but without its 100-per-request limit), and waits until
// datasync has applied both.
func (d *engineDriver) setStage(ctx context.Context, st stage) ([]string, error) {
	m, err := model.ParseDSL(st.Model)
	if err != nil {
		return nil, fmt.Errorf("model refused: %w", err)
	}
	saved, err := d.st.WriteModel(ctx, d.svc, m.DSL(), m.JSON())
	if err != nil {
		return nil, fmt.Errorf("write model: %w", err)
	}
	var problems []string
	var writes []tuple.Tuple
	seen := map[tuple.Tuple]bool{}
	for i, k := range st.Tuples {
		if k.Condition != nil {
			problems = append(problems, fmt.Sprintf("tuples[%d] %s has a condition, which Sentinel does not support; not written", i, k))
			continue
		}
		tp, err := tuple.Parse(tuple.Key{Object: k.Object, Relation: k.Relation, User: k.User})
		if err == nil {
			err = m.ValidateTuple(tp)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("tuples[%d] is invalid for the stage's model, not written: %v", i, err))
			continue
		}
		if !seen[tp] {
			seen[tp] = true
			writes = append(writes, tp)
		}
	}
	rev := saved.Revision
	for len(writes) > 0 {
		n := min(len(writes), 100)
		rev, err = d.st.WriteTuples(ctx, d.svc, store.TupleWrite{ModelID: saved.ID, Writes: writes[:n], OnDuplicate: store.Ignore})
		if err != nil {
			return problems, fmt.Errorf("write tuples: %w", err)
		}
		writes = writes[n:]
	}
	wctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	if err := d.sync.WaitFor(wctx, rev); err != nil {
		return problems, fmt.Errorf("datasync: %w", err)
	}
	if err := d.sync.ModelErrors()[d.svc]; err != nil {
		return problems, fmt.Errorf("the engine did not load the model: %w", err)
	}
	return problems, nil
}

// engineAnswer maps the engine's errors to refusals.
func engineAnswer(err error) answer {
	switch {
	case errors.Is(err, engine.ErrTooComplex):
		return refused(refusedTooComplex, "%v", err)
	case errors.Is(err, engine.ErrInvalidRequest):
		return refused(refusedInvalid, "%v", err)
	}
	return refused(broken, "%v", err)
}

// parseContextual parses contextual tuples; a malformed one refuses the
// request, as the API does.
func parseContextual(ks []tupleKey) ([]tuple.Tuple, error) {
	var out []tuple.Tuple
	for i, k := range ks {
		if k.Condition != nil {
			return nil, fmt.Errorf("contextual tuple %d has a condition, which Sentinel does not support", i)
		}
		tp, err := tuple.Parse(tuple.Key{Object: k.Object, Relation: k.Relation, User: k.User})
		if err != nil {
			return nil, fmt.Errorf("contextual tuple %d: %w", i, err)
		}
		out = append(out, tp)
	}
	return out, nil
}

func validRelation(rel string) error {
	if !tuple.ValidRelation(rel) {
		return fmt.Errorf("relation %q is invalid", rel)
	}
	return nil
}

func (d *engineDriver) check(ctx context.Context, a checkAssertion) answer {
	obj, err := tuple.ParseObject(a.Tuple.Object)
	var user tuple.User
	if err == nil {
		err = validRelation(a.Tuple.Relation)
	}
	if err == nil {
		user, err = tuple.ParseUser(a.Tuple.User)
	}
	var ctxs []tuple.Tuple
	if err == nil {
		ctxs, err = parseContextual(a.Contextual)
	}
	if err != nil {
		return refused(refusedInvalid, "malformed request: %v", err)
	}
	res, err := d.eng.Check(ctx, d.svc, engine.CheckRequest{Object: obj, Relation: a.Tuple.Relation, User: user, Contextual: ctxs})
	if err != nil {
		return engineAnswer(err)
	}
	return answer{allowed: res.Allowed}
}

func (d *engineDriver) listObjects(ctx context.Context, a listObjectsAssertion) answer {
	r := a.Request
	user, err := tuple.ParseUser(r.User)
	if err == nil && !tuple.ValidType(r.Type) {
		err = fmt.Errorf("type %q is invalid", r.Type)
	}
	if err == nil {
		err = validRelation(r.Relation)
	}
	var ctxs []tuple.Tuple
	if err == nil {
		ctxs, err = parseContextual(a.Contextual)
	}
	if err != nil {
		return refused(refusedInvalid, "malformed request: %v", err)
	}
	ids, err := d.eng.ListObjects(ctx, d.svc, engine.ListObjectsRequest{Type: r.Type, Relation: r.Relation, User: user, Contextual: ctxs})
	if err != nil {
		return engineAnswer(err)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = r.Type + ":" + id
	}
	return answer{list: out}
}

// parseFilter reads a filter of the file: "user" or "group#member".
func parseFilter(f string) (engine.UserFilter, error) {
	typ, rel, hasRel := strings.Cut(f, "#")
	if !tuple.ValidType(typ) || (hasRel && !tuple.ValidRelation(rel)) {
		return engine.UserFilter{}, fmt.Errorf("user filter %q is invalid", f)
	}
	return engine.UserFilter{Type: typ, Relation: rel}, nil
}

func (d *engineDriver) listUsers(ctx context.Context, a listUsersAssertion) answer {
	r := a.Request
	obj, err := tuple.ParseObject(r.Object)
	if err == nil {
		err = validRelation(r.Relation)
	}
	filters := make([]engine.UserFilter, len(r.Filters))
	for i, f := range r.Filters {
		if err == nil {
			filters[i], err = parseFilter(f)
		}
	}
	var ctxs []tuple.Tuple
	if err == nil {
		ctxs, err = parseContextual(a.Contextual)
	}
	if err != nil {
		return refused(refusedInvalid, "malformed request: %v", err)
	}
	users, err := d.eng.ListUsers(ctx, d.svc, engine.ListUsersRequest{Object: obj, Relation: r.Relation, Filters: filters, Contextual: ctxs})
	if err != nil {
		return engineAnswer(err)
	}
	if users == nil {
		users = []string{}
	}
	return answer{list: users}
}
