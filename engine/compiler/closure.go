package compiler

import (
	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/model"
)

// Closable reports whether typ#rel is a membership relation whose
// transitive closure the engine keeps: a plain direct assignment
// (`define member: [user, user:*, group#member]`) whose only userset type is
// itself, nested at least once. For a plain user, such a relation holds
// exactly when the user is in the closure; the fast variant reads the
// closure instead of walking the nesting (see Options.TrackCycles for the
// cycle rule it keeps).
func Closable(m *model.Model, typ, rel string) bool {
	rw, ok := m.Relation(typ, rel)
	if !ok {
		return false
	}
	if _, direct := rw.GetUserset().(*openfgav1.Userset_This); !direct {
		return false
	}
	self := false
	for _, d := range m.DirectTypes(typ, rel) {
		if d.Relation == "" {
			continue
		}
		if d.Type != typ || d.Relation != rel {
			return false
		}
		self = true
	}
	return self
}
