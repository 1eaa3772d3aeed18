package engine

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// TestCheckInputReused: one checkInput set for check after check holds
// each check's input as a fresh object would, hash included (OPA compares
// and looks up objects by it), whether the user's names are the model's
// shared terms or not.
func TestCheckInputReused(t *testing.T) {
	t.Parallel()
	m, err := model.ParseDSL(testModel)
	if err != nil {
		t.Fatal(err)
	}
	names := newTermNames(m)
	in := newCheckInput()
	for i, tc := range []struct {
		names     termNames
		object    tuple.Object
		user      tuple.User
		wantPlain bool
	}{
		{names, tuple.Object{Type: "doc", ID: "1"}, tuple.User{Type: "user", ID: "anne"}, true},
		{names, tuple.Object{Type: "doc", ID: "2"}, tuple.User{Type: "user", ID: "bob"}, true},
		{names, tuple.Object{Type: "doc", ID: "2"}, tuple.User{Type: "group", ID: "eng", Relation: "member"}, false},
		{names, tuple.Object{Type: "folder", ID: "x"}, tuple.User{Type: "user", ID: tuple.Wildcard}, false},
		{nil, tuple.Object{Type: "doc", ID: "3"}, tuple.User{Type: "user", ID: "carl"}, true},
		{names, tuple.Object{Type: "doc", ID: ""}, tuple.User{Type: "unknown", ID: "", Relation: "nope"}, false},
	} {
		got := in.set(tc.names, tc.object, tc.user)
		want := ast.NewObject(
			ast.Item(ast.StringTerm("id"), ast.StringTerm(tc.object.ID)),
			ast.Item(ast.StringTerm("utype"), ast.StringTerm(tc.user.Type)),
			ast.Item(ast.StringTerm("uid"), ast.StringTerm(tc.user.ID)),
			ast.Item(ast.StringTerm("urel"), ast.StringTerm(tc.user.Relation)),
		)
		if got.value.Value.Compare(want) != 0 || got.value.Value.Hash() != want.Hash() {
			t.Errorf("%d: input %v (hash %d), want %v (hash %d)", i, got.value, got.value.Value.Hash(), want, want.Hash())
		}
		if !got.id.Equal(ast.StringTerm(tc.object.ID)) || got.plain != tc.wantPlain {
			t.Errorf("%d: id %v, plain %v; want %q, %v", i, got.id, got.plain, tc.object.ID, tc.wantPlain)
		}
		if fresh := evalInput(tc.names, tc.object, tc.user); fresh.value.Value.Compare(want) != 0 || fresh.value == got.value {
			t.Errorf("%d: evalInput made %v (shared: %v), want a new %v", i, fresh.value, fresh.value == got.value, want)
		}
	}
}

// evalInput builds the input of a check of object for user in an input of
// its own, for tests that evaluate outside Engine.eval's pool.
func evalInput(names termNames, object tuple.Object, user tuple.User) queryInput {
	return newCheckInput().set(names, object, user)
}
