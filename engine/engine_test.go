package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

const testModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member] or viewer from parent
type doc
  relations
    define parent: [folder]
    define owner: [user]
    define blocked: [user]
    define editor: [user] or owner
    define viewer: ([user, user:*, group#member] or editor or viewer from parent) but not blocked
    define audited: viewer and editor
`

func mustTuple(t testing.TB, obj, rel, user string) tuple.Tuple {
	t.Helper()
	tp, err := tuple.Parse(tuple.Key{Object: obj, Relation: rel, User: user})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func newEngine(t testing.TB, dsl string, opts ...Options) *Engine {
	t.Helper()
	e, err := New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.ParseDSL(dsl)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetModel("svc", m); err != nil {
		t.Fatal(err)
	}
	return e
}

func write(t testing.TB, e *Engine, keys ...[3]string) {
	t.Helper()
	writeTo(t, e, "svc", keys...)
}

func check(t testing.TB, e *Engine, obj, rel, user string, ctxTuples ...tuple.Tuple) (bool, error) {
	t.Helper()
	tp := mustTuple(t, obj, rel, user)
	res, err := e.Check(context.Background(), "svc", CheckRequest{Object: tp.Object, Relation: tp.Relation, User: tp.User, Contextual: ctxTuples})
	return res.Allowed, err
}

func TestCheck(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	write(t, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"group:all", "member", "group:eng#member"},
		[3]string{"folder:root", "viewer", "group:all#member"},
		[3]string{"folder:sub", "parent", "folder:root"},
		[3]string{"doc:1", "parent", "folder:sub"},
		[3]string{"doc:1", "owner", "user:olga"},
		[3]string{"doc:2", "viewer", "user:*"},
		[3]string{"doc:2", "blocked", "user:bob"},
		[3]string{"doc:3", "viewer", "user:carl"},
		// A membership cycle: must terminate, and grant nothing by itself.
		[3]string{"group:x", "member", "group:y#member"},
		[3]string{"group:y", "member", "group:x#member"},
	)
	cases := []struct {
		obj, rel, user string
		want           bool
	}{
		{"doc:1", "viewer", "user:anne", true},             // nested group → folder chain → doc
		{"doc:1", "viewer", "user:olga", true},             // owner → editor → viewer
		{"doc:1", "audited", "user:olga", true},            // viewer and editor
		{"doc:1", "audited", "user:anne", false},           // viewer, not editor
		{"doc:1", "viewer", "user:zed", false},             // nothing
		{"doc:2", "viewer", "user:zed", true},              // wildcard
		{"doc:2", "viewer", "user:bob", false},             // wildcard but blocked
		{"doc:3", "viewer", "user:carl", true},             // direct
		{"folder:sub", "viewer", "group:eng#member", true}, // userset as user, nested
		{"group:eng", "member", "group:eng#member", true},  // a userset contains itself
		{"group:x", "member", "user:anne", false},          // cycle: false
	}
	for _, c := range cases {
		got, err := check(t, e, c.obj, c.rel, c.user)
		if err != nil {
			t.Errorf("check %s#%s@%s: %v", c.obj, c.rel, c.user, err)
			continue
		}
		if got != c.want {
			t.Errorf("check %s#%s@%s = %v, want %v", c.obj, c.rel, c.user, got, c.want)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	for _, c := range [][3]string{
		{"nope:1", "viewer", "user:anne"},
		{"doc:1", "nope", "user:anne"},
		{"doc:1", "viewer", "robot:anne"},
		{"doc:1", "viewer", "group:eng#nope"},
	} {
		if _, err := check(t, e, c[0], c[1], c[2]); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("check %v: err = %v, want ErrInvalidRequest", c, err)
		}
	}
	bad := mustTuple(t, "doc:1", "owner", "group:eng#member") // owner admits only users
	if _, err := check(t, e, "doc:1", "viewer", "user:anne", bad); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("invalid contextual tuple: err = %v", err)
	}
	if _, err := e.Check(context.Background(), "other", CheckRequest{}); !errors.Is(err, ErrNoModel) {
		t.Errorf("service without model: %v", err)
	}
}

func TestContextualTuplesAreNotStored(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	ctxTuple := mustTuple(t, "doc:9", "viewer", "user:anne")
	if ok, err := check(t, e, "doc:9", "viewer", "user:anne", ctxTuple); err != nil || !ok {
		t.Fatalf("with the contextual tuple: %v, %v", ok, err)
	}
	if ok, _ := check(t, e, "doc:9", "viewer", "user:anne"); ok {
		t.Fatal("a contextual tuple leaked into the index")
	}
}

func TestTooComplex(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel, Options{MaxDepth: 3})
	// anne ∈ g0 ∈ g1 ∈ g2 ∈ g3 ∈ g4: deeper than 3.
	write(t, e, [3]string{"group:g0", "member", "user:anne"})
	for i := 1; i <= 4; i++ {
		write(t, e, [3]string{fmt.Sprintf("group:g%d", i), "member", fmt.Sprintf("group:g%d#member", i-1)})
	}
	if ok, err := check(t, e, "group:g2", "member", "user:anne"); err != nil || !ok {
		t.Fatalf("within the limit: %v, %v", ok, err)
	}
	if _, err := check(t, e, "group:g4", "member", "user:anne"); !errors.Is(err, ErrTooComplex) {
		t.Fatalf("past the limit: err = %v, want ErrTooComplex", err)
	}
}

func TestListAndExpand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, testModel)
	write(t, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"doc:1", "viewer", "group:eng#member"},
		[3]string{"doc:2", "viewer", "user:anne"},
		[3]string{"doc:3", "viewer", "user:*"},
		[3]string{"doc:3", "blocked", "user:anne"},
		[3]string{"doc:4", "owner", "user:bob"},
	)
	anne := mustTuple(t, "doc:1", "viewer", "user:anne").User
	ids, err := e.ListObjects(ctx, "svc", ListObjectsRequest{Type: "doc", Relation: "viewer", User: anne})
	if err != nil || fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("ListObjects = %v, %v; want [1 2]", ids, err)
	}
	users, err := e.ListUsers(ctx, "svc", ListUsersRequest{Object: tuple.Object{Type: "doc", ID: "1"}, Relation: "viewer",
		Filters: []UserFilter{{Type: "user"}, {Type: "group", Relation: "member"}}})
	if err != nil || fmt.Sprint(users) != "[group:eng#member user:anne]" {
		t.Fatalf("ListUsers = %v, %v", users, err)
	}
	tree, err := e.Expand(ctx, "svc", ExpandRequest{Object: tuple.Object{Type: "doc", ID: "3"}, Relation: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	base := tree.Difference.Base
	if got := fmt.Sprint(base.Union[0].Users); got != "[user:*]" || tree.Difference.Subtract.Computed != "doc:3#blocked" {
		t.Fatalf("Expand = %+v", tree)
	}
}

func TestDeletePrunesEmptyParents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, testModel)
	a := Mutation{ServiceID: "svc", Tuple: mustTuple(t, "doc:1", "viewer", "user:a")}
	b := Mutation{ServiceID: "svc", Tuple: mustTuple(t, "doc:1", "viewer", "group:g#member")}
	if err := e.Apply(ctx, []Mutation{a, b, a}); err != nil {
		t.Fatal(err)
	}
	a.Delete, b.Delete = true, true
	if err := e.Apply(ctx, []Mutation{a, b, a}); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"t", "s"} {
		v, err := storage.ReadOne(ctx, e.store, storage.Path{"sentinel", root})
		if err != nil {
			t.Fatal(err)
		}
		if m := v.(map[string]any); len(m) != 0 {
			t.Fatalf("index %s not pruned: %v", root, m)
		}
	}
	e.store.apply(func(ts *tuples) {
		if len(ts.fwd) != 0 {
			t.Fatalf("forward index not pruned: %v", ts.fwd)
		}
	})
	if ok, _ := check(t, e, "doc:1", "viewer", "user:a"); ok {
		t.Fatal("deleted tuple still grants")
	}
}

// TestStoreServesIndexThroughOPA: a read of all data sees the index, and
// OPA cannot write into what datasync owns.
func TestStoreServesIndexThroughOPA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, testModel)
	write(t, e, [3]string{"doc:1", "viewer", "user:a"})
	v, err := storage.ReadOne(ctx, e.store, storage.Path{})
	if err != nil {
		t.Fatal(err)
	}
	users := v.(map[string]any)["sentinel"].(map[string]any)["t"].(map[string]any)["svc"].(map[string]any)["doc"].(map[string]any)["1"].(map[string]any)["viewer"].(map[string]any)["user"].(map[string]any)
	if users["a"] != true {
		t.Fatalf("index not visible at the root: %v", v)
	}
	if err := storage.WriteOne(ctx, e.store, storage.AddOp, storage.Path{"sentinel", "t", "x"}, map[string]any{}); err == nil {
		t.Fatal("OPA write into the tuple index must be refused")
	}
	if err := storage.WriteOne(ctx, e.store, storage.AddOp, storage.Path{"other"}, map[string]any{"x": 1}); err != nil {
		t.Fatalf("writes elsewhere go to the inner store: %v", err)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEngine(t, testModel)
	write(t, e,
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"folder:root", "viewer", "group:eng#member"},
		[3]string{"doc:1", "parent", "folder:root"},
	)
	ask := func(user string) CheckResult {
		tp := mustTuple(t, "doc:1", "viewer", user)
		res, err := e.Check(ctx, "svc", CheckRequest{Object: tp.Object, Relation: tp.Relation, User: tp.User, Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := ask("user:anne")
	want := []string{
		"doc:1#viewer ← folder:root#viewer (via doc:1#parent@folder:root)",
		"folder:root#viewer@group:eng#member (tuple)",
		"group:eng#member@user:anne (tuple)",
		"doc:1#viewer: the excluded branch does not apply",
	}
	if !res.Allowed || fmt.Sprint(res.Explanation.Path) != fmt.Sprint(want) {
		t.Fatalf("explain allowed:\n got %q\nwant %q", res.Explanation.Path, want)
	}
	res = ask("user:zed")
	wantTried := []string{
		"doc:1#viewer: direct assignment → false",
		"doc:1#viewer: editor → false",
		"doc:1#viewer: viewer from parent → false",
		"doc:1#viewer: excluded by blocked → false",
	}
	if res.Allowed || fmt.Sprint(res.Explanation.Tried) != fmt.Sprint(wantTried) {
		t.Fatalf("explain denied:\n got %q\nwant %q", res.Explanation.Tried, wantTried)
	}
	write(t, e, [3]string{"doc:1", "blocked", "user:anne"})
	res = ask("user:anne")
	if res.Allowed || res.Explanation.Tried[2] != "doc:1#viewer: viewer from parent → true" || res.Explanation.Tried[3] != "doc:1#viewer: excluded by blocked → true" {
		t.Fatalf("explain blocked: %q", res.Explanation.Tried)
	}
}

func TestExpandJSONMarksEmptyLeaves(t *testing.T) {
	t.Parallel()
	e := newEngine(t, testModel)
	tree, err := e.Expand(context.Background(), "svc", ExpandRequest{Object: tuple.Object{Type: "doc", ID: "9"}, Relation: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(tree)
	if err != nil || string(raw) != `{"name":"doc:9#owner","users":[]}` {
		t.Fatalf("expand JSON = %s, %v", raw, err)
	}
}
