package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// The differential test (SpiceDB's idea): random models and tuple sets;
// for every (object, relation, user) the compiled Rego must agree with a
// naive reference evaluator written independently here, and check, explain,
// list objects and list users must agree with each other.

// tri is a three-valued answer: a cycle is unknown, as in OpenFGA.
type tri int

const (
	no tri = iota
	unknown
	yes
)

// reference evaluates OpenFGA semantics by plain recursion over a tuple set.
type reference struct {
	m      *model.Model
	tuples map[tuple.Tuple]bool
}

func (r *reference) check(obj tuple.Object, rel string, u tuple.User, path map[string]bool) tri {
	key := obj.String() + "#" + rel
	if path[key] {
		return unknown
	}
	if u.Relation == rel && u.Type == obj.Type && u.ID == obj.ID {
		return yes
	}
	path[key] = true
	defer delete(path, key)
	rw, _ := r.m.Relation(obj.Type, rel)
	return r.eval(obj, rel, rw, u, path)
}

func (r *reference) eval(obj tuple.Object, rel string, rw *openfgav1.Userset, u tuple.User, path map[string]bool) tri {
	switch v := rw.GetUserset().(type) {
	case *openfgav1.Userset_This:
		best := no
		for _, d := range r.m.DirectTypes(obj.Type, rel) {
			for t := range r.tuples {
				if t.Object != obj || t.Relation != rel || t.User.Type != d.Type || t.User.Relation != d.Relation {
					continue
				}
				switch {
				case d.Relation != "":
					if u == t.User {
						return yes
					}
					best = max(best, r.check(tuple.Object{Type: t.User.Type, ID: t.User.ID}, t.User.Relation, u, path))
				case d.IsWildcard():
					if t.User.IsWildcard() && u.Type == d.Type && u.Relation == "" {
						return yes
					}
				default:
					if t.User == u {
						return yes
					}
				}
			}
		}
		return best
	case *openfgav1.Userset_ComputedUserset:
		return r.check(obj, v.ComputedUserset.GetRelation(), u, path)
	case *openfgav1.Userset_TupleToUserset:
		ts, target := v.TupleToUserset.GetTupleset().GetRelation(), v.TupleToUserset.GetComputedUserset().GetRelation()
		best := no
		for _, d := range r.m.DirectTypes(obj.Type, ts) {
			if d.Relation != "" || d.IsWildcard() || !r.m.HasRelation(d.Type, target) {
				continue
			}
			for t := range r.tuples {
				if t.Object == obj && t.Relation == ts && t.User.Type == d.Type && t.User.Relation == "" && !t.User.IsWildcard() {
					best = max(best, r.check(tuple.Object{Type: t.User.Type, ID: t.User.ID}, target, u, path))
				}
			}
		}
		return best
	case *openfgav1.Userset_Union:
		best := no
		for _, c := range v.Union.GetChild() {
			best = max(best, r.eval(obj, rel, c, u, path))
		}
		return best
	case *openfgav1.Userset_Intersection:
		worst := yes
		for _, c := range v.Intersection.GetChild() {
			worst = min(worst, r.eval(obj, rel, c, u, path))
		}
		return worst
	case *openfgav1.Userset_Difference:
		base, sub := r.eval(obj, rel, v.Difference.GetBase(), u, path), r.eval(obj, rel, v.Difference.GetSubtract(), u, path)
		return min(base, yes-sub) // yes-sub: not(yes)=no, not(unknown)=unknown, not(no)=yes
	}
	panic(fmt.Sprintf("unknown rewrite %T", rw.GetUserset()))
}

// randomModel writes a valid model over user, group and doc: group
// membership may nest, docs may have parent docs, and doc relations are
// random rewrites of earlier ones (and of themselves through parents).
func randomModel(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString("model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user, group#member]\ntype doc\n  relations\n    define parent: [doc]\n")
	var rels []string
	leaf := func(self string) string {
		switch rng.IntN(4) {
		case 0:
			if len(rels) > 0 {
				return rels[rng.IntN(len(rels))]
			}
		case 1:
			if len(rels) > 0 {
				return rels[rng.IntN(len(rels))] + " from parent"
			}
		case 2:
			return self + " from parent"
		}
		return ""
	}
	n := 3 + rng.IntN(3)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("r%d", i)
		direct := [][]string{{"user"}, {"user", "user:*"}, {"user", "group#member"}, {"group#member"}, {"user", "user:*", "group#member"}}[rng.IntN(5)]
		expr := "[" + strings.Join(direct, ", ") + "]"
		if other := leaf(name); other != "" {
			op := []string{"or", "or", "and", "but not"}[rng.IntN(4)]
			if op == "but not" && strings.Contains(other, name) {
				op = "or"
			}
			expr = fmt.Sprintf("%s %s %s", expr, op, other)
		}
		fmt.Fprintf(&b, "    define %s: %s\n", name, expr)
		rels = append(rels, name)
	}
	return b.String()
}

