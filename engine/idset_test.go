package engine

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIDSet: an idSet agrees with a map under random adds and removes,
// across the switch from slice to map and back, and its view is the set
// as OPA reads it; without a strTable (an overlay's), it is a map
// throughout.
func TestIDSet(t *testing.T) {
	t.Run("symbols", func(t *testing.T) { testIDSet(t, newStrTable()) })
	t.Run("overlay", func(t *testing.T) { testIDSet(t, nil) })
}

// symOf interns id in syms, if any, and returns its symbol.
func symOf(syms *strTable, id string) uint32 {
	if syms == nil {
		return 0
	}
	_, x := syms.intern(id)
	return x
}

func testIDSet(t *testing.T, syms *strTable) {
	r := rand.New(rand.NewPCG(3, 4))
	grew, shrank := 0, 0
	for round := range 40 {
		var s idSet
		ref := map[string]bool{}
		universe := 1 + r.IntN(3*idSetMax)
		removeShare := 2 + r.IntN(3) // 1 in removeShare ops removes while it grows
		for step := range 600 {
			remove := r.IntN(removeShare) == 0
			if step >= 300 { // then it shrinks
				remove = r.IntN(4) != 0
			}
			wasBig := s.big != nil
			x := fmt.Sprint(r.IntN(universe))
			if remove {
				if got, want := s.remove(x, symOf(syms, x), syms), ref[x]; got != want {
					t.Fatalf("round %d step %d: remove(%s) = %v, want %v", round, step, x, got, want)
				}
				delete(ref, x)
			} else {
				if got, want := s.add(x, symOf(syms, x), syms), !ref[x]; got != want {
					t.Fatalf("round %d step %d: add(%s) = %v, want %v", round, step, x, got, want)
				}
				ref[x] = true
			}
			if s.len() != len(ref) {
				t.Fatalf("round %d step %d: len %d, want %d", round, step, s.len(), len(ref))
			}
			switch isBig := s.big != nil; {
			case isBig && !wasBig:
				grew++
			case wasBig && !isBig:
				shrank++
			}
			if s.big == nil && !slices.IsSorted(s.small) {
				t.Fatalf("round %d step %d: slice not sorted: %v", round, step, s.small)
			}
			if syms == nil && s.small != nil ||
				syms != nil && (s.big != nil && len(s.big) <= idSetMax/2 || s.big == nil && len(s.small) > idSetMax) {
				t.Fatalf("round %d step %d: %d ids held as map = %v", round, step, s.len(), s.big != nil)
			}
			want := slices.Sorted(maps.Keys(ref))
			if got := slices.Sorted(s.all(syms)); !slices.Equal(got, want) {
				t.Fatalf("round %d step %d: members %v, want %v", round, step, got, want)
			}
			if got := slices.Sorted(maps.Keys(s.view(syms))); !slices.Equal(got, want) {
				t.Fatalf("round %d step %d: view %v, want %v", round, step, got, want)
			}
			for _, v := range s.view(syms) {
				if v != true {
					t.Fatalf("round %d step %d: view holds %v, want true", round, step, v)
				}
			}
			for k := range ref {
				if !s.has(k, syms) {
					t.Fatalf("round %d step %d: has(%s) = false", round, step, k)
				}
			}
			if s.has("absent", syms) {
				t.Fatal("has(absent)")
			}
		}
	}
	if syms != nil && (grew == 0 || shrank == 0) {
		t.Fatalf("the sets grew into a map %d times and shrank back %d times: both must be exercised", grew, shrank)
	}
}
