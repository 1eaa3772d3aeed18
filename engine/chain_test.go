package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// chainModel is the benchmark's model: folders in parent chains,
// documents in folders, grants to users, groups and user:*.
const chainModel = gen.Model

// fastCheck asks the fast variant alone: errTooComplex means it left the
// question to the careful variant.
func fastCheck(t *testing.T, e *Engine, obj, rel, user string) (bool, error) {
	t.Helper()
	tp := mustTuple(t, obj, rel, user)
	c := e.current("svc")
	return e.evalVariant(context.Background(), c, nil, tp.Object.Type, tp.Relation, evalInput(nil, tp.Object, tp.User), false)
}

func TestFlattenedRelations(t *testing.T) {
	t.Parallel()
	m, err := model.ParseDSL(chainModel)
	if err != nil {
		t.Fatal(err)
	}
	p := newChainPlan(m)
	want := map[relRef]bool{{"folder", "editor"}: true, {"folder", "viewer"}: true, {"doc", "editor"}: true, {"doc", "viewer"}: true}
	if fmt.Sprint(p.flat) != fmt.Sprint(want) {
		t.Fatalf("flattened %v, want %v", p.flat, want)
	}
	// testModel: doc#viewer has an exclusion, so only folder#viewer is.
	m, err = model.ParseDSL(testModel)
	if err != nil {
		t.Fatal(err)
	}
	if p := newChainPlan(m); fmt.Sprint(p.flat) != fmt.Sprint(map[relRef]bool{{"folder", "viewer"}: true}) {
		t.Fatalf("testModel flattened %v", p.flat)
	}
}

