package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSmallSet: a smallSet agrees with a map under random adds and
// removes, across the switch from slice to map.
func TestSmallSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	grew := 0
	for round := range 100 {
		var s smallSet[string]
		ref := map[string]bool{}
		universe := 1 + r.IntN(3*smallSetMax)
		for step := range 300 {
			wasBig := s.big != nil
			x := fmt.Sprint(r.IntN(universe))
			if r.IntN(3) == 0 {
				if got, want := s.remove(x), ref[x]; got != want {
					t.Fatalf("round %d step %d: remove(%s) = %v, want %v", round, step, x, got, want)
				}
				delete(ref, x)
			} else {
				if got, want := s.add(x), !ref[x]; got != want {
					t.Fatalf("round %d step %d: add(%s) = %v, want %v", round, step, x, got, want)
				}
				ref[x] = true
			}
			if s.big != nil && !wasBig {
				grew++
			}
			if s.big == nil && !slices.IsSorted(s.small) {
				t.Fatalf("round %d step %d: slice not sorted: %v", round, step, s.small)
			}
			if s.len() != len(ref) {
				t.Fatalf("round %d step %d: len %d, want %d", round, step, s.len(), len(ref))
			}
			members := slices.Sorted(s.all())
			var want []string
			for k := range ref {
				want = append(want, k)
			}
			slices.Sort(want)
			if !slices.Equal(members, want) {
				t.Fatalf("round %d step %d: members %v, want %v", round, step, members, want)
			}
			for k := range ref {
				if !s.has(k) {
					t.Fatalf("round %d step %d: has(%s) = false", round, step, k)
				}
			}
			if s.has("absent") {
				t.Fatal("has(absent)")
			}
		}
	}
	if grew == 0 {
		t.Fatal("no set grew into a map")
	}
}
