package gen

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

func build(t testing.TB, n int) *Dataset {
	t.Helper()
	d, err := Build(Config{Tuples: n})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func all(t testing.TB, d *Dataset) []tuple.Tuple {
	t.Helper()
	var out []tuple.Tuple
	if err := d.Each(func(tp tuple.Tuple) error { out = append(out, tp); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func digest(t testing.TB, cfg Config) (string, int) {
	t.Helper()
	h := sha256.New()
	n := 0
	err := Generate(cfg, func(tp tuple.Tuple) error {
		fmt.Fprintln(h, tp)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), n
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, na := digest(t, Config{Tuples: 10_000})
	b, nb := digest(t, Config{Tuples: 10_000, Seed: DefaultSeed})
	if a != b || na != nb {
		t.Fatalf("same seed, different tuples: %s (%d) vs %s (%d)", a, na, b, nb)
	}
	c, _ := digest(t, Config{Tuples: 10_000, Seed: 7})
	if c == a {
		t.Fatal("another seed gave the same tuples")
	}
	d := build(t, 10_000)
	s1, s2 := d.SampleChecks(500), build(t, 10_000).SampleChecks(500)
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("sample %d differs: %+v vs %+v", i, s1[i], s2[i])
		}
	}
	if h1, h2 := d.HeavyUser(), build(t, 10_000).HeavyUser(); h1 != h2 {
		t.Fatalf("heavy user differs: %+v vs %+v", h1, h2)
	}
}

func TestTooSmall(t *testing.T) {
	t.Parallel()
	if _, err := Build(Config{Tuples: MinTuples - 1}); err == nil {
		t.Fatal("no error for a target below MinTuples")
	}
}

// TestOneMillion: at 1M tuples the count is within 5% of the target and
// the parts have their shares (TestShape checks each tuple at the smaller
// sizes; the code is the same).
func TestOneMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 1M-tuple dataset")
	}
	t.Parallel()
	const n = 1_000_000
	d := build(t, n)
	c := d.Counts()
	total := c.Memberships + c.Structure + c.Grants
	if total != d.Len() || math.Abs(float64(total-n))/n > 0.05 {
		t.Fatalf("%d tuples (Len %d) for a target of %d", total, d.Len(), n)
	}
	for _, s := range []struct {
		name      string
		got, want float64
	}{
		{"memberships", float64(c.Memberships) / n, 0.10},
		{"structure", float64(c.Structure) / n, 0.05},
		{"grants", float64(c.Grants) / n, 0.85},
	} {
		if math.Abs(s.got-s.want) > s.want*0.25 {
			t.Errorf("%s: %.2f%%, want ≈%.0f%%", s.name, 100*s.got, 100*s.want)
		}
	}
	if maxLevel := slices.Max(d.groupLevel); maxLevel != 3 {
		t.Errorf("groups nest %d deep, want 4", maxLevel+1)
	}
	t.Logf("%+v", c)
}

// TestShape: the count is within 5% of the target, every tuple is valid
// for Model and distinct, the parts have their shares, groups form a
// forest at most four deep, folder chains are at most five deep and every
// document has exactly one parent folder.
func TestShape(t *testing.T) {
	t.Parallel()
	m, err := model.ParseDSL(Model)
	if err != nil {
		t.Fatalf("Model does not parse: %v", err)
	}
	for _, n := range []int{MinTuples, 2_000, 10_000, 100_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := build(t, n)
			tuples := all(t, d)
			if len(tuples) != d.Len() {
				t.Fatalf("Each emitted %d tuples, Len says %d", len(tuples), d.Len())
			}
			if dev := math.Abs(float64(len(tuples)-n)) / float64(n); dev > 0.05 {
				t.Fatalf("%d tuples for a target of %d (%.1f%% off)", len(tuples), n, 100*dev)
			}
			seen := make(map[tuple.Tuple]bool, len(tuples))
			groupParent := map[string]string{} // child group → parent group
			parents := map[string]int{}        // object → number of parent tuples
			folderParent := map[string]string{}
			var members, structure, grants, viewers, wildcards int
			for _, tp := range tuples {
				if seen[tp] {
					t.Fatalf("duplicate tuple %s", tp)
				}
				seen[tp] = true
				if err := m.ValidateTuple(tp); err != nil {
					t.Fatal(err)
				}
				if back, err := tuple.Parse(tp.Key()); err != nil || back != tp {
					t.Fatalf("tuple %s does not round-trip: %v", tp, err)
				}
				switch tp.Relation {
				case "member":
					members++
					if tp.User.IsUserset() {
						child := tp.User.Type + ":" + tp.User.ID
						if prev, ok := groupParent[child]; ok {
							t.Fatalf("group %s nested in both %s and %s", child, prev, tp.Object)
						}
						groupParent[child] = tp.Object.String()
					}
				case "parent":
					structure++
					parents[tp.Object.String()]++
					if tp.Object.Type == "folder" {
						folderParent[tp.Object.String()] = tp.User.String()
					}
				case "viewer":
					viewers++
					if tp.User.IsWildcard() {
						wildcards++
						if tp.Object.Type != "doc" {
							t.Fatalf("public folder %s", tp)
						}
					}
					grants++
				default:
					grants++
				}
			}
			c := d.Counts()
			if c.Memberships != members || c.Structure != structure || c.Grants != grants || c.Wildcards != wildcards {
				t.Fatalf("Counts() = %+v; counted %d memberships, %d parents, %d grants, %d wildcards", c, members, structure, grants, wildcards)
			}
			share := func(part, whole int) float64 { return float64(part) / float64(whole) }
			for _, s := range []struct {
				name      string
				got, want float64
			}{
				{"memberships", share(members, len(tuples)), 0.10},
				{"structure", share(structure, len(tuples)), 0.05},
				{"grants", share(grants, len(tuples)), 0.85},
				{"wildcards of viewer grants", share(wildcards, viewers), 0.02},
			} {
				if math.Abs(s.got-s.want) > s.want*0.25 {
					t.Errorf("%s: %.2f%%, want ≈%.0f%%", s.name, 100*s.got, 100*s.want)
				}
			}
			if maxDepth := depth(t, groupParent); maxDepth > 4 || (n >= 10_000 && maxDepth != 4) {
				t.Errorf("groups nest %d deep, want up to 4 (and 4 at %d tuples)", maxDepth, n)
			}
			if maxDepth := depth(t, folderParent); maxDepth > 5 || (n >= 10_000 && maxDepth != 5) {
				t.Errorf("folder chains are %d deep, want up to 5", maxDepth)
			}
			for i := range c.Docs {
				if doc := fmt.Sprintf("doc:d%d", i); parents[doc] != 1 {
					t.Fatalf("%s has %d parents", doc, parents[doc])
				}
			}
			t.Logf("%d tuples: %+v", len(tuples), c)
		})
	}
}

