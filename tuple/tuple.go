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
	"strings"
	"unicode/utf8"
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

// The rules follow OpenFGA's, so that any tuple OpenFGA accepts is accepted
// here. They are its regular expressions
//
//	type      ^[^:#@*\s]{1,254}$
//	relation  ^[^:#@*\s]{1,50}$
//	id        ^[^#:\s*][a-zA-Z0-9_|*@.+/\-]*$
//
// written out as loops (every check and write parses its strings, and the
// regexp engine was a tenth of an HTTP check's own work); tuple_test.go
// holds the expressions and compares the two on random strings.

// validName reports whether s is 1 to max runes, none of : # @ * or
// white space (\s: tab, newline, form feed, carriage return, space).
// Invalid UTF-8 counts a rune a byte, as in Go's regexp.
func validName(s string, max int) bool {
	n := 0
	for _, r := range s {
		if r == ':' || r == '#' || r == '@' || r == '*' || isSpace(r) {
			return false
		}
		n++
	}
	return n >= 1 && n <= max
}

// validID reports whether s is a first rune other than # : * or white
// space, then only ASCII letters, digits and _ | * @ . + / -.
func validID(s string) bool {
	if s == "" {
		return false
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == '#' || r == ':' || r == '*' || isSpace(r) {
		return false
	}
	for i := size; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '|', c == '*', c == '@', c == '.', c == '+', c == '/', c == '-':
		default:
			return false
		}
	}
	return true
}

// isSpace is regexp's \s.
func isSpace(r rune) bool { return r == '\t' || r == '\n' || r == '\f' || r == '\r' || r == ' ' }

func validType(s string) bool     { return validName(s, 254) }
func validRelation(s string) bool { return validName(s, 50) }

// ErrInvalid marks a malformed object, relation or user string.
var ErrInvalid = errors.New("invalid tuple")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ValidType reports whether s is a well-formed type name.
func ValidType(s string) bool { return validType(s) }

// ValidRelation reports whether s is a well-formed relation name.
func ValidRelation(s string) bool { return validRelation(s) }

// ParseObject parses "type:id". The id may not be the wildcard.
func ParseObject(s string) (Object, error) {
	typ, id, ok := strings.Cut(s, ":")
	if !ok {
		return Object{}, invalid("object %q must be of the form type:id", s)
	}
	if !validType(typ) {
		return Object{}, invalid("object %q has an invalid type %q", s, typ)
	}
	if !validID(id) || len(s) > 256 {
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
	if !validType(typ) {
		return User{}, invalid("user %q has an invalid type %q", s, typ)
	}
	if hasRel {
		if !validRelation(rel) {
			return User{}, invalid("user %q has an invalid relation %q", s, rel)
		}
		if id == Wildcard {
			return User{}, invalid("user %q: a wildcard cannot carry a relation", s)
		}
	}
	if id != Wildcard && (!validID(id) || len(obj) > 256) {
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
	if !validRelation(k.Relation) {
		return Tuple{}, invalid("relation %q is invalid", k.Relation)
	}
	u, err := ParseUser(k.User)
	if err != nil {
		return Tuple{}, err
	}
	return Tuple{Object: obj, Relation: k.Relation, User: u}, nil
}
