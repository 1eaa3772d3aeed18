package engine

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// queryInput is the input of a compiled query (see package compiler), and
// whether its user is plain: neither a userset nor the wildcard, the users
// compiler.Compiled.PlainQuery's entries are made for.
type queryInput struct {
	value *ast.Term // an object
	id    *ast.Term // its id, the query's argument (preparedQuery.eval)
	plain bool
}

// evalInput builds the input of a check of object for user. The user's
// type and relation are names of the model, whose terms names holds (nil
// makes them anew); the object's and user's ids get their terms in one
// allocation.
func evalInput(names termNames, object tuple.Object, user tuple.User) queryInput {
	ids := new([2]ast.Term)
	ids[0].Value, ids[1].Value = ast.String(object.ID), ast.String(user.ID)
	return queryInput{
		value: ast.NewTerm(ast.NewObject(
			ast.Item(inputID, &ids[0]),
			ast.Item(inputUType, names.term(user.Type)),
			ast.Item(inputUID, &ids[1]),
			ast.Item(inputURel, names.term(user.Relation)),
		)),
		id:    &ids[0],
		plain: user.Relation == "" && user.ID != tuple.Wildcard,
	}
}

// The input's keys, made once: OPA interns only its own common strings, so
// ast.InternedTerm("utype") allocated a new term on every check. Terms are
// never modified by evaluation, so every input may share them.
var (
	inputID    = ast.StringTerm("id")
	inputUType = ast.StringTerm("utype")
	inputUID   = ast.StringTerm("uid")
	inputURel  = ast.StringTerm("urel")
)

// termNames holds a term for each type and relation name of a model, and
// for "" (a plain user's relation): the values of a check's input that
// repeat from check to check, made once per model instead of twice per
// check.
type termNames map[string]*ast.Term

func newTermNames(m *model.Model) termNames {
	names := termNames{"": ast.InternedEmptyString}
	for _, t := range m.Types() {
		names[t] = ast.StringTerm(t)
		for _, r := range m.Relations(t) {
			if names[r] == nil {
				names[r] = ast.StringTerm(r)
			}
		}
	}
	return names
}

// term returns the term of s, shared if s is a name of the model.
func (n termNames) term(s string) *ast.Term {
	if t, ok := n[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}