// depth returns the longest chain of a child → parent map (counting
// nodes), failing on a cycle.
func depth(t *testing.T, parent map[string]string) int {
	t.Helper()
	longest := 1
	for node := range parent {
		n := 1
		for p, ok := parent[node]; ok; p, ok = parent[p] {
			n++
			if n > len(parent)+1 {
				t.Fatalf("cycle through %s", node)
			}
		}
		longest = max(longest, n)
	}
	return longest
}

// naive answers checks straight from the model's definition over the
// emitted tuples, independently of the Dataset's evaluator.
type naive map[string]map[string]bool // "object#relation" → users

func newNaive(tuples []tuple.Tuple) naive {
	n := naive{}
	for _, tp := range tuples {
		k := tp.Object.String() + "#" + tp.Relation
		if n[k] == nil {
			n[k] = map[string]bool{}
		}
		n[k][tp.User.String()] = true
	}
	return n
}

func (n naive) check(object, relation, user string) bool {
	users := n[object+"#"+relation]
	if users[user] {
		return true
	}
	for u := range users {
		if obj, rel, ok := cutUserset(u); ok && n.check(obj, rel, user) {
			return true
		}
	}
	if relation == "member" || relation == "owner" {
		return false
	}
	if users["user:*"] {
		return true
	}
	var parents []string
	for p := range n[object+"#parent"] {
		parents = append(parents, p)
	}
	switch relation {
	case "viewer":
		if n.check(object, "editor", user) {
			return true
		}
		for _, p := range parents {
			if n.check(p, "viewer", user) {
				return true
			}
		}
	case "editor":
		if n.check(object, "owner", user) {
			return true
		}
		for _, p := range parents {
			if n.check(p, "editor", user) {
				return true
			}
		}
	}
	return false
}

