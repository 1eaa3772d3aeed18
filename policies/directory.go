package policies

import (
	"errors"
	"fmt"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/tuple"
)

// ErrDirectoryModel is wrapped by CheckDirectory when a model cannot hold
// the directory's tuples.
var ErrDirectoryModel = errors.New("the model cannot see the directory")

// CheckDirectory reports whether m can take the directory: the system
// tuples of the object types given (store.DirectoryTypes: workspace and
// group), which a service that opts in sees as its own tuples. For each of
// those types m must define the type and every relation the default model
// gives it, and each relation the store writes tuples of must admit every
// user type the default model admits there (workspace roles: user;
// group#workspace: workspace; group#member: user and group#member). So
// every tuple the store writes for those types is valid in m, and the
// service's checks never meet a tuple its model refuses.
//
// The rewrites are m's own: a service may add relations to workspace or
// group, or define member differently; copying the types from
// default_model.fga keeps the directory's meaning (roles ordered, member
// is any role). The first problem found is returned, naming the type and
// relation.
func CheckDirectory(m *model.Model, types []string) error {
	sys, err := Default()
	if err != nil {
		return err
	}
	for _, typ := range types {
		if !sys.HasType(typ) {
			return fmt.Errorf("directory type %q is not in the default model", typ)
		}
		if !m.HasType(typ) {
			return fmt.Errorf("%w: type %s is not defined; the directory needs it with relations %v (as in policies/default_model.fga)",
				ErrDirectoryModel, typ, sys.Relations(typ))
		}
		for _, rel := range sys.Relations(typ) {
			if !m.HasRelation(typ, rel) {
				return fmt.Errorf("%w: relation %s#%s is not defined; the directory needs it", ErrDirectoryModel, typ, rel)
			}
			for _, u := range sys.DirectTypes(typ, rel) {
				probe := tuple.Tuple{Object: tuple.Object{Type: typ, ID: "id"}, Relation: rel,
					User: tuple.User{Type: u.Type, ID: "id", Relation: u.Relation}}
				if err := m.ValidateTuple(probe); err != nil {
					return fmt.Errorf("%w: relation %s#%s must admit %s, since the directory writes tuples such as %s: %v",
						ErrDirectoryModel, typ, rel, label(u), probe, err)
				}
			}
		}
	}
	return nil
}

// label is a type restriction as the DSL writes it: user, group#member.
func label(u tuple.User) string {
	if u.Relation != "" {
		return u.Type + "#" + u.Relation
	}
	return u.Type
}
