package engine

import (
	"cmp"
	"iter"
	"slices"
)

// smallSet is a set held as a sorted slice while it is small and as a map
// once it grows. The reverse index holds hundreds of thousands of sets,
// most with one to a few dozen members (a user's grants of one relation,
// the documents of a folder): as Go maps each cost ≈180 bytes even when
// holding one string, and ≈600 with a dozen, as a slice 16 bytes a member.
// Bisecting up to smallSetMax members is as fast as hashing.
//
// The zero value is an empty set. It is a value type: callers store it
// back after add or remove.
type smallSet[T cmp.Ordered] struct {
	small []T // sorted, while big is nil
	big   map[T]struct{}
}

// smallSetMax is the most members kept in the slice.
const smallSetMax = 64

// add inserts x and reports whether it was new.
func (s *smallSet[T]) add(x T) bool {
	if s.big != nil {
		if _, ok := s.big[x]; ok {
			return false
		}
		s.big[x] = struct{}{}
		return true
	}
	i, ok := slices.BinarySearch(s.small, x)
	if ok {
		return false
	}
	if len(s.small) < smallSetMax {
		s.small = slices.Insert(s.small, i, x)
		return true
	}
	s.big = make(map[T]struct{}, len(s.small)+1)
	for _, y := range s.small {
		s.big[y] = struct{}{}
	}
	s.big[x] = struct{}{}
	s.small = nil
	return true
}

// remove deletes x and reports whether it was there.
func (s *smallSet[T]) remove(x T) bool {
	if s.big != nil {
		if _, ok := s.big[x]; !ok {
			return false
		}
		delete(s.big, x)
		return true
	}
	i, ok := slices.BinarySearch(s.small, x)
	if !ok {
		return false
	}
	s.small = slices.Delete(s.small, i, i+1)
	return true
}

func (s smallSet[T]) has(x T) bool {
	if s.big != nil {
		_, ok := s.big[x]
		return ok
	}
	_, ok := slices.BinarySearch(s.small, x)
	return ok
}

func (s smallSet[T]) len() int {
	if s.big != nil {
		return len(s.big)
	}
	return len(s.small)
}

// all yields the members in no particular order.
func (s smallSet[T]) all() iter.Seq[T] {
	return func(yield func(T) bool) {
		if s.big != nil {
			for x := range s.big {
				if !yield(x) {
					return
				}
			}
			return
		}
		for _, x := range s.small {
			if !yield(x) {
				return
			}
		}
	}
}