func cutUserset(u string) (string, string, bool) {
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == '#' {
			return u[:i], u[i+1:], true
		}
	}
	return "", "", false
}

// TestReference: the Dataset's answers (SampleChecks, ListObjects,
// HeavyUser) agree with a naive evaluator of the model, about half the
// samples are allowed, and the heavy user edits ≈22% of the documents
// (from 10k tuples up; below, folders are too few to aim).
func TestReference(t *testing.T) {
	t.Parallel()
	for _, n := range []int{MinTuples, 10_000, 50_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := build(t, n)
			nv := newNaive(all(t, d))
			samples := d.SampleChecks(2000)
			allowed := 0
			kinds := map[string]int{}
			for _, c := range samples {
				want := nv.check(c.Object.String(), c.Relation, c.User.String())
				if c.Allowed != want {
					t.Fatalf("%s#%s@%s: sample says %v, the model says %v", c.Object, c.Relation, c.User, c.Allowed, want)
				}
				if c.Allowed {
					allowed++
				}
				kinds[c.Object.Type+"#"+c.Relation]++
			}
			if f := float64(allowed) / float64(len(samples)); f < 0.35 || f > 0.65 {
				t.Errorf("%.0f%% of the samples are allowed, want about half", 100*f)
			}
			if len(kinds) != 7 {
				t.Errorf("sample kinds: %v", kinds)
			}
			c := d.Counts()
			users := []tuple.User{userOf(0), userOf(1), userOf(int32(c.Users / 2)), d.HeavyUser().User, {Type: "user", ID: "nobody"}}
			for _, u := range users {
				for _, typ := range []string{"doc", "folder"} {
					for _, rel := range []string{"viewer", "editor", "owner"} {
						got := d.ListObjects(typ, rel, u)
						count := 0
						limit := c.Docs
						if typ == "folder" {
							limit = c.Folders
						}
						prefix := map[string]string{"doc": "d", "folder": "f"}[typ]
						in := map[string]bool{}
						for _, o := range got {
							in[o.ID] = true
						}
						for i := range limit {
							id := fmt.Sprintf("%s%d", prefix, i)
							want := nv.check(typ+":"+id, rel, u.String())
							if want != in[id] {
								t.Fatalf("list %s %s %s: %s listed %v, the model says %v", typ, rel, u, id, in[id], want)
							}
							if want {
								count++
							}
						}
						if count != len(got) {
							t.Fatalf("list %s %s %s: %d objects, want %d", typ, rel, u, len(got), count)
						}
					}
				}
			}
			h := d.HeavyUser()
			if f := float64(h.Objects) / float64(c.Docs); n >= 10_000 && (f < 0.15 || f > 0.30) {
				t.Errorf("heavy user %+v edits %.0f%% of %d documents, want ≈22%%", h, 100*f, c.Docs)
			}
			t.Logf("%d tuples: %.0f%% of samples allowed; heavy user %+v of %d docs", n, 100*float64(allowed)/float64(len(samples)), h, c.Docs)
		})
	}
}

// TestHeavyUserAtOneMillion: ≈10,000 documents at 1M tuples.
func TestHeavyUserAtOneMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 1M-tuple dataset")
	}
	t.Parallel()
	h, err := HeavyUser(Config{Tuples: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if h.Objects < 8_000 || h.Objects > 12_000 {
		t.Fatalf("heavy user %+v: want ≈10,000 objects", h)
	}
	t.Logf("%+v", h)
}

// TestFreshTuples: valid, distinct, absent from the dataset, deterministic.
func TestFreshTuples(t *testing.T) {
	t.Parallel()
	m, err := model.ParseDSL(Model)
	if err != nil {
		t.Fatal(err)
	}
	d := build(t, 10_000)
	seen := map[tuple.Tuple]bool{}
	for _, tp := range all(t, d) {
		seen[tp] = true
	}
	fresh := d.FreshTuples(5000)
	again := build(t, 10_000).FreshTuples(5000)
	for i, tp := range fresh {
		if err := m.ValidateTuple(tp); err != nil {
			t.Fatal(err)
		}
		if seen[tp] {
			t.Fatalf("tuple %s is in the dataset or repeated", tp)
		}
		seen[tp] = true
		if again[i] != tp {
			t.Fatalf("tuple %d differs between runs: %s vs %s", i, tp, again[i])
		}
	}
}
