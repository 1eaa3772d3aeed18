package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// atomicModel has two flattened relations, va and vb, and `one`, which
// holds where exactly one of them does: a check of `one` is allowed before
// and after a batch that moves a grant from va to vb, and denied on the
// states between (neither, both).
const atomicModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define parent: [folder]
    define va: [group#member] or va from parent
    define vb: [group#member] or vb from parent
type doc
  relations
    define parent: [folder]
    define va: [group#member] or va from parent
    define vb: [group#member] or vb from parent
    define a_only: va but not vb
    define b_only: vb but not va
    define one: a_only or b_only
`

// TestApplyIsAtomic: checks running beside batches that move a grant never
// see half of a batch. Each case flips between two sets of tuples, A (u
// has va on doc:d) and B (u has vb), through the flattened chains (the
// folder's grants reach the document through parents), the closures (u is
// in the groups through a nested group) or the parent tuples themselves.
func TestApplyIsAtomic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fixed [][3]string
		a, b  [][3]string
	}{
		{
			name: "grant moves between relations",
			fixed: [][3]string{{"doc:d", "parent", "folder:f"}, {"folder:f", "parent", "folder:root"},
				{"group:g", "member", "group:sub#member"}, {"group:sub", "member", "user:u"}},
			a: [][3]string{{"folder:root", "va", "group:g#member"}},
			b: [][3]string{{"folder:root", "vb", "group:g#member"}},
		},
		{
			name: "member moves between groups",
			fixed: [][3]string{{"doc:d", "parent", "folder:f"}, {"folder:f", "va", "group:ga#member"},
				{"folder:f", "vb", "group:gb#member"}, {"group:sub", "member", "user:u"}},
			a: [][3]string{{"group:ga", "member", "group:sub#member"}},
			b: [][3]string{{"group:gb", "member", "group:sub#member"}},
		},
		{
			name: "document moves between folders",
			fixed: [][3]string{{"folder:fa", "va", "group:g#member"}, {"folder:fb", "vb", "group:g#member"},
				{"group:g", "member", "user:u"}},
			a: [][3]string{{"doc:d", "parent", "folder:fa"}},
			b: [][3]string{{"doc:d", "parent", "folder:fb"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEngine(t, atomicModel)
			write(t, e, append(c.fixed, c.a...)...)
			if ok, err := check(t, e, "doc:d", "one", "user:u"); err != nil || !ok {
				t.Fatalf("before any move: one = %v, %v; want true", ok, err)
			}
			move := func(from, to [][3]string) []Mutation {
				var muts []Mutation
				for _, k := range from {
					muts = append(muts, Mutation{ServiceID: "svc", Delete: true, Tuple: mustTuple(t, k[0], k[1], k[2])})
				}
				for _, k := range to {
					muts = append(muts, Mutation{ServiceID: "svc", Tuple: mustTuple(t, k[0], k[1], k[2])})
				}
				return muts
			}
			there, back := move(c.a, c.b), move(c.b, c.a)
			var done atomic.Bool
			var checks, torn atomic.Int64
			var wg sync.WaitGroup
			req := CheckRequest{Object: tuple.Object{Type: "doc", ID: "d"}, Relation: "one", User: tuple.User{Type: "user", ID: "u"}}
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !done.Load() {
						res, err := e.Check(ctx, "svc", req)
						if err != nil {
							t.Error(err)
							return
						}
						checks.Add(1)
						if !res.Allowed {
							torn.Add(1)
						}
					}
				}()
			}
			// Flip until the checkers have had plenty of chances to land
			// mid-batch: at least 300 flips and 1,000 checks.
			for i := 0; i < 300 || (checks.Load() < 1000 && i < 100_000); i++ {
				muts := there
				if i%2 == 1 {
					muts = back
				}
				if err := e.Apply(ctx, muts); err != nil {
					t.Fatal(err)
				}
			}
			done.Store(true)
			wg.Wait()
			if torn.Load() > 0 {
				t.Errorf("%d of %d checks saw half a batch (neither or both grants)", torn.Load(), checks.Load())
			}
			if ok, err := check(t, e, "doc:d", "one", "user:u"); err != nil || !ok {
				t.Fatalf("after the moves: one = %v, %v; want true", ok, err)
			}
		})
	}
}

// TestBatchMatchesOneByOne: random batches of up to 40 mutations over a
// few objects (so a batch often writes and deletes the same tuple, and
// changes a parent and the grants above it together) leave the same index
// (tuples, closures, effective subjects) as the same mutations applied one
// at a time, and as the one rebuilt from scratch: a batch computes on its
// own earlier changes as if they were applied.
func TestBatchMatchesOneByOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seeds := 12
	if testing.Short() {
		seeds = 4
	}
	compared := 0
	for seed := 1; seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 23))
		dsl := randomChainModel(rng)
		m, err := model.ParseDSL(dsl)
		if err != nil || newChainPlan(m) == nil {
			continue
		}
		batched, single := newEngine(t, dsl), newEngine(t, dsl)
		present := map[tuple.Tuple]bool{}
		for round := 0; round < 10; round++ {
			var muts []Mutation
			for k := 1 + rng.IntN(40); k > 0; k-- {
				tp, err := tuple.Parse(randomChainKey(rng, m))
				if err != nil || m.ValidateTuple(tp) != nil {
					continue
				}
				del := present[tp] && rng.IntN(2) == 0
				present[tp] = !del
				muts = append(muts, Mutation{ServiceID: "svc", Delete: del, Tuple: tp})
			}
			if err := batched.Apply(ctx, muts); err != nil {
				t.Fatal(err)
			}
			for _, mu := range muts {
				if err := single.Apply(ctx, []Mutation{mu}); err != nil {
					t.Fatal(err)
				}
			}
			label := fmt.Sprintf("seed %d round %d", seed, round)
			got, one := forwardIndex(batched), forwardIndex(single)
			if !reflect.DeepEqual(got, one) {
				t.Fatalf("%s: batched index = %v\none by one = %v\nmodel:\n%s\nbatch: %v", label, got, one, dsl, muts)
			}
			assertChainIndex(t, batched, label+" (batched)") // rebuilds the closures too
			if want := forwardIndex(batched); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: maintained index = %v\nrebuilt = %v\nmodel:\n%s\nbatch: %v", label, got, want, dsl, muts)
			}
			assertChainIndex(t, single, label+" (one by one)")
			if t.Failed() {
				t.Fatalf("model:\n%s\nbatch: %v", dsl, muts)
			}
			compared++
		}
	}
	if compared < seeds*5 {
		t.Fatalf("only %d batches compared", compared)
	}
}

// forwardIndex copies the service's tuples and closures.
func forwardIndex(e *Engine) map[string]any {
	out := map[string]any{}
	e.store.apply(func(ts *tuples) {
		for _, root := range []string{"t", "s", "c", "y", "g"} {
			out[root] = deepCopy(ts.ids(root, "svc"))
		}
	})
	return out
}
