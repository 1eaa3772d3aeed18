package engine

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/storage"
)

// TestViaView: data.sentinel.v is the fewest steps to a user through the
// groups granted on an object's chain that the user is in: steps to the
// group (data.sentinel.f), the user's nesting distance in it, and one to
// enter it.
func TestViaView(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	write(t, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"group:all", "member", "group:eng#member"}, // anne is in all at distance 1
		[3]string{"group:all", "member", "user:carl"},
		[3]string{"folder:root", "viewer", "group:all#member"},
		[3]string{"folder:sub", "parent", "folder:root"},
		[3]string{"folder:sub", "viewer", "group:eng#member"},
	)
	ctx := t.Context()
	tx, err := e.store.NewTransaction(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer e.store.Abort(ctx, tx)
	read := func(path ...string) (any, error) {
		return e.store.Read(ctx, tx, append(storage.Path{"sentinel"}, path...))
	}
	steps := func(group string) int {
		v, err := read("f", "svc", "folder", "sub", "viewer", "group", "member", group)
		if err != nil {
			t.Fatalf("steps to %s on folder:sub's chain: %v", group, err)
		}
		return v.(int)
	}
	eng, all := steps("eng"), steps("all")
	if eng >= all {
		t.Fatalf("the test needs group:eng (granted on folder:sub, %d steps) nearer than group:all (on its parent, %d)", eng, all)
	}
	for _, tc := range []struct {
		user string
		want int // -1: not found
	}{
		{"anne", min(eng+0+1, all+1+1)},
		{"carl", all + 0 + 1},
		{"dave", -1}, // in no group
	} {
		v, err := read("v", "svc", "folder", "sub", "viewer", "group", "member", "user", tc.user)
		switch {
		case tc.want < 0 && !storage.IsNotFound(err):
			t.Errorf("%s: %v, %v; want not found", tc.user, v, err)
		case tc.want >= 0 && (err != nil || v != tc.want):
			t.Errorf("%s: %v, %v; want %d", tc.user, v, err, tc.want)
		}
	}
	// Only whole paths are served.
	if v, err := read("v", "svc", "folder", "sub", "viewer", "group", "member", "user"); !storage.IsNotFound(err) {
		t.Errorf("a path short of the user: %v, %v; want not found", v, err)
	}
}
