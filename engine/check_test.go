package engine

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentChecksKeepTheirOwn: checks running at once on different
// questions each get their own answer. Their inputs, evaluations and
// function-call caches are pooled and reused (input.go, prepared.go,
// callcache.go); one shared between two checks in flight would answer one
// question with the other's object or user.
func TestConcurrentChecksKeepTheirOwn(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	write(t, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"folder:root", "viewer", "group:eng#member"},
		[3]string{"doc:1", "parent", "folder:root"},
		[3]string{"doc:2", "viewer", "user:bob"},
	)
	questions := []struct {
		obj, rel, user string
		want           bool
	}{
		{"doc:1", "viewer", "user:anne", true},
		{"doc:1", "viewer", "user:bob", false},
		{"doc:2", "viewer", "user:bob", true},
		{"doc:2", "viewer", "user:anne", false},
		{"folder:root", "viewer", "group:eng#member", true},
		{"doc:2", "viewer", "group:eng#member", false},
		{"group:eng", "member", "user:anne", true},
		{"group:eng", "member", "user:bob", false},
	}
	reqs := make([]CheckRequest, len(questions))
	for i, q := range questions {
		tp := mustTuple(t, q.obj, q.rel, q.user)
		reqs[i] = CheckRequest{Object: tp.Object, Relation: tp.Relation, User: tp.User}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				n := (i*(g+1) + g) % len(questions)
				q := questions[n]
				res, err := e.Check(context.Background(), "svc", reqs[n])
				if err != nil || res.Allowed != q.want {
					t.Errorf("%s#%s@%s = %v, %v; want %v", q.obj, q.rel, q.user, res.Allowed, err, q.want)
					return
				}
			}
		})
	}
	wg.Wait()
}
