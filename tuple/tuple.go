// Package tuple defines relationship tuples (object#relation@user), the unit
// of data that every Sentinel authorization decision is computed from, and
// their canonical string forms.
//
// A user is one of three shapes:
//
//	user:anne          a concrete object
//	group:eng#member   a userset: every user that has member on group:eng
//	user:*             a wildcard: every object of type user
package tuple

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Wildcard is the object id that stands for every object of a type.
const Wildcard = "*"

// Object names one object: type and id.
type Object struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// String returns "type:id".
func (o Object) String() string { return o.Type + ":" + o.ID }

// User is the subject side of a tuple: an object, a userset (Relation set) or
// a wildcard (ID == "*").
type User struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Relation string `json:"relation,omitempty"`
}

// String returns the canonical form: "type:id", "type:id#relation" or "type:*".
func (u User) String() string {
	if u.Relation != "" {
		return u.Type + ":" + u.ID + "#" + u.Relation
	}
	return u.Type + ":" + u.ID
}

// IsWildcard reports whether u stands for every object of its type.
func (u User) IsWildcard() bool { return u.ID == Wildcard && u.Relation == "" }

// IsUserset reports whether u is a userset (type:id#relation).
func (u User) IsUserset() bool { return u.Relation != "" }

// Tuple is one relationship: User has Relation on Object.
type Tuple struct {
	Object   Object
	Relation string
	User     User
}

// String returns "type:id#relation@user".
func (t Tuple) String() string {
	return t.Object.String() + "#" + t.Relation + "@" + t.User.String()
}

// Key is the JSON shape of a tuple on the wire.
type Key struct {
	Object   string `json:"object"`
	Relation string `json:"relation"`
	User     string `json:"user"`
}

// Key returns the wire form of t.
func (t Tuple) Key() Key {
	return Key{Object: t.Object.String(), Relation: t.Relation, User: t.User.String()}
}

// The rules follow OpenFGA's, so that any tuple OpenFGA accepts is accepted here.
var (
	typeRe     = regexp.MustCompile(`^[^:#@*\s]{1,254}$`)
	relationRe = regexp.MustCompile(`^[^:#@*\s]{1,50}$`)
	idRe       = regexp.MustCompile(`^[^#:\s*][a-zA-Z0-9_|*@.+/\-]*$`)
)

// ErrInvalid marks a malformed object, relation or user string.
var ErrInvalid = errors.New("invalid tuple")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ValidType reports whether s is a well-formed type name.
func ValidType(s string) bool { return typeRe.MatchString(s) }

// ValidRelation reports whether s is a well-formed relation name.
func ValidRelation(s string) bool { return relationRe.MatchString(s) }

// ParseObject parses "type:id". The id may not be the wildcard.
func ParseObject(s string) (Object, error) {
	typ, id, ok := strings.Cut(s, ":")
	if !ok {
		return Object{}, invalid("object %q must be of the form type:id", s)
	}
	if !typeRe.MatchString(typ) {
		return Object{}, invalid("object %q has an invalid type %q", s, typ)
	}
	if !idRe.MatchString(id) || len(s) > 256 {
		return Object{}, invalid("object %q has an invalid id %q", s, id)
	}
	return Object{Type: typ, ID: id}, nil
}

// ParseUser parses "type:id", "type:id#relation" or "type:*".
func ParseUser(s string) (User, error) {
	obj, rel, hasRel := strings.Cut(s, "#")
	typ, id, ok := strings.Cut(obj, ":")
	if !ok {
		return User{}, invalid("user %q must be of the form type:id, type:id#relation or type:*", s)
	}
	if !typeRe.MatchString(typ) {
		return User{}, invalid("user %q has an invalid type %q", s, typ)
	}
	if hasRel {
		if !relationRe.MatchString(rel) {
			return User{}, invalid("user %q has an invalid relation %q", s, rel)
		}
		if id == Wildcard {
			return User{}, invalid("user %q: a wildcard cannot carry a relation", s)
		}
	}
	if id != Wildcard && (!idRe.MatchString(id) || len(obj) > 256) {
		return User{}, invalid("user %q has an invalid id %q", s, id)
	}
	return User{Type: typ, ID: id, Relation: rel}, nil
}

// Parse parses the wire form of a tuple.
func Parse(k Key) (Tuple, error) {
	obj, err := ParseObject(k.Object)
	if err != nil {
		return Tuple{}, err
	}
	if !relationRe.MatchString(k.Relation) {
		return Tuple{}, invalid("relation %q is invalid", k.Relation)
	}
	u, err := ParseUser(k.User)
	if err != nil {
		return Tuple{}, err
	}
	return Tuple{Object: obj, Relation: k.Relation, User: u}, nil
}
