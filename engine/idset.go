package engine

import (
	"iter"
	"slices"
)

// idSet is a set of ids in the tuple index: the users of one type on one
// relation of an object (the last level of the forward index, forward.go),
// or the objects of one type a user is assigned to by one relation (the
// reverse index, reverse.go). Most hold one id or a few: at 1M benchmark
// tuples, 231k of the 264k sets of the forward index hold at most eight
// and none more than 37. As Go maps, the form OPA reads, each cost ≈300
// bytes even when holding one id; here a small set is a sorted slice of
// the ids' symbols (strTable), 4 bytes an id and no pointer for the
// collector to follow, searched by bisection. A set that grows past
// idSetMax becomes the map OPA reads (id → true), so a read of the whole
// of a large set hands it over as the nested maps did, and a small one
// builds its map (view).
//
// Its methods take the index's strTable, which numbers the ids; without
// one (nil: an overlay of contextual tuples, which lives for one
// evaluation) every set is a map.
//
// The zero value is an empty set. It is a value type: callers store it
// back after add or remove.
type idSet struct {
	small []uint32       // symbols, sorted, while big is nil
	big   map[string]any // id → true
}

// idSetMax is the most ids kept in the slice: bisecting 64 ids takes six
// comparisons, and an insertion moves at most 256 bytes.
const idSetMax = 64

// add inserts id, whose symbol in syms is x (tuples.add interns the ids
// of a tuple, and counts them), and reports whether it was new.
func (s *idSet) add(id string, x uint32, syms *strTable) bool {
	if s.big == nil && syms != nil {
		i, ok := slices.BinarySearch(s.small, x)
		if ok {
			return false
		}
		if len(s.small) < idSetMax {
			s.small = slices.Insert(s.small, i, x)
			return true
		}
		s.big = make(map[string]any, 2*idSetMax)
		for _, y := range s.small {
			s.big[syms.str(y)] = true
		}
		s.small = nil
	}
	if s.big == nil {
		s.big = map[string]any{}
	}
	if _, ok := s.big[id]; ok {
		return false
	}
	s.big[id] = true
	return true
}

// remove deletes id, whose symbol in syms is x, and reports whether it
// was there. A large set that shrinks to half of idSetMax goes back to a
// slice, so memory follows the ids held.
func (s *idSet) remove(id string, x uint32, syms *strTable) bool {
	if s.big != nil {
		if _, ok := s.big[id]; !ok {
			return false
		}
		delete(s.big, id)
		switch {
		case len(s.big) == 0:
			s.big = nil
		case syms != nil && len(s.big) <= idSetMax/2:
			s.small = make([]uint32, 0, len(s.big))
			for y := range s.big {
				x, _ := syms.sym(y)
				s.small = append(s.small, x)
			}
			slices.Sort(s.small)
			s.big = nil
		}
		return true
	}
	if len(s.small) == 0 {
		return false
	}
	i, ok := slices.BinarySearch(s.small, x)
	if !ok {
		return false
	}
	s.small = slices.Delete(s.small, i, i+1)
	if len(s.small) == 0 {
		s.small = nil
	}
	return true
}

func (s idSet) has(id string, syms *strTable) bool {
	if s.big != nil {
		_, ok := s.big[id]
		return ok
	}
	if len(s.small) == 0 {
		return false
	}
	x, ok := syms.sym(id)
	return ok && s.contains(id, x)
}

// contains is has of id, whose symbol x is known.
func (s idSet) contains(id string, x uint32) bool {
	if s.big != nil {
		_, ok := s.big[id]
		return ok
	}
	_, ok := slices.BinarySearch(s.small, x)
	return ok
}

func (s idSet) len() int {
	if s.big != nil {
		return len(s.big)
	}
	return len(s.small)
}

// all yields the ids, in no particular order.
func (s idSet) all(syms *strTable) iter.Seq[string] {
	return func(yield func(string) bool) {
		if s.big != nil {
			for id := range s.big {
				if !yield(id) {
					return
				}
			}
			return
		}
		for _, x := range s.small {
			if !yield(syms.str(x)) {
				return
			}
		}
	}
}

// view returns the set as OPA reads it, a map of id to true: a large set's
// own map (which the caller must not modify), a new one for a small set.
func (s idSet) view(syms *strTable) map[string]any {
	if s.big != nil {
		return s.big
	}
	m := make(map[string]any, len(s.small))
	for _, x := range s.small {
		m[syms.str(x)] = true
	}
	return m
}
