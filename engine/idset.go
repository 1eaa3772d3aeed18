package engine

import (
	"iter"
	"slices"
)

// idSet is the ids of the users of one type on one relation of an object
// (the last level of the forward index, forward.go). Most hold one id or a
// few: at 1M benchmark tuples, 231k of the 264k sets hold at most eight and
// none more than 37. As Go maps, the form OPA reads, each cost ≈300 bytes
// even when holding one id; here a small set is a sorted slice, 16 bytes an
// id, searched by bisection. A set that grows past idSetMax becomes the map
// OPA reads (id → true), so a read of the whole of a large set hands it
// over as the nested maps did, and a small one builds its map (view).
//
// The zero value is an empty set. It is a value type: callers store it
// back after add or remove.
type idSet struct {
	small []string       // sorted, while big is nil
	big   map[string]any // id → true
}

// idSetMax is the most ids kept in the slice: bisecting 64 ids takes six
// comparisons, and an insertion moves at most a kilobyte.
const idSetMax = 64

// add inserts id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if s.big != nil {
		if _, ok := s.big[id]; ok {
			return false
		}
		s.big[id] = true
		return true
	}
	i, ok := slices.BinarySearch(s.small, id)
	if ok {
		return false
	}
	if len(s.small) < idSetMax {
		s.small = slices.Insert(s.small, i, id)
		return true
	}
	s.big = make(map[string]any, 2*idSetMax)
	for _, x := range s.small {
		s.big[x] = true
	}
	s.big[id] = true
	s.small = nil
	return true
}

// remove deletes id and reports whether it was there. A large set that
// shrinks to half of idSetMax goes back to a slice, so memory follows the
// ids held.
func (s *idSet) remove(id string) bool {
	if s.big != nil {
		if _, ok := s.big[id]; !ok {
			return false
		}
		delete(s.big, id)
		if len(s.big) <= idSetMax/2 {
			s.small = slices.Sorted(s.all())
			s.big = nil
		}
		return true
	}
	i, ok := slices.BinarySearch(s.small, id)
	if !ok {
		return false
	}
	s.small = slices.Delete(s.small, i, i+1)
	if len(s.small) == 0 {
		s.small = nil
	}
	return true
}

func (s idSet) has(id string) bool {
	if s.big != nil {
		_, ok := s.big[id]
		return ok
	}
	_, ok := slices.BinarySearch(s.small, id)
	return ok
}

func (s idSet) len() int {
	if s.big != nil {
		return len(s.big)
	}
	return len(s.small)
}

// all yields the ids: a small set's in order, a large one's in none.
func (s idSet) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		if s.big != nil {
			for id := range s.big {
				if !yield(id) {
					return
				}
			}
			return
		}
		for _, id := range s.small {
			if !yield(id) {
				return
			}
		}
	}
}

// view returns the set as OPA reads it, a map of id to true: a large set's
// own map (which the caller must not modify), a new one for a small set.
func (s idSet) view() map[string]any {
	if s.big != nil {
		return s.big
	}
	m := make(map[string]any, len(s.small))
	for _, id := range s.small {
		m[id] = true
	}
	return m
}