// TestChainLiveWrites: every write or delete of a grant, a membership or a
// parent changes the flattened answer as soon as Apply returns, and the
// fast variant decides it (no fallback to the careful one).
func TestChainLiveWrites(t *testing.T) {
	t.Parallel()
	e := newEngine(t, chainModel)
	write(t, e,
		[3]string{"folder:mid", "parent", "folder:root"},
		[3]string{"folder:leaf", "parent", "folder:mid"},
		[3]string{"doc:1", "parent", "folder:leaf"},
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"group:all", "member", "group:eng#member"},
	)
	type want struct {
		obj, rel, user string
		allowed        bool
	}
	steps := []struct {
		name       string
		write, del [][3]string
		want       []want
	}{
		{"a grant on the top folder reaches the document", [][3]string{{"folder:root", "viewer", "user:bob"}}, nil, []want{
			{"doc:1", "viewer", "user:bob", true}, {"folder:mid", "viewer", "user:bob", true}, {"doc:1", "editor", "user:bob", false},
		}},
		{"deleting it takes it away", nil, [][3]string{{"folder:root", "viewer", "user:bob"}}, []want{
			{"doc:1", "viewer", "user:bob", false}, {"folder:leaf", "viewer", "user:bob", false},
		}},
		{"a nested group granted on an ancestor", [][3]string{{"folder:mid", "editor", "group:all#member"}}, nil, []want{
			{"doc:1", "editor", "user:anne", true}, {"doc:1", "viewer", "user:anne", true}, {"folder:root", "viewer", "user:anne", false},
		}},
		{"leaving the group", nil, [][3]string{{"group:eng", "member", "user:anne"}}, []want{
			{"doc:1", "viewer", "user:anne", false}, {"doc:1", "editor", "user:anne", false},
		}},
		{"joining through another nested group", [][3]string{{"group:ops", "member", "user:anne"}, {"group:all", "member", "group:ops#member"}}, nil, []want{
			{"doc:1", "editor", "user:anne", true},
		}},
		{"two ways to a grant, one deleted", [][3]string{{"folder:leaf", "viewer", "user:carl"}, {"folder:root", "viewer", "user:carl"}}, [][3]string{{"folder:leaf", "viewer", "user:carl"}}, []want{
			{"doc:1", "viewer", "user:carl", true}, {"folder:leaf", "viewer", "user:carl", true},
		}},
		{"the other deleted too", nil, [][3]string{{"folder:root", "viewer", "user:carl"}}, []want{
			{"doc:1", "viewer", "user:carl", false},
		}},
		{"a folder moved away from its granted parent", nil, [][3]string{{"folder:leaf", "parent", "folder:mid"}}, []want{
			{"doc:1", "editor", "user:anne", false}, {"folder:leaf", "viewer", "user:anne", false},
		}},
		{"and under another", [][3]string{{"folder:other", "owner", "user:dana"}, {"folder:leaf", "parent", "folder:other"}}, nil, []want{
			{"doc:1", "editor", "user:dana", true}, {"doc:1", "viewer", "user:dana", true}, {"doc:1", "owner", "user:dana", false},
		}},
		{"a new document under a granted folder", [][3]string{{"doc:2", "parent", "folder:other"}}, nil, []want{
			{"doc:2", "viewer", "user:dana", true}, {"doc:2", "viewer", "user:anne", false},
		}},
		{"a wildcard on an ancestor", [][3]string{{"folder:other", "viewer", "user:*"}}, nil, []want{
			{"doc:2", "viewer", "user:zed", true}, {"doc:1", "viewer", "user:*", true}, {"doc:2", "editor", "user:zed", false},
		}},
		{"a grant and the parent carrying it in one batch", [][3]string{{"folder:x", "viewer", "user:eve"}, {"doc:3", "parent", "folder:x"}}, nil, []want{
			{"doc:3", "viewer", "user:eve", true}, {"doc:3", "editor", "user:eve", false},
		}},
		{"a parent and a grant deleted in one batch", nil, [][3]string{{"doc:3", "parent", "folder:x"}, {"folder:x", "viewer", "user:eve"}}, []want{
			{"doc:3", "viewer", "user:eve", false}, {"folder:x", "viewer", "user:eve", false},
		}},
	}
	for _, s := range steps {
		var muts []Mutation
		for _, k := range s.write {
			muts = append(muts, Mutation{ServiceID: "svc", Tuple: mustTuple(t, k[0], k[1], k[2])})
		}
		for _, k := range s.del {
			muts = append(muts, Mutation{ServiceID: "svc", Delete: true, Tuple: mustTuple(t, k[0], k[1], k[2])})
		}
		if err := e.Apply(context.Background(), muts); err != nil {
			t.Fatal(err)
		}
		for _, w := range s.want {
			got, err := check(t, e, w.obj, w.rel, w.user)
			if err != nil || got != w.allowed {
				t.Errorf("%s: check %s#%s@%s = %v, %v; want %v", s.name, w.obj, w.rel, w.user, got, err, w.allowed)
			}
			fast, err := fastCheck(t, e, w.obj, w.rel, w.user)
			if err != nil || fast != w.allowed {
				t.Errorf("%s: fast variant on %s#%s@%s = %v, %v; want %v decided", s.name, w.obj, w.rel, w.user, fast, err, w.allowed)
			}
		}
		assertChainIndex(t, e, s.name)
	}
}

