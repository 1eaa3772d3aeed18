package tuple

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		key  Key
		want Tuple
		err  bool
	}{
		{"plain user", Key{"doc:1", "viewer", "user:anne"}, Tuple{Object{"doc", "1"}, "viewer", User{Type: "user", ID: "anne"}}, false},
		{"userset", Key{"doc:1", "viewer", "group:eng#member"}, Tuple{Object{"doc", "1"}, "viewer", User{"group", "eng", "member"}}, false},
		{"wildcard", Key{"doc:1", "viewer", "user:*"}, Tuple{Object{"doc", "1"}, "viewer", User{Type: "user", ID: "*"}}, false},
		{"id with symbols", Key{"doc:a|b@c.d+e/f-g_h", "viewer", "user:x"}, Tuple{Object{"doc", "a|b@c.d+e/f-g_h"}, "viewer", User{Type: "user", ID: "x"}}, false},
		{"object without colon", Key{"doc1", "viewer", "user:anne"}, Tuple{}, true},
		{"object wildcard", Key{"doc:*", "viewer", "user:anne"}, Tuple{}, true},
		{"empty object id", Key{"doc:", "viewer", "user:anne"}, Tuple{}, true},
		{"empty relation", Key{"doc:1", "", "user:anne"}, Tuple{}, true},
		{"relation with hash", Key{"doc:1", "a#b", "user:anne"}, Tuple{}, true},
		{"user without colon", Key{"doc:1", "viewer", "anne"}, Tuple{}, true},
		{"wildcard with relation", Key{"doc:1", "viewer", "user:*#member"}, Tuple{}, true},
		{"space in id", Key{"doc:1", "viewer", "user:an ne"}, Tuple{}, true},
		{"empty userset relation", Key{"doc:1", "viewer", "group:eng#"}, Tuple{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.key)
			if tc.err {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse(%v) error = %v, want ErrInvalid", tc.key, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%v): %v", tc.key, err)
			}
			if got != tc.want {
				t.Fatalf("Parse(%v) = %+v, want %+v", tc.key, got, tc.want)
			}
			if got.Key() != tc.key {
				t.Fatalf("round trip: %v != %v", got.Key(), tc.key)
			}
		})
	}
}

func TestUserShapes(t *testing.T) {
	t.Parallel()
	if u := (User{Type: "user", ID: "*"}); !u.IsWildcard() || u.IsUserset() {
		t.Fatal("user:* must be a wildcard and not a userset")
	}
	if u := (User{Type: "group", ID: "g", Relation: "member"}); u.IsWildcard() || !u.IsUserset() {
		t.Fatal("group:g#member must be a userset")
	}
	tp := Tuple{Object{"doc", "1"}, "viewer", User{"group", "g", "member"}}
	if got := tp.String(); got != "doc:1#viewer@group:g#member" {
		t.Fatalf("String() = %q", got)
	}
}

// OpenFGA's expressions, which validName and validID are written out from.
var (
	typeRe     = regexp.MustCompile(`^[^:#@*\s]{1,254}$`)
	relationRe = regexp.MustCompile(`^[^:#@*\s]{1,50}$`)
	idRe       = regexp.MustCompile(`^[^#:\s*][a-zA-Z0-9_|*@.+/\-]*$`)
)

// TestValidatorsMatchTheExpressions: the hand-written validators agree
// with OpenFGA's regular expressions on random strings over an alphabet of
// every kind of character they treat apart, of lengths around the limits.
func TestValidatorsMatchTheExpressions(t *testing.T) {
	alphabet := []string{"a", "Z", "0", "_", "|", "*", "@", ".", "+", "/", "-", ":", "#",
		" ", "\t", "\n", "\f", "\r", "\v", "é", "日", "\xff", "\x00", "~", "!", "\"", "%", "é"[:1]}
	r := rand.New(rand.NewPCG(7, 11))
	check := func(s string) {
		t.Helper()
		if got, want := validType(s), typeRe.MatchString(s); got != want {
			t.Fatalf("validType(%q) = %v, regexp %v", s, got, want)
		}
		if got, want := validRelation(s), relationRe.MatchString(s); got != want {
			t.Fatalf("validRelation(%q) = %v, regexp %v", s, got, want)
		}
		if got, want := validID(s), idRe.MatchString(s); got != want {
			t.Fatalf("validID(%q) = %v, regexp %v", s, got, want)
		}
	}
	for range 200_000 {
		var b strings.Builder
		n := r.IntN(6)
		switch r.IntN(8) {
		case 0:
			n = 48 + r.IntN(5) // around the relation limit
		case 1:
			n = 252 + r.IntN(5) // around the type limit
		}
		// Mostly characters valid everywhere, so long strings are not all
		// refused at their first character.
		for range n {
			if r.IntN(10) < 8 {
				b.WriteString(alphabet[r.IntN(3)])
			} else {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
		}
		check(b.String())
	}
	for _, s := range []string{"", "a", "*", "doc", "user_1|x@y.z+w/v-u", "é" + strings.Repeat("a", 253), strings.Repeat("日", 50), strings.Repeat("日", 51)} {
		check(s)
	}
}

func FuzzValidators(f *testing.F) {
	for _, s := range []string{"doc", "a:b", "日本", "\xff", "x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validType(s) != typeRe.MatchString(s) || validRelation(s) != relationRe.MatchString(s) || validID(s) != idRe.MatchString(s) {
			t.Fatalf("validators and expressions disagree on %q", s)
		}
	})
}
