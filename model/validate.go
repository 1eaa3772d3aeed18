package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"

	"github.com/sentinel-auth/sentinel/tuple"
)

// The rules below follow OpenFGA's typesystem validation for schema 1.1, so
// a model accepted here is accepted by OpenFGA; Sentinel additionally
// rejects conditions, which it does not support yet.

// reserved relation and type names (OpenFGA: "self and this are reserved
// keywords").
var reserved = map[string]bool{"self": true, "this": true}

// validate checks m.pb and fills m.types. It reports every problem it finds;
// the entrypoint analysis only runs on an otherwise well-formed model, since
// dangling references would make its verdicts meaningless.
func (m *Model) validate(src *source) error {
	p := &problems{}
	m.checkHeader(p, src)
	m.checkTypes(p, src)
	uses := m.tuplesetUses()
	m.eachRelation(func(t, rel string, rw *openfgav1.Userset) {
		m.checkRewrite(p, src, t, rel, rw)
		m.checkDirect(p, src, t, rel, rw, uses[t][rel])
	})
	if len(p.errs) == 0 {
		m.checkEntrypoints(p, src)
	}
	return p.err()
}

// checkHeader checks the schema version, the presence of types and the
// absence of conditions.
func (m *Model) checkHeader(p *problems, src *source) {
	switch v := m.pb.GetSchemaVersion(); v {
	case SchemaVersion:
	case "":
		p.add(src.schemaPos(), "the model has no schema version; only schema %s is supported", SchemaVersion)
	default:
		p.add(src.schemaPos(), "schema version %s is not supported; only schema %s is supported", v, SchemaVersion)
	}
	for _, name := range slices.Sorted(maps.Keys(m.pb.GetConditions())) {
		p.add(src.conditionPos(name), "conditions are not supported (condition %s)", name)
	}
	if len(m.pb.GetTypeDefinitions()) == 0 {
		p.add(position{}, "the model defines no types")
	}
}

// checkTypes checks type and relation names and registers each well-named
// type in m.types (the first definition, if a type is defined twice).
func (m *Model) checkTypes(p *problems, src *source) {
	seen := map[string]int{}
	for _, td := range m.pb.GetTypeDefinitions() {
		name := td.GetType()
		nth := seen[name]
		seen[name]++
		pos := src.typePos(name, nth)
		switch {
		case name == "":
			p.add(pos, "a type definition has an empty type name")
			continue
		case !tuple.ValidType(name):
			p.add(pos, "invalid type name %q", name)
			continue
		case reserved[name]:
			p.add(pos, "type name %q is a reserved keyword", name)
			continue
		case nth > 0:
			p.add(pos, "type %s is defined more than once", name)
			continue
		}
		m.types[name] = &typeInfo{def: td, direct: map[string][]tuple.User{}}
		for _, rel := range slices.Sorted(maps.Keys(td.GetRelations())) {
			pos := src.relationPos(name, rel)
			switch {
			case !tuple.ValidRelation(rel):
				p.add(pos, "type %s: invalid relation name %q", name, rel)
			case reserved[rel]:
				p.add(pos, "type %s: relation name %q is a reserved keyword", name, rel)
			}
		}
	}
}

// eachRelation calls fn for every relation of every registered type, in
// model order and, within a type, sorted by name.
func (m *Model) eachRelation(fn func(t, rel string, rw *openfgav1.Userset)) {
	for _, td := range m.pb.GetTypeDefinitions() {
		ti := m.types[td.GetType()]
		if ti == nil || ti.def != td {
			continue
		}
		for _, rel := range slices.Sorted(maps.Keys(td.GetRelations())) {
			fn(td.GetType(), rel, td.GetRelations()[rel])
		}
	}
}

// hasRelation reports whether registered type t defines rel.
func (m *Model) hasRelation(t, rel string) bool {
	ti := m.types[t]
	if ti == nil {
		return false
	}
	_, ok := ti.def.GetRelations()[rel]
	return ok
}

// refs returns the type restrictions ([...]) declared for t#rel.
func (m *Model) refs(t, rel string) []*openfgav1.RelationReference {
	ti := m.types[t]
	if ti == nil {
		return nil
	}
	return ti.def.GetMetadata().GetRelations()[rel].GetDirectlyRelatedUserTypes()
}

// tuplesetUses maps type -> tupleset relation -> the first "x from rel"
// that uses it, for error messages.
func (m *Model) tuplesetUses() map[string]map[string]string {
	uses := map[string]map[string]string{}
	m.eachRelation(func(t, _ string, rw *openfgav1.Userset) {
		walk(rw, func(u *openfgav1.Userset) {
			ttu := u.GetTupleToUserset()
			if ttu == nil {
				return
			}
			ts := ttu.GetTupleset().GetRelation()
			if uses[t] == nil {
				uses[t] = map[string]string{}
			}
			if _, ok := uses[t][ts]; !ok {
				uses[t][ts] = ttu.GetComputedUserset().GetRelation() + " from " + ts
			}
		})
	})
	return uses
}

