package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/sentinel-auth/sentinel/model"
)

// Two versions of one model over the same tuples. Both nest groups'
// members (a closure). In flat, leads do not nest and a doc's viewers are
// only its own; nested adds the leads' closure and the folders' flattened
// chain.
const (
	flatModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
    define lead: [user]
type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member]
type doc
  relations
    define parent: [folder]
    define viewer: [user, group#member, group#lead]
`
	nestedModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
    define lead: [user, group#lead]
type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member] or viewer from parent
type doc
  relations
    define parent: [folder]
    define viewer: [user, group#member, group#lead] or viewer from parent
`
)

var derivedTuples = [][3]string{
	{"group:inner", "member", "user:anne"},
	{"group:outer", "member", "group:inner#member"},
	{"doc:1", "viewer", "group:outer#member"},
	{"group:subleads", "lead", "user:bob"},
	{"group:leads", "lead", "group:subleads#lead"},
	{"doc:1", "viewer", "group:leads#lead"},
	{"folder:root", "viewer", "user:carl"},
	{"folder:sub", "parent", "folder:root"},
	{"doc:1", "parent", "folder:sub"},
	{"doc:1", "viewer", "user:dina"},
}

// TestSetModelOverTuples: a new model over tuples already loaded gets the
// closures and flattened chains it needs, and loses those it no longer
// needs, whichever way the change goes; the other services keep theirs.
func TestSetModelOverTuples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		obj, user    string
		flat, nested bool
	}{
		{"doc:1", "user:dina", true, true},       // direct
		{"doc:1", "user:anne", true, true},       // nested members: a closure in both
		{"doc:1", "user:bob", false, true},       // nested leads: a closure in nested only
		{"doc:1", "user:carl", false, true},      // the folders' chain, nested only
		{"folder:sub", "user:carl", false, true}, // one step up the chain
		{"folder:root", "user:carl", true, true},
		{"doc:1", "user:erin", false, false},
	}
	for _, order := range [][]string{{flatModel, nestedModel, flatModel}, {nestedModel, flatModel, nestedModel}} {
		e := newEngine(t, order[0])
		other := mustParse(t, nestedModel)
		if err := e.SetModel("other", other); err != nil {
			t.Fatal(err)
		}
		write(t, e, derivedTuples...)
		writeTo(t, e, "other", derivedTuples...)
		for step, dsl := range order {
			if step > 0 {
				if err := e.SetModel("svc", mustParse(t, dsl)); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range cases {
				want := c.flat
				if dsl == nestedModel {
					want = c.nested
				}
				got, err := check(t, e, c.obj, "viewer", c.user)
				if err != nil {
					t.Fatalf("step %d: check %s viewer %s: %v", step, c.obj, c.user, err)
				}
				if got != want {
					t.Errorf("step %d (%s model): %s viewer %s = %v, want %v", step, modelName(dsl), c.obj, c.user, got, want)
				}
				res, err := e.Check(context.Background(), "other", checkReq(t, c.obj, "viewer", c.user))
				if err != nil {
					t.Fatal(err)
				}
				if res.Allowed != c.nested {
					t.Errorf("step %d: service other changed: %s viewer %s = %v, want %v", step, c.obj, c.user, res.Allowed, c.nested)
				}
			}
		}
		if order[len(order)-1] == flatModel {
			ts := e.store.data
			for id, rels := range ts.ids("c", "svc", "group") {
				if _, ok := rels.(map[string]any)["lead"]; ok {
					t.Errorf("flat model left the leads' closure of group:%s", id)
				}
			}
			if len(ts.ids("c", "svc", "group")) == 0 {
				t.Error("flat model has no members' closures")
			}
			if ts.eff["svc"] != nil {
				t.Error("flat model left flattened chains")
			}
		}
	}
}

// TestChecksDuringSetModel: checks that run while models change answer by
// the old model or the new one, never by a mix (a new model with the old
// closures, say), and a question both models allow is always allowed.
func TestChecksDuringSetModel(t *testing.T) {
	t.Parallel()
	e := newEngine(t, nestedModel)
	write(t, e, derivedTuples...)
	flat, nested := mustParse(t, flatModel), mustParse(t, nestedModel)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, q := range []struct{ obj, user string }{{"doc:1", "user:dina"}, {"doc:1", "user:anne"}, {"folder:root", "user:carl"}} {
					if ok, err := check(t, e, q.obj, "viewer", q.user); err != nil || !ok {
						t.Errorf("%s viewer %s = %v, %v during a model change; both models allow it", q.obj, q.user, ok, err)
						return
					}
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		m := flat
		if i%2 == 1 {
			m = nested
		}
		if err := e.SetModel("svc", m); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	// The last change installed nested: its closure and its chain answer.
	for _, u := range []string{"user:carl", "user:bob"} {
		if ok, err := check(t, e, "doc:1", "viewer", u); err != nil || !ok {
			t.Errorf("doc:1 viewer %s = %v, %v after the last change, want allowed", u, ok, err)
		}
	}
}

func mustParse(t testing.TB, dsl string) *model.Model {
	t.Helper()
	m, err := model.ParseDSL(dsl)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// writeTo writes tuples to the service svc.
func writeTo(t testing.TB, e *Engine, svc string, keys ...[3]string) {
	t.Helper()
	muts := make([]Mutation, len(keys))
	for i, k := range keys {
		muts[i] = Mutation{ServiceID: svc, Tuple: mustTuple(t, k[0], k[1], k[2])}
	}
	if err := e.Apply(context.Background(), muts); err != nil {
		t.Fatal(err)
	}
}

func checkReq(t testing.TB, obj, rel, user string) CheckRequest {
	tp := mustTuple(t, obj, rel, user)
	return CheckRequest{Object: tp.Object, Relation: tp.Relation, User: tp.User}
}

func modelName(dsl string) string {
	if dsl == flatModel {
		return "flat"
	}
	return "nested"
}