func randomTuples(rng *rand.Rand, m *model.Model, n int) []tuple.Tuple {
	users := []string{"user:a", "user:b", "user:c", "user:*", "group:g1#member", "group:g2#member"}
	var out []tuple.Tuple
	seen := map[tuple.Tuple]bool{}
	for len(out) < n {
		var k tuple.Key
		switch rng.IntN(5) {
		case 0:
			k = tuple.Key{Object: fmt.Sprintf("group:g%d", 1+rng.IntN(2)), Relation: "member", User: []string{"user:a", "user:b", "group:g1#member", "group:g2#member"}[rng.IntN(4)]}
		case 1:
			k = tuple.Key{Object: fmt.Sprintf("doc:d%d", rng.IntN(4)), Relation: "parent", User: fmt.Sprintf("doc:d%d", rng.IntN(4))}
		default:
			rels := m.Relations("doc")
			k = tuple.Key{Object: fmt.Sprintf("doc:d%d", rng.IntN(4)), Relation: rels[rng.IntN(len(rels))], User: users[rng.IntN(len(users))]}
		}
		t, err := tuple.Parse(k)
		if err != nil || m.ValidateTuple(t) != nil || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

func TestDifferential(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	checks := 0
	for seed := 1; seed <= seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		dsl := randomModel(rng)
		m, err := model.ParseDSL(dsl)
		if err != nil {
			continue // a random model without entrypoints; not the point here
		}
		e := newEngine(t, dsl)
		ts := randomTuples(rng, m, 25)
		muts := make([]Mutation, len(ts))
		ref := &reference{m: m, tuples: map[tuple.Tuple]bool{}}
		for i, x := range ts {
			muts[i] = Mutation{ServiceID: "svc", Tuple: x}
			ref.tuples[x] = true
		}
		if err := e.Apply(ctx, muts); err != nil {
			t.Fatal(err)
		}
		// Odd seeds reinstall the model over the loaded tuples (closures
		// rebuilt whole) and then delete a third of the tuples (closures
		// maintained incrementally); even seeds keep the writes' closures.
		if seed%2 == 1 {
			if err := e.SetModel("svc", m); err != nil {
				t.Fatal(err)
			}
			var dels []Mutation
			for i, x := range ts {
				if i%3 == 0 {
					dels = append(dels, Mutation{ServiceID: "svc", Delete: true, Tuple: x})
					delete(ref.tuples, x)
				}
			}
			if err := e.Apply(ctx, dels); err != nil {
				t.Fatal(err)
			}
		}
		users := []tuple.User{{Type: "user", ID: "a"}, {Type: "user", ID: "b"}, {Type: "user", ID: "c"}, {Type: "user", ID: "z"}, {Type: "group", ID: "g1", Relation: "member"}}
		for _, rel := range m.Relations("doc") {
			for _, u := range users {
				var want []string
				for i := 0; i < 4; i++ {
					obj := tuple.Object{Type: "doc", ID: fmt.Sprintf("d%d", i)}
					got, err := e.Check(ctx, "svc", CheckRequest{Object: obj, Relation: rel, User: u})
					if err != nil {
						t.Fatalf("seed %d: check %s#%s@%s: %v\n%s", seed, obj, rel, u, err, dsl)
					}
					exp := ref.check(obj, rel, u, map[string]bool{}) == yes
					checks++
					if got.Allowed != exp {
						t.Errorf("seed %d: check %s#%s@%s = %v, reference says %v\nmodel:\n%s\ntuples: %v", seed, obj, rel, u, got.Allowed, exp, dsl, ts)
					}
					x := &explainer{m: m, ts: e.store.data, svc: "svc", user: u, maxDepth: e.opts.MaxDepth, path: map[string]bool{}}
					if v, _ := x.check(obj, rel, 0); (v == vYes) != got.Allowed {
						t.Errorf("seed %d: explain of %s#%s@%s derives %v, check says %v\n%s", seed, obj, rel, u, v, got.Allowed, dsl)
					}
					if exp {
						want = append(want, obj.ID)
					}
				}
				ids, err := e.ListObjects(ctx, "svc", ListObjectsRequest{Type: "doc", Relation: rel, User: u})
				if err != nil {
					t.Fatalf("seed %d: list: %v", seed, err)
				}
				if !slices.Equal(ids, want) && !(len(ids) == 0 && len(want) == 0) {
					t.Errorf("seed %d: list doc#%s@%s = %v, checks say %v\n%s", seed, rel, u, ids, want, dsl)
				}
			}
			// list-users of each doc agrees with check for every listed user.
			for i := 0; i < 4; i++ {
				obj := tuple.Object{Type: "doc", ID: fmt.Sprintf("d%d", i)}
				got, err := e.ListUsers(ctx, "svc", ListUsersRequest{Object: obj, Relation: rel, Filters: []UserFilter{{Type: "user"}}})
				if err != nil {
					t.Fatalf("seed %d: list users: %v", seed, err)
				}
				for _, u := range []string{"user:a", "user:b", "user:c"} {
					x, _ := tuple.ParseUser(u)
					exp := ref.check(obj, rel, x, map[string]bool{}) == yes
					if slices.Contains(got, u) != exp && !slices.Contains(got, "user:*") {
						t.Errorf("seed %d: list-users %s#%s = %v, but %s is %v by the reference\n%s", seed, obj, rel, got, u, exp, dsl)
					}
				}
			}
		}
	}
	if checks < 500 {
		t.Fatalf("only %d checks compared", checks)
	}
	t.Logf("%d checks compared with the reference evaluator", checks)
}
