package tuple

import (
	"errors"
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
