package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestCheckStopsWhenCancelled: a check whose context ends stops evaluating
// and fails with the context's error; one whose context has already ended
// does not start.
func TestCheckStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	// Every document is the parent of every other: the careful variant
	// follows each simple path of the cycle in turn, far more than a test
	// can wait for, so only cancellation ends it.
	e := newEngine(t, `model
  schema 1.1
type user
type doc
  relations
    define parent: [doc]
    define viewer: [user] or viewer from parent
`)
	const n = 16
	var keys [][3]string
	for i := range n {
		for j := range n {
			if i != j {
				keys = append(keys, [3]string{fmt.Sprintf("doc:%d", i), "parent", fmt.Sprintf("doc:%d", j)})
			}
		}
	}
	write(t, e, keys...)
	q := CheckRequest{Relation: "viewer"}
	q.Object.Type, q.Object.ID = "doc", "0"
	q.User.Type, q.User.ID = "user", "anne"

	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Check(done, "svc", q); !errors.Is(err, context.Canceled) {
		t.Fatalf("check with an ended context: %v, want context.Canceled", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := e.Check(ctx, "svc", q)
		errc <- err
	}()
	select {
	case err := <-errc:
		if err == nil || ctx.Err() == nil {
			t.Fatalf("check finished before its deadline (err %v): the evaluation was meant to take far longer", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("check went on 30 s after its context ended")
	}
}

// TestPolicyStopsWhenCancelled: a policy evaluation whose context ends
// stops and fails; one whose context has already ended does not start.
func TestPolicyStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	// Every triple of 500 numbers, none of which sums below zero: far
	// more expressions than a test can wait for.
	const module = "package slow\n\nnegative if {\n\tsome a in input.xs\n\tsome b in input.xs\n\tsome c in input.xs\n\ta + b + c < 0\n}\n"
	p, err := e.PreparePolicy(t.Context(), map[string]string{"slow.rego": module}, "data.slow.negative")
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]any, 500)
	for i := range xs {
		xs[i] = i
	}
	input := map[string]any{"xs": xs}

	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Eval(done, input); !errors.Is(err, context.Canceled) {
		t.Fatalf("policy with an ended context: %v, want context.Canceled", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := p.Eval(ctx, input)
		errc <- err
	}()
	select {
	case err := <-errc:
		if err == nil || ctx.Err() == nil {
			t.Fatalf("policy finished before its deadline (err %v): the evaluation was meant to take far longer", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("policy went on 30 s after its context ended")
	}
}
