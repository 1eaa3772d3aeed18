package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// The directory service of these tests and its model: workspaces with
// ordered roles, groups nested in groups, and resource, a type of the
// directory service that is not a directory type.
const (
	dirSvc      = "sys"
	dirTypes    = testenv.DirectoryTypes
	dirSysModel = "model\n  schema 1.1\n" + dirTypes + `
type resource
  relations
    define viewer: [user, group#member]
`
	// dirDocModel is a service's own model over the directory: a doc's
	// viewers are users, workspace members and group members, inherited
	// from its folder (a flattened chain).
	dirDocModel = "model\n  schema 1.1\n" + dirTypes + `
type folder
  relations
    define viewer: [user, workspace#member, group#member]
type doc
  relations
    define parent: [folder]
    define viewer: [user, workspace#member, group#member] or viewer from parent
`
	// ownGroupModel has a group type of its own, not the directory's.
	ownGroupModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type doc
  relations
    define viewer: [user, group#member]
`
)

var dirOpts = Options{DirectoryService: dirSvc, DirectoryTypes: []string{"workspace", "group"}}

// dirEngine returns an engine with the directory configured and its model
// set, and sets each service's model (opted in if named in optIn).
func dirEngine(t testing.TB, models map[string]string, optIn ...string) *Engine {
	t.Helper()
	e, err := New(context.Background(), dirOpts)
	if err != nil {
		t.Fatal(err)
	}
	setModel(t, e, dirSvc, dirSysModel, false)
	for svc, dsl := range models {
		setModel(t, e, svc, dsl, slices.Contains(optIn, svc))
	}
	return e
}

func setModel(t testing.TB, e *Engine, svc, dsl string, directory bool) {
	t.Helper()
	m, err := model.ParseDSL(dsl)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetModel(svc, m, ModelOptions{Directory: directory}); err != nil {
		t.Fatal(err)
	}
}

// applyTo writes (or deletes) tuples "object relation user" of a service.
func applyTo(t testing.TB, e *Engine, svc string, del bool, keys ...[3]string) {
	t.Helper()
	muts := make([]Mutation, len(keys))
	for i, k := range keys {
		muts[i] = Mutation{ServiceID: svc, Delete: del, Tuple: mustTuple(t, k[0], k[1], k[2])}
	}
	if err := e.Apply(context.Background(), muts); err != nil {
		t.Fatal(err)
	}
}

func checkOf(t testing.TB, e *Engine, svc, obj, rel, user string) bool {
	t.Helper()
	tp := mustTuple(t, obj, rel, user)
	res, err := e.Check(context.Background(), svc, CheckRequest{Object: tp.Object, Relation: tp.Relation, User: tp.User})
	if err != nil {
		t.Fatalf("check %s %s#%s@%s: %v", svc, obj, rel, user, err)
	}
	return res.Allowed
}

// tuplesOf lists a service's tuples of a type in the index, sorted.
func tuplesOf(e *Engine, svc, typ string) []string {
	var out []string
	e.store.apply(func(ts *tuples) {
		ts.eachTuple(svc, typ, func(t tuple.Tuple) { out = append(out, t.String()) })
	})
	slices.Sort(out)
	return out
}

// assertMirrored fails unless each opted-in service holds exactly the
// directory's workspace and group tuples, with the directory's group
// closures, and closures and chains equal to a rebuild from scratch.
func assertMirrored(t *testing.T, e *Engine, label string, svcs ...string) {
	t.Helper()
	for _, typ := range dirOpts.DirectoryTypes {
		want := tuplesOf(e, dirSvc, typ)
		for _, svc := range svcs {
			if got := tuplesOf(e, svc, typ); !slices.Equal(got, want) {
				t.Errorf("%s: %s's %s tuples = %v\nthe directory's = %v", label, svc, typ, got, want)
			}
		}
	}
	for _, svc := range svcs {
		e.store.apply(func(ts *tuples) {
			for _, root := range []string{"c", "y"} {
				if got, want := ts.ids(root, svc, "group"), ts.ids(root, dirSvc, "group"); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s's group closures %s = %v\nthe directory's = %v", label, svc, root, got, want)
				}
			}
		})
		assertRebuilt(t, e, label, svc)
	}
}

// assertRebuilt fails unless a service's closures and chains are what a
// rebuild from its tuples makes them.
func assertRebuilt(t *testing.T, e *Engine, label, svc string) {
	t.Helper()
	e.store.apply(func(ts *tuples) {
		read := func() map[string]any {
			out := map[string]any{}
			for _, root := range []string{"c", "y", "g"} {
				out[root] = deepCopy(ts.ids(root, svc))
			}
			for _, root := range []string{"e", "f", "h"} {
				out[root], _ = ts.eff.materialize(storage.Path{root, svc})
			}
			return out
		}
		maintained := read()
		c := e.current(svc)
		ts.recomputeService(svc, c.closables)
		ts.recomputeChains(svc, c.chains)
		if rebuilt := read(); !reflect.DeepEqual(maintained, rebuilt) {
			t.Errorf("%s: %s's maintained closures and chains = %v\nrebuilt = %v", label, svc, maintained, rebuilt)
		}
	})
}

// directoryTuples are a workspace, its members, and two groups, one
// nested in the other, plus a resource tuple (not a directory type).
var directoryTuples = [][3]string{
	{"workspace:acme", "owner", "user:olga"},
	{"workspace:acme", "viewer", "user:vic"},
	{"group:eng", "workspace", "workspace:acme"},
	{"group:eng", "member", "user:anne"},
	{"group:all", "workspace", "workspace:acme"},
	{"group:all", "member", "group:eng#member"},
	{"resource:r1", "viewer", "user:rita"},
}

// TestDirectoryMirrorsOnApply: directory changes reach an opted-in
// service's checks, lists, list-users, expand and explain in the batch
// that makes them, through nested groups and flattened chains; other
// types of the directory service are not mirrored.
func TestDirectoryMirrorsOnApply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := dirEngine(t, map[string]string{"a": dirDocModel}, "a")
	applyTo(t, e, "a", false,
		[3]string{"doc:spec", "viewer", "group:all#member"},
		[3]string{"folder:f", "viewer", "workspace:acme#member"},
		[3]string{"doc:child", "parent", "folder:f"})
	for _, c := range []struct{ obj, user string }{{"doc:spec", "user:anne"}, {"doc:child", "user:vic"}, {"doc:child", "user:olga"}} {
		if checkOf(t, e, "a", c.obj, "viewer", c.user) {
			t.Fatalf("%s viewer %s before the directory has them", c.obj, c.user)
		}
	}
	applyTo(t, e, dirSvc, false, directoryTuples...)
	assertMirrored(t, e, "after writes", "a")
	cases := []struct {
		obj, user string
		want      bool
	}{
		{"doc:spec", "user:anne", true},   // group:all ⊃ group:eng ∋ anne
		{"doc:spec", "user:olga", false},  // in the workspace, in no group
		{"doc:child", "user:olga", true},  // owner ⇒ member, through the folder
		{"doc:child", "user:vic", true},   // viewer ⇒ member
		{"doc:child", "user:rita", false}, // a resource viewer only
	}
	for _, c := range cases {
		if got := checkOf(t, e, "a", c.obj, "viewer", c.user); got != c.want {
			t.Errorf("check %s#viewer@%s = %v, want %v", c.obj, c.user, got, c.want)
		}
	}
	if got := tuplesOf(e, "a", "resource"); len(got) != 0 {
		t.Errorf("resource tuples mirrored: %v", got)
	}
	anne := tuple.User{Type: "user", ID: "anne"}
	if ids, err := e.ListObjects(ctx, "a", ListObjectsRequest{Type: "doc", Relation: "viewer", User: anne}); err != nil || !slices.Equal(ids, []string{"spec"}) {
		t.Errorf("ListObjects = %v, %v; want [spec]", ids, err)
	}
	if ids, err := e.ListObjects(ctx, "a", ListObjectsRequest{Type: "group", Relation: "member", User: anne}); err != nil || !slices.Equal(ids, []string{"all", "eng"}) {
		t.Errorf("ListObjects group#member = %v, %v; want [all eng]", ids, err)
	}
	users, err := e.ListUsers(ctx, "a", ListUsersRequest{Object: tuple.Object{Type: "doc", ID: "child"}, Relation: "viewer", Filters: []UserFilter{{Type: "user"}}})
	if want := []string{"user:olga", "user:vic"}; err != nil || !slices.Equal(users, want) {
		t.Errorf("ListUsers = %v, %v; want %v", users, err, want)
	}
	tree, err := e.Expand(ctx, "a", ExpandRequest{Object: tuple.Object{Type: "group", ID: "all"}, Relation: "member"})
	if err != nil || tree == nil || !slices.Equal(tree.Users, []string{"group:eng#member"}) {
		t.Errorf("Expand group:all#member = %+v, %v", tree, err)
	}
	res, err := e.Check(ctx, "a", CheckRequest{Object: tuple.Object{Type: "doc", ID: "spec"}, Relation: "viewer", User: anne, Explain: true})
	if err != nil || !res.Allowed || res.Explanation == nil || !slices.Contains(res.Explanation.Path, "group:eng#member@user:anne (tuple)") {
		t.Errorf("explain = %+v, %v", res.Explanation, err)
	}

	// Removal from the group, and a role change, in one batch.
	if err := e.Apply(ctx, []Mutation{
		{ServiceID: dirSvc, Delete: true, Tuple: mustTuple(t, "group:eng", "member", "user:anne")},
		{ServiceID: dirSvc, Delete: true, Tuple: mustTuple(t, "workspace:acme", "viewer", "user:vic")},
		{ServiceID: dirSvc, Tuple: mustTuple(t, "group:eng", "member", "user:vic")},
	}); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, e, "after removals", "a")
	for _, c := range []struct {
		obj, user string
		want      bool
	}{{"doc:spec", "user:anne", false}, {"doc:spec", "user:vic", true}, {"doc:child", "user:vic", false}} {
		if got := checkOf(t, e, "a", c.obj, "viewer", c.user); got != c.want {
			t.Errorf("after removals: check %s#viewer@%s = %v, want %v", c.obj, c.user, got, c.want)
		}
	}
}

// TestDirectoryFollowsModel: a model that opts in copies the directory in
// at once; one that replaces it without the opt-in removes it (closures
// and chains with it); opting in again brings it back; dropping the model
// leaves nothing of the directory behind.
func TestDirectoryFollowsModel(t *testing.T) {
	t.Parallel()
	e := dirEngine(t, map[string]string{"a": dirDocModel})
	applyTo(t, e, dirSvc, false, directoryTuples...)
	applyTo(t, e, "a", false, [3]string{"doc:spec", "viewer", "group:all#member"}, [3]string{"doc:mine", "viewer", "user:anne"})

	steps := []struct {
		name   string
		optIn  bool
		drop   bool
		mirror bool // the directory is mirrored into a afterwards
	}{
		{"model without the opt-in", false, false, false},
		{"opt in", true, false, true},
		{"a new version, still opted in", true, false, true},
		{"opt out", false, false, false},
		{"opt in again", true, false, true},
		{"drop the model", false, true, false},
	}
	for _, s := range steps {
		if s.drop {
			e.DropModel("a")
		} else {
			setModel(t, e, "a", dirDocModel, s.optIn)
		}
		for _, typ := range dirOpts.DirectoryTypes {
			got := tuplesOf(e, "a", typ)
			if want := tuplesOf(e, dirSvc, typ); s.mirror && !slices.Equal(got, want) || !s.mirror && len(got) != 0 {
				t.Errorf("%s: a's %s tuples = %v (mirrored: %v)", s.name, typ, got, s.mirror)
			}
		}
		if s.drop {
			e.store.apply(func(ts *tuples) {
				for _, root := range []string{"c", "y", "g"} {
					if v := ts.ids(root, "a"); len(v) != 0 {
						t.Errorf("%s: closures %s left behind: %v", s.name, root, v)
					}
				}
			})
			continue
		}
		assertRebuilt(t, e, s.name, "a")
		if got := checkOf(t, e, "a", "doc:spec", "viewer", "user:anne"); got != s.mirror {
			t.Errorf("%s: doc:spec viewer anne = %v, want %v", s.name, got, s.mirror)
		}
		if !checkOf(t, e, "a", "doc:mine", "viewer", "user:anne") {
			t.Errorf("%s: the service's own tuple is lost", s.name)
		}
	}
	if got := tuplesOf(e, dirSvc, "group"); len(got) != 4 {
		t.Errorf("the directory's own group tuples changed: %v", got)
	}
}

// TestDirectoryIsolation: an opted-in service sees the directory's
// workspaces and groups and nothing of any other service; a service that
// did not opt in keeps its own group type, unmixed with the directory's.
func TestDirectoryIsolation(t *testing.T) {
	t.Parallel()
	e := dirEngine(t, map[string]string{"a": dirDocModel, "b": dirDocModel, "c": ownGroupModel}, "a", "b")
	applyTo(t, e, dirSvc, false, directoryTuples...)
	applyTo(t, e, "b", false, [3]string{"doc:1", "viewer", "user:bob"}, [3]string{"folder:f", "viewer", "user:bob"})
	applyTo(t, e, "c", false, [3]string{"group:eng", "member", "user:carl"}, [3]string{"doc:1", "viewer", "group:eng#member"})
	applyTo(t, e, "a", false, [3]string{"doc:1", "viewer", "group:eng#member"})
	assertMirrored(t, e, "isolation", "a", "b")

	cases := []struct {
		svc, obj, rel, user string
		want                bool
	}{
		{"a", "doc:1", "viewer", "user:anne", true},  // the directory's eng
		{"a", "doc:1", "viewer", "user:carl", false}, // c's own eng
		{"a", "doc:1", "viewer", "user:bob", false},  // b's doc
		{"a", "folder:f", "viewer", "user:bob", false},
		{"b", "doc:1", "viewer", "user:bob", true},
		{"b", "doc:1", "viewer", "user:anne", false}, // b's doc:1 does not name eng
		{"c", "doc:1", "viewer", "user:carl", true},  // c's own eng
		{"c", "doc:1", "viewer", "user:anne", false}, // not the directory's
		{"c", "group:eng", "member", "user:anne", false},
	}
	for _, c := range cases {
		if got := checkOf(t, e, c.svc, c.obj, c.rel, c.user); got != c.want {
			t.Errorf("%s: check %s#%s@%s = %v, want %v", c.svc, c.obj, c.rel, c.user, got, c.want)
		}
	}
	if got, want := tuplesOf(e, "c", "group"), []string{"group:eng#member@user:carl"}; !slices.Equal(got, want) {
		t.Errorf("c's group tuples = %v, want %v", got, want)
	}
	// Nothing of the services reaches the directory.
	for _, typ := range []string{"doc", "folder"} {
		if got := tuplesOf(e, dirSvc, typ); len(got) != 0 {
			t.Errorf("the directory holds %s tuples %v", typ, got)
		}
	}
}

// TestDirectoryContextualRefused: an opted-in service may not bring
// tuples of a directory type as contextual tuples; other types, and
// services that did not opt in, may.
func TestDirectoryContextualRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := dirEngine(t, map[string]string{"a": dirDocModel, "c": ownGroupModel}, "a")
	applyTo(t, e, dirSvc, false, directoryTuples...)
	doc, anne, zed := tuple.Object{Type: "doc", ID: "1"}, tuple.User{Type: "user", ID: "anne"}, tuple.User{Type: "user", ID: "zed"}
	cases := []struct {
		svc  string
		ctx  [][3]string
		user tuple.User
		want bool
		err  bool
	}{
		{"a", [][3]string{{"group:eng", "member", "user:zed"}, {"doc:1", "viewer", "group:eng#member"}}, zed, false, true},
		{"a", [][3]string{{"workspace:acme", "owner", "user:zed"}}, zed, false, true},
		{"a", [][3]string{{"doc:1", "viewer", "group:eng#member"}}, anne, true, false},
		{"c", [][3]string{{"group:eng", "member", "user:zed"}, {"doc:1", "viewer", "group:eng#member"}}, zed, true, false},
	}
	for i, c := range cases {
		var cts []tuple.Tuple
		for _, k := range c.ctx {
			cts = append(cts, mustTuple(t, k[0], k[1], k[2]))
		}
		res, err := e.Check(ctx, c.svc, CheckRequest{Object: doc, Relation: "viewer", User: c.user, Contextual: cts})
		if c.err {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("case %d: error %v, want ErrInvalidRequest", i, err)
			}
			_, lerr := e.ListObjects(ctx, c.svc, ListObjectsRequest{Type: "doc", Relation: "viewer", User: c.user, Contextual: cts})
			_, uerr := e.ListUsers(ctx, c.svc, ListUsersRequest{Object: doc, Relation: "viewer", Filters: []UserFilter{{Type: "user"}}, Contextual: cts})
			if !errors.Is(lerr, ErrInvalidRequest) || !errors.Is(uerr, ErrInvalidRequest) {
				t.Errorf("case %d: list %v, list users %v; want ErrInvalidRequest", i, lerr, uerr)
			}
			continue
		}
		if err != nil || res.Allowed != c.want {
			t.Errorf("case %d: %v, %v; want %v", i, res.Allowed, err, c.want)
		}
	}
}

// TestDirectoryOptInRefused: an engine without a directory, or the
// directory service itself, cannot take an opted-in model; the refusal
// leaves the current model in place.
func TestDirectoryOptInRefused(t *testing.T) {
	t.Parallel()
	m, err := model.ParseDSL(dirDocModel)
	if err != nil {
		t.Fatal(err)
	}
	bare := newEngine(t, dirDocModel)
	if err := bare.SetModel("svc", m, ModelOptions{Directory: true}); err == nil {
		t.Error("an engine without a directory took an opted-in model")
	}
	if c := bare.current("svc"); c == nil || c.dirTypes != nil {
		t.Errorf("the refused model replaced the current one: %+v", c)
	}
	e := dirEngine(t, nil)
	if err := e.SetModel(dirSvc, m, ModelOptions{Directory: true}); err == nil {
		t.Error("the directory service opted in to itself")
	}
}

// TestDirectoryReplace: a full reload mirrors the directory into the
// opted-in services of the new index.
func TestDirectoryReplace(t *testing.T) {
	t.Parallel()
	e := dirEngine(t, map[string]string{"a": dirDocModel}, "a")
	l := NewLoader()
	for _, k := range directoryTuples {
		l.Add(dirSvc, mustTuple(t, k[0], k[1], k[2]))
	}
	l.Add("a", mustTuple(t, "doc:1", "viewer", "group:all#member"))
	if err := e.Replace(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, e, "after Replace", "a")
	if !checkOf(t, e, "a", "doc:1", "viewer", "user:anne") {
		t.Error("after Replace: anne does not view doc:1 through the directory's groups")
	}
}

// TestDirectoryRandom: random batches of directory changes, with opt-ins
// and opt-outs between them, keep every opted-in service an exact mirror
// with closures and chains as a rebuild makes them.
func TestDirectoryRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	e := dirEngine(t, map[string]string{"a": dirDocModel, "b": dirDocModel}, "a")
	applyTo(t, e, "a", false, [3]string{"doc:1", "viewer", "group:g0#member"}, [3]string{"folder:f", "viewer", "workspace:w0#member"},
		[3]string{"doc:2", "parent", "folder:f"})
	applyTo(t, e, "b", false, [3]string{"doc:1", "viewer", "group:g1#member"})
	optedB := false
	for round := range 40 {
		var muts []Mutation
		for range 1 + rng.IntN(20) {
			var tp tuple.Tuple
			switch rng.IntN(3) {
			case 0:
				roles := []string{"owner", "admin", "editor", "viewer"}
				tp = mustTuple(t, fmt.Sprintf("workspace:w%d", rng.IntN(3)), roles[rng.IntN(4)], fmt.Sprintf("user:u%d", rng.IntN(6)))
			case 1:
				tp = mustTuple(t, fmt.Sprintf("group:g%d", rng.IntN(5)), "member", fmt.Sprintf("user:u%d", rng.IntN(6)))
			default:
				tp = mustTuple(t, fmt.Sprintf("group:g%d", rng.IntN(5)), "member", fmt.Sprintf("group:g%d#member", rng.IntN(5)))
			}
			muts = append(muts, Mutation{ServiceID: dirSvc, Delete: rng.IntN(3) == 0, Tuple: tp})
		}
		if err := e.Apply(context.Background(), muts); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(5) == 0 {
			optedB = !optedB
			setModel(t, e, "b", dirDocModel, optedB)
		}
		opted := []string{"a"}
		if optedB {
			opted = append(opted, "b")
		}
		assertMirrored(t, e, fmt.Sprintf("round %d", round), opted...)
		if !optedB && len(tuplesOf(e, "b", "group")) != 0 {
			t.Fatalf("round %d: b opted out but holds group tuples", round)
		}
		if t.Failed() {
			return
		}
	}
}