// checkRewrite checks that every reference in the rewrite of t#rel (or a
// part of it) resolves.
func (m *Model) checkRewrite(p *problems, src *source, t, rel string, us *openfgav1.Userset) {
	name := t + "#" + rel
	switch u := us.GetUserset().(type) {
	case nil:
		p.add(src.relationPos(t, rel), "%s: empty rewrite", name)
	case *openfgav1.Userset_This:
	case *openfgav1.Userset_ComputedUserset:
		target := u.ComputedUserset.GetRelation()
		switch {
		case target == "":
			p.add(src.relationPos(t, rel), "%s: a computed userset names no relation", name)
		case target == rel:
			p.add(src.symbolPos(t, rel, target), "%s refers to itself", name)
		case !m.hasRelation(t, target):
			p.add(src.symbolPos(t, rel, target), "%s: relation %s is not defined on type %s", name, target, t)
		}
	case *openfgav1.Userset_TupleToUserset:
		m.checkTTU(p, src, t, rel, u.TupleToUserset)
	case *openfgav1.Userset_Union:
		m.checkChildren(p, src, t, rel, "union", u.Union.GetChild())
	case *openfgav1.Userset_Intersection:
		m.checkChildren(p, src, t, rel, "intersection", u.Intersection.GetChild())
	case *openfgav1.Userset_Difference:
		base, sub := u.Difference.GetBase(), u.Difference.GetSubtract()
		if base == nil || sub == nil {
			p.add(src.relationPos(t, rel), "%s: an exclusion (but not) needs both a base and a subtracted rewrite", name)
			return
		}
		m.checkRewrite(p, src, t, rel, base)
		m.checkRewrite(p, src, t, rel, sub)
	}
}

func (m *Model) checkChildren(p *problems, src *source, t, rel, op string, children []*openfgav1.Userset) {
	if len(children) == 0 {
		p.add(src.relationPos(t, rel), "%s#%s: %s with no operands", t, rel, op)
	}
	for _, c := range children {
		m.checkRewrite(p, src, t, rel, c)
	}
}

// checkTTU checks "cr from ts" in t#rel: ts must be a relation of t that is
// a plain direct assignment, and cr must be defined on at least one of the
// types ts may hold. (Restrictions on ts's user types are reported by
// checkDirect on ts itself.)
func (m *Model) checkTTU(p *problems, src *source, t, rel string, ttu *openfgav1.TupleToUserset) {
	name := t + "#" + rel
	ts, cr := ttu.GetTupleset().GetRelation(), ttu.GetComputedUserset().GetRelation()
	expr := cr + " from " + ts
	if ts == "" || cr == "" {
		p.add(src.relationPos(t, rel), "%s: incomplete tuple-to-userset %q", name, expr)
		return
	}
	tsRw, ok := m.types[t].def.GetRelations()[ts]
	if !ok {
		p.add(src.symbolPos(t, rel, ts), "%s: relation %s (in %q) is not defined on type %s", name, ts, expr, t)
		return
	}
	if !isThis(tsRw) {
		p.add(src.symbolPos(t, rel, ts),
			"%s: %s#%s is used as a tupleset (in %q) so it must be a plain direct assignment such as [folder], not a rewrite",
			name, t, ts, expr)
		return
	}
	var plain []string
	found := false
	for _, ref := range m.refs(t, ts) {
		if ref.GetRelation() != "" || ref.GetWildcard() != nil || m.types[ref.GetType()] == nil {
			continue
		}
		plain = append(plain, ref.GetType())
		found = found || m.hasRelation(ref.GetType(), cr)
	}
	if !found && len(plain) > 0 {
		p.add(src.symbolPos(t, rel, cr), "%s: relation %s (in %q) is not defined on any type %s#%s can hold (%s)",
			name, cr, expr, t, ts, strings.Join(plain, ", "))
	}
}

// checkDirect checks the type restrictions of t#rel: a relation with a
// direct assignment needs at least one, each must name an existing type
// (and relation, for type#rel), conditions are not supported, and a
// tupleset relation (used as ts in "x from ts", described by ttu) may only
// hold plain object types. It records the DirectTypes of valid relations.
func (m *Model) checkDirect(p *problems, src *source, t, rel string, rw *openfgav1.Userset, ttu string) {
	name := t + "#" + rel
	refs := m.refs(t, rel)
	assignable := false
	walk(rw, func(u *openfgav1.Userset) { assignable = assignable || isThis(u) })
	switch {
	case assignable && len(refs) == 0:
		p.add(src.relationPos(t, rel), "%s is directly assignable but allows no user types", name)
	case !assignable && len(refs) > 0:
		p.add(src.relationPos(t, rel), "%s lists user types but its rewrite has no direct assignment", name)
	}
	ok := true
	var users []tuple.User
	for _, ref := range refs {
		u := userFromRef(ref)
		label := typeLabel(u)
		if !slices.Contains(users, u) { // [user, user] is harmless; list it once
			users = append(users, u)
		}
		bad := func(symbol, format string, args ...any) {
			ok = false
			p.add(src.symbolPos(t, rel, symbol), "%s: %s", name, fmt.Sprintf(format, args...))
		}
		switch {
		case ref.GetCondition() != "":
			bad(ref.GetCondition(), "conditions are not supported (%s with %s)", label, ref.GetCondition())
		case u.Type == "":
			bad("", "a user type has an empty type name")
		case m.types[u.Type] == nil:
			bad(label, "user type %s: type %s is not defined", label, u.Type)
		case u.Relation != "" && !m.hasRelation(u.Type, u.Relation):
			bad(label, "user type %s: relation %s is not defined on type %s", label, u.Relation, u.Type)
		case ttu != "" && (u.Relation != "" || u.ID == tuple.Wildcard):
			bad(label, "used as a tupleset (in %q), so it may only hold plain object types, not %s", ttu, label)
		}
	}
	if ok && assignable && len(users) > 0 {
		m.types[t].direct[rel] = users
	}
}

// schemaPos is the position of the schema version.
func (s *source) schemaPos() position {
	if s == nil {
		return position{}
	}
	return s.schema
}

// isThis reports whether us is a direct assignment. (The DSL transformer
// leaves the DirectUserset message nil, so GetThis cannot be used.)
func isThis(us *openfgav1.Userset) bool {
	_, ok := us.GetUserset().(*openfgav1.Userset_This)
	return ok
}