// TestChainCycles: a cycle in a parent chain still grants what is granted
// on it, and leaves denials (and an exclusion's "unknown") to the careful
// variant until it is broken.
func TestChainCycles(t *testing.T) {
	t.Parallel()
	const dsl = chainModel + `type report
  relations
    define parent: [folder, report]
    define banned: [user] or banned from parent
    define reader: [user] or viewer from parent
    define can_read: reader but not banned
`
	e := newEngine(t, dsl)
	write(t, e,
		[3]string{"folder:a", "parent", "folder:b"},
		[3]string{"folder:b", "parent", "folder:a"},
		[3]string{"folder:a", "viewer", "user:anne"},
		[3]string{"doc:1", "parent", "folder:b"},
		[3]string{"report:1", "parent", "report:2"},
		[3]string{"report:2", "parent", "report:1"},
		[3]string{"report:1", "reader", "user:zed"},
	)
	for _, c := range []struct {
		obj, rel, user string
		want, fast     bool // fast: decided by the fast variant
	}{
		{"doc:1", "viewer", "user:anne", true, true},
		{"folder:b", "viewer", "user:anne", true, true},
		{"doc:1", "viewer", "user:zed", false, false},
		{"folder:a", "editor", "user:anne", false, false},
		// banned is unknown on the cycle, so the exclusion is false.
		{"report:1", "can_read", "user:zed", false, false},
	} {
		got, err := check(t, e, c.obj, c.rel, c.user)
		if err != nil || got != c.want {
			t.Errorf("check %s#%s@%s = %v, %v; want %v", c.obj, c.rel, c.user, got, err, c.want)
		}
		fast, err := fastCheck(t, e, c.obj, c.rel, c.user)
		switch {
		case c.fast && (err != nil || fast != c.want):
			t.Errorf("fast variant on %s#%s@%s = %v, %v; want %v decided", c.obj, c.rel, c.user, fast, err, c.want)
		case !c.fast && !errors.Is(err, errTooComplex):
			t.Errorf("fast variant on %s#%s@%s = %v, %v; want it left to the careful variant", c.obj, c.rel, c.user, fast, err)
		}
	}
	// Breaking the cycle lets the fast variant deny, and the exclusion hold.
	if err := e.Apply(context.Background(), []Mutation{
		{ServiceID: "svc", Delete: true, Tuple: mustTuple(t, "folder:a", "parent", "folder:b")},
		{ServiceID: "svc", Delete: true, Tuple: mustTuple(t, "report:2", "parent", "report:1")},
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		obj, rel, user string
		want           bool
	}{
		{"doc:1", "viewer", "user:zed", false},
		{"doc:1", "viewer", "user:anne", true},
		{"report:1", "can_read", "user:zed", true},
	} {
		if got, err := check(t, e, c.obj, c.rel, c.user); err != nil || got != c.want {
			t.Errorf("after the cycle: check %s#%s@%s = %v, %v; want %v", c.obj, c.rel, c.user, got, err, c.want)
		}
		if c.rel == "viewer" {
			if fast, err := fastCheck(t, e, c.obj, c.rel, c.user); err != nil || fast != c.want {
				t.Errorf("after the cycle: fast variant on %s#%s@%s = %v, %v", c.obj, c.rel, c.user, fast, err)
			}
		}
	}
	assertChainIndex(t, e, "cycles")
}

// TestChainDepthLimit: a chain deeper than the resolution limit is refused
// where answering would need it, never answered from the flattened subjects.
func TestChainDepthLimit(t *testing.T) {
	t.Parallel()
	e := newEngine(t, chainModel, Options{MaxDepth: 5})
	for i := 1; i <= 8; i++ {
		write(t, e, [3]string{fmt.Sprintf("folder:f%d", i), "parent", fmt.Sprintf("folder:f%d", i-1)})
	}
	write(t, e,
		[3]string{"folder:f0", "viewer", "user:top"},
		[3]string{"folder:f7", "viewer", "user:near"},
		[3]string{"doc:1", "parent", "folder:f8"},
		[3]string{"doc:2", "parent", "folder:f3"},
	)
	for _, c := range []struct {
		obj, rel, user string
		want           bool
		tooComplex     bool
	}{
		{"folder:f8", "viewer", "user:near", true, false}, // one step
		{"folder:f3", "viewer", "user:top", true, false},  // three steps
		{"folder:f3", "viewer", "user:zed", false, false}, // the whole chain fits
		{"folder:f8", "viewer", "user:top", false, true},  // eight steps
		{"folder:f8", "viewer", "user:zed", false, true},  // the chain does not fit
		{"doc:2", "viewer", "user:top", true, false},
		{"doc:2", "viewer", "user:zed", false, false},
		{"doc:1", "viewer", "user:top", false, true},
		// Two steps up. (The walk alone refuses it: it tries the editor
		// chain first, and that cannot finish within the limit.)
		{"doc:1", "viewer", "user:near", true, false},
		{"doc:1", "viewer", "user:zed", false, true},
	} {
		got, err := check(t, e, c.obj, c.rel, c.user)
		if c.tooComplex {
			if !errors.Is(err, ErrTooComplex) {
				t.Errorf("check %s#%s@%s = %v, %v; want ErrTooComplex", c.obj, c.rel, c.user, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("check %s#%s@%s = %v, %v; want %v", c.obj, c.rel, c.user, got, err, c.want)
		}
	}
}

// TestChainContextual: a contextual grant reaches the objects below it for
// that check only, decided from the flattened subjects; a contextual
// parent or membership is decided by the careful variant.
func TestChainContextual(t *testing.T) {
	t.Parallel()
	e := newEngine(t, chainModel)
	write(t, e,
		[3]string{"folder:mid", "parent", "folder:root"},
		[3]string{"doc:1", "parent", "folder:mid"},
		[3]string{"folder:other", "viewer", "user:bob"},
		[3]string{"group:eng", "member", "user:anne"},
		[3]string{"folder:root", "owner", "user:olga"},
	)
	for _, c := range []struct {
		name           string
		ctx            [][3]string
		obj, rel, user string
		want           bool
		careful        bool // the contextual tuples go to the careful variant
	}{
		{"a grant on an ancestor", [][3]string{{"folder:root", "viewer", "user:zed"}}, "doc:1", "viewer", "user:zed", true, false},
		{"an editor grant is not an owner", [][3]string{{"folder:root", "editor", "user:zed"}}, "doc:1", "editor", "user:zed", true, false},
		{"a viewer grant is not an editor", [][3]string{{"folder:root", "viewer", "user:zed"}}, "doc:1", "editor", "user:zed", false, false},
		{"a group granted on an ancestor", [][3]string{{"folder:mid", "editor", "group:eng#member"}}, "doc:1", "viewer", "user:anne", true, false},
		{"a grant already in the index, nearer", [][3]string{{"doc:1", "owner", "user:olga"}}, "doc:1", "viewer", "user:olga", true, false},
		{"a grant elsewhere", [][3]string{{"folder:other", "viewer", "user:zed"}}, "doc:1", "viewer", "user:zed", false, false},
		{"a wildcard granted on an ancestor", [][3]string{{"folder:root", "viewer", "user:*"}}, "doc:1", "viewer", "user:zed", true, false},
		{"a wildcard granted elsewhere", [][3]string{{"folder:other", "viewer", "user:*"}}, "doc:1", "viewer", "user:zed", false, false},
		{"a parent", [][3]string{{"folder:root", "parent", "folder:other"}}, "doc:1", "viewer", "user:bob", true, true},
		{"a membership", [][3]string{{"group:eng", "member", "user:zed"}, {"folder:mid", "viewer", "group:eng#member"}}, "doc:1", "viewer", "user:zed", true, true},
	} {
		var ctxTuples []tuple.Tuple
		for _, k := range c.ctx {
			ctxTuples = append(ctxTuples, mustTuple(t, k[0], k[1], k[2]))
		}
		if got, err := check(t, e, c.obj, c.rel, c.user, ctxTuples...); err != nil || got != c.want {
			t.Errorf("%s: check %s#%s@%s = %v, %v; want %v", c.name, c.obj, c.rel, c.user, got, err, c.want)
		}
		ov, err := contextual(e.current("svc"), "svc", ctxTuples)
		if err != nil {
			t.Fatal(err)
		}
		if ov.careful != c.careful {
			t.Errorf("%s: careful = %v, want %v", c.name, ov.careful, c.careful)
		}
		if !c.careful {
			tp := mustTuple(t, c.obj, c.rel, c.user)
			fast, err := e.evalVariant(context.Background(), e.current("svc"), ov, tp.Object.Type, tp.Relation, evalInput(nil, tp.Object, tp.User), false)
			if err != nil || fast != c.want {
				t.Errorf("%s: fast variant = %v, %v; want %v decided", c.name, fast, err, c.want)
			}
		}
		// Nothing stays behind.
		if got, err := check(t, e, c.obj, c.rel, c.user); err != nil || got != (c.obj == "doc:1" && c.user == "user:olga") {
			t.Errorf("%s: without the contextual tuples: %v, %v", c.name, got, err)
		}
	}
}

// TestChainGroupCycle: while a group membership of the service has a
// cycle, the heights of its flattened chains read as cycles, so the fast
// variant leaves their denials to the careful one, which still answers
// them; once the cycle is gone the fast variant decides them again.
func TestChainGroupCycle(t *testing.T) {
	t.Parallel()
	e := newEngine(t, chainModel)
	write(t, e,
		[3]string{"doc:1", "parent", "folder:root"},
		[3]string{"folder:root", "viewer", "user:bob"},
		[3]string{"folder:root", "viewer", "group:a#member"},
		[3]string{"group:a", "member", "group:b#member"},
		[3]string{"group:b", "member", "group:a#member"},
		[3]string{"group:b", "member", "user:carl"},
	)
	fast := func(user string) (bool, error) {
		tp := mustTuple(t, "doc:1", "viewer", user)
		return e.evalVariant(context.Background(), e.current("svc"), nil, tp.Object.Type, tp.Relation, evalInput(nil, tp.Object, tp.User), false)
	}
	for user, want := range map[string]bool{"user:bob": true, "user:carl": true, "user:zed": false} {
		if got, err := check(t, e, "doc:1", "viewer", user); err != nil || got != want {
			t.Errorf("with a cycle: check doc:1#viewer@%s = %v, %v; want %v", user, got, err, want)
		}
	}
	if _, err := fast("user:zed"); !errors.Is(err, errTooComplex) {
		t.Errorf("with a cycle: the fast variant decided a denial (err %v)", err)
	}
	if err := e.Apply(context.Background(), []Mutation{{ServiceID: "svc", Delete: true, Tuple: mustTuple(t, "group:b", "member", "group:a#member")}}); err != nil {
		t.Fatal(err)
	}
	if got, err := fast("user:zed"); err != nil || got {
		t.Errorf("without the cycle: fast variant = %v, %v; want a decided denial", got, err)
	}
	if got, err := check(t, e, "doc:1", "viewer", "user:carl"); err != nil || !got {
		t.Errorf("without the cycle: check doc:1#viewer@user:carl = %v, %v; want true", got, err)
	}
}

// TestEffSetClone: a clone holds what its set holds, for any number of
// groups, and a writer changing one group of the clone (in new arrays,
// effWriter.set and remove) changes neither the set cloned nor the
// clone's other groups, which share its allocations.
func TestEffSetClone(t *testing.T) {
	t.Parallel()
	group := func(typ string, ids ...uint32) effGroup {
		g := effGroup{typ: typ, ids: ids, steps: make([]uint8, len(ids))}
		for i := range ids {
			g.steps[i] = uint8(i + 1)
		}
		return g
	}
	for _, groups := range [][]effGroup{
		nil,
		{group("user", 1, 4, 9)},
		{group("user", 1, 4), group("group", 2)},
		{group("user", 1), group("group", 2, 3), group("team", 5, 6, 7)},
	} {
		s := &effSet{height: 3, groups: groups}
		c := s.clone()
		if c.height != s.height || len(c.groups) != len(s.groups) {
			t.Fatalf("clone of %+v = %+v", s, c)
		}
		for i := range s.groups {
			if !reflect.DeepEqual(c.groups[i], s.groups[i]) {
				t.Fatalf("group %d of the clone = %+v, want %+v", i, c.groups[i], s.groups[i])
			}
		}
		want := deepCopySet(s)
		syms := map[string]uint32{"new": 8}
		w := &effWriter{base: &effService{syms: syms, names: make([]string, 9)}}
		for i := range c.groups {
			others := deepCopySet(c)
			g := c.groups[i]
			w.set(c, tuple.User{Type: g.typ, ID: "new"}, 7)
			for j := range c.groups {
				if j != i && !reflect.DeepEqual(c.groups[j], others.groups[j]) {
					t.Fatalf("setting a subject in group %d changed group %d: %+v, was %+v", i, j, c.groups[j], others.groups[j])
				}
			}
			w.remove(c, tuple.User{Type: g.typ, ID: "new"})
		}
		if !reflect.DeepEqual(deepCopySet(s), want) {
			t.Fatalf("writing the clone changed the set cloned: %+v, was %+v", s, want)
		}
	}
}

// deepCopySet copies a set's values, for comparison.
func deepCopySet(s *effSet) *effSet {
	out := &effSet{height: s.height}
	for _, g := range s.groups {
		out.groups = append(out.groups, effGroup{typ: g.typ, rel: g.rel, ids: slices.Clone(g.ids), steps: slices.Clone(g.steps)})
	}
	return out
}
