package model

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/tuple"
)

var docsModel = dsl(
	"type user",
	"type team",
	"  relations",
	"    define member: [user]",
	"type group",
	"  relations",
	"    define member: [user, group#member]",
	"    define owner: [user]",
	"type folder",
	"  relations",
	"    define viewer: [user]",
	"type doc",
	"  relations",
	"    define parent: [folder]",
	"    define owner: [user]",
	"    define viewer: [user, group#member, user:*] or owner or viewer from parent",
	"    define can_view: viewer",
	"    define allowed: [user]",
	"    define reader: [user] and allowed",
	"    define banned: [user]",
	"    define editor: [user, team#member] but not banned",
)

func mustParse(t *testing.T, s string) *Model {
	t.Helper()
	m, err := ParseDSL(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDirectTypes(t *testing.T) {
	t.Parallel()
	m := mustParse(t, docsModel)
	tests := []struct {
		typ, rel string
		want     []tuple.User
	}{
		{"doc", "viewer", []tuple.User{{Type: "user"}, {Type: "group", Relation: "member"}, {Type: "user", ID: "*"}}},
		{"doc", "parent", []tuple.User{{Type: "folder"}}},
		{"doc", "reader", []tuple.User{{Type: "user"}}},
		{"doc", "editor", []tuple.User{{Type: "user"}, {Type: "team", Relation: "member"}}},
		{"group", "member", []tuple.User{{Type: "user"}, {Type: "group", Relation: "member"}}},
		{"doc", "can_view", nil},
		{"doc", "nope", nil},
		{"nope", "viewer", nil},
	}
	for _, tc := range tests {
		if got := m.DirectTypes(tc.typ, tc.rel); !slices.Equal(got, tc.want) {
			t.Errorf("DirectTypes(%s, %s) = %v, want %v", tc.typ, tc.rel, got, tc.want)
		}
	}
	got := m.DirectTypes("doc", "viewer")
	got[0].Type = "changed"
	if m.DirectTypes("doc", "viewer")[0].Type != "user" {
		t.Error("DirectTypes does not return a copy")
	}
}

func TestValidateTuple(t *testing.T) {
	t.Parallel()
	m := mustParse(t, docsModel)
	tests := []struct {
		tuple string // object#relation@user
		err   string // "" if the write is valid
	}{
		{"doc:1#viewer@user:anne", ""},
		{"doc:1#viewer@group:eng#member", ""},
		{"doc:1#viewer@user:*", ""},
		{"doc:1#parent@folder:x", ""},
		{"doc:1#owner@user:anne", ""},
		{"doc:1#reader@user:anne", ""},
		{"doc:1#editor@team:a#member", ""},
		{"group:a#member@group:b#member", ""},
		{"group:a#member@group:a#member", ""},

		{"report:1#viewer@user:anne", "type report is not defined in the model"},
		{"doc:1#editr@user:anne", "relation editr is not defined on type doc"},
		{"doc:1#can_view@user:anne", "relation doc#can_view is not directly assignable"},
		{"doc:1#viewer@person:anne", "user type person is not defined in the model"},
		{"doc:1#viewer@group:eng#admin", "relation admin is not defined on user type group"},
		{"doc:1#viewer@team:x#member", "user type team#member is not allowed for doc#viewer; allowed: user, group#member, user:*"},
		{"doc:1#viewer@group:eng", "user type group is not allowed for doc#viewer"},
		{"doc:1#viewer@group:eng#owner", "user type group#owner is not allowed for doc#viewer"},
		{"doc:1#owner@user:*", "user type user:* is not allowed for doc#owner; allowed: user"},
		{"doc:1#owner@group:eng#member", "user type group#member is not allowed for doc#owner; allowed: user"},
		{"doc:1#parent@folder:x#viewer", "user type folder#viewer is not allowed for doc#parent; allowed: folder"},
		{"doc:1#parent@folder:*", "user type folder:* is not allowed for doc#parent; allowed: folder"},
		{"doc:1#parent@user:anne", "user type user is not allowed for doc#parent; allowed: folder"},
		{"doc:1#editor@team:a", "user type team is not allowed for doc#editor; allowed: user, team#member"},
	}
	for _, tc := range tests {
		t.Run(tc.tuple, func(t *testing.T) {
			t.Parallel()
			obj, rest, _ := strings.Cut(tc.tuple, "#")
			rel, user, _ := strings.Cut(rest, "@")
			tup, err := tuple.Parse(tuple.Key{Object: obj, Relation: rel, User: user})
			if err != nil {
				t.Fatal(err)
			}
			err = m.ValidateTuple(tup)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("ValidateTuple: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateTuple accepted it, want %q", tc.err)
			}
			if !errors.Is(err, ErrInvalidTuple) {
				t.Errorf("error does not wrap ErrInvalidTuple: %v", err)
			}
			if !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.tuple) {
				t.Errorf("error %q does not name the tuple and say %q", err, tc.err)
			}
		})
	}
}

func TestValidateTupleMalformed(t *testing.T) {
	t.Parallel()
	m := mustParse(t, docsModel)
	for _, tup := range []tuple.Tuple{
		{Object: tuple.Object{Type: "doc", ID: "*"}, Relation: "viewer", User: tuple.User{Type: "user", ID: "anne"}},
		{Object: tuple.Object{Type: "doc", ID: "1"}, Relation: "viewer", User: tuple.User{Type: "group", ID: "*", Relation: "member"}},
	} {
		if err := m.ValidateTuple(tup); !errors.Is(err, ErrInvalidTuple) {
			t.Errorf("ValidateTuple(%s) = %v, want ErrInvalidTuple", tup, err)
		}
	}
}
