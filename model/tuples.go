package model

import (
	"fmt"
	"strings"

	"github.com/sentinel-auth/sentinel/tuple"
)

// ValidateTuple checks that t may be written under this model: its object
// type exists, its relation exists on that type and is directly assignable,
// and its user has one of the relation's directly related user types —
// user:anne needs plain user, user:* needs user:*, group:eng#member needs
// group#member. (A tupleset relation only ever allows plain types, so
// usersets and wildcards are refused there too.) Errors wrap
// ErrInvalidTuple and name the tuple.
//
// It does not check the syntax of ids; that is tuple.Parse's job.
func (m *Model) ValidateTuple(t tuple.Tuple) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrInvalidTuple, t, fmt.Sprintf(format, args...))
	}
	if t.Object.ID == tuple.Wildcard {
		return fail("the object id cannot be the wildcard %q", tuple.Wildcard)
	}
	if !m.HasType(t.Object.Type) {
		return fail("type %s is not defined in the model", t.Object.Type)
	}
	if !m.HasRelation(t.Object.Type, t.Relation) {
		return fail("relation %s is not defined on type %s", t.Relation, t.Object.Type)
	}
	rel := t.Object.Type + "#" + t.Relation
	allowed := m.types[t.Object.Type].direct[t.Relation]
	if len(allowed) == 0 {
		return fail("relation %s is not directly assignable (it is computed from other relations)", rel)
	}
	u := t.User
	if u.ID == tuple.Wildcard && u.Relation != "" {
		return fail("a wildcard user cannot carry a relation")
	}
	if !m.HasType(u.Type) {
		return fail("user type %s is not defined in the model", u.Type)
	}
	if u.Relation != "" && !m.HasRelation(u.Type, u.Relation) {
		return fail("relation %s is not defined on user type %s", u.Relation, u.Type)
	}
	want := tuple.User{Type: u.Type, Relation: u.Relation}
	if u.IsWildcard() {
		want.ID = tuple.Wildcard
	}
	labels := make([]string, len(allowed))
	for i, a := range allowed {
		if a == want {
			return nil
		}
		labels[i] = typeLabel(a)
	}
	return fail("user type %s is not allowed for %s; allowed: %s", typeLabel(want), rel, strings.Join(labels, ", "))
}
