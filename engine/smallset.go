package engine

import "iter"

// smallSet is a set held as a slice while it is small and as a map once it
// grows. The reverse indexes hold hundreds of thousands of sets, most with
// one to a few members (a user's grants of one relation, the types a user
// is assigned on): as Go maps each cost ≈180 bytes even when holding one
// string, as a slice 16 bytes a member. Linear search of up to
// smallSetMax members is as fast as hashing.
//
// The zero value is an empty set. It is a value type: callers store it
// back after add or remove.
type smallSet[T comparable] struct {
	small []T
	big   map[T]struct{}
}

// smallSetMax is the most members kept in the slice.
const smallSetMax = 8

// add inserts x and reports whether it was new.
func (s *smallSet[T]) add(x T) bool {
	if s.big != nil {
		if _, ok := s.big[x]; ok {
			return false
		}
		s.big[x] = struct{}{}
		return true
	}
	for _, y := range s.small {
		if y == x {
			return false
		}
	}
	if len(s.small) < smallSetMax {
		s.small = append(s.small, x)
		return true
	}
	s.big = make(map[T]struct{}, 2*smallSetMax)
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
	for i, y := range s.small {
		if y == x {
			last := len(s.small) - 1
			s.small[i] = s.small[last]
			var zero T
			s.small[last] = zero
			s.small = s.small[:last]
			return true
		}
	}
	return false
}

func (s smallSet[T]) has(x T) bool {
	if s.big != nil {
		_, ok := s.big[x]
		return ok
	}
	for _, y := range s.small {
		if y == x {
			return true
		}
	}
	return false
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
