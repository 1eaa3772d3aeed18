// Package model is the typesystem of a Sentinel authorization model: it
// parses and validates OpenFGA authorization models (DSL schema 1.1 or the
// JSON form of openfgav1.AuthorizationModel) and answers questions about them
// — which types and relations exist, how a relation is rewritten, which user
// types may be assigned to it directly.
//
// It is used to validate tuple writes against the current model, and by the
// Rego compiler, which relies on the guarantees validation gives: every
// reference resolves, tupleset relations are plain direct relations, and
// every relation can be satisfied by some tuple (has an entrypoint).
//
// A *Model is immutable and safe for concurrent use.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"
	"github.com/openfga/language/pkg/go/transformer"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sentinel-auth/sentinel/tuple"
)

// SchemaVersion is the only model schema version Sentinel supports.
const SchemaVersion = "1.1"

// Model is a parsed, validated authorization model.
type Model struct {
	pb        *openfgav1.AuthorizationModel
	dsl       string
	json      string
	typeNames []string // sorted
	types     map[string]*typeInfo
}

// typeInfo is what the model knows about one object type.
type typeInfo struct {
	def       *openfgav1.TypeDefinition
	relations []string                // sorted
	direct    map[string][]tuple.User // directly assignable relations only
}

// ParseDSL parses and validates a model written in the OpenFGA DSL (schema
// 1.1). Errors wrap ErrInvalidModel and carry the line and column of each
// problem (see Error and Errors).
func ParseDSL(dsl string) (m *Model, err error) {
	defer func() {
		// The ANTLR listener in the transformer is not hardened against
		// every malformed input; never let it take the server down.
		if r := recover(); r != nil {
			m, err = nil, &Error{Msg: fmt.Sprintf("cannot parse model: %v", r)}
		}
	}()
	pb, err := transformer.TransformDSLToProto(dsl)
	if err != nil {
		return nil, syntaxErrors(err)
	}
	m, err = build(pb, newSource(dsl))
	if err != nil {
		return nil, err
	}
	m.dsl = dsl
	return m, nil
}

// ParseJSON parses and validates a model in OpenFGA's JSON form (protojson
// of openfgav1.AuthorizationModel; field names may be snake_case or
// camelCase, unknown fields are ignored, as OpenFGA does). Errors wrap
// ErrInvalidModel.
//
// A model that cannot be written in the DSL (e.g. two direct assignments in
// one relation, or a type name such as 0000 that is not a DSL identifier) is
// rejected too, so that DSL() always returns a model ParseDSL accepts.
func ParseJSON(js []byte) (m *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &Error{Msg: fmt.Sprintf("cannot parse model: %v", r)}
		}
	}()
	norm, renamed, err := normalizeFieldNames(js)
	if err != nil {
		return nil, &Error{Msg: "invalid JSON: " + err.Error()}
	}
	pb, err := transformer.LoadJSONStringToProto(string(norm))
	if err != nil {
		e := jsonError(err)
		if renamed { // positions would refer to the rewritten text
			e.Line, e.Column = 0, 0
		}
		return nil, e
	}
	m, err = build(pb, nil)
	if err != nil {
		return nil, err
	}
	// TransformJSONProtoToDSL may reorder type definitions in place.
	dsl, err := transformer.TransformJSONProtoToDSL(proto.Clone(pb).(*openfgav1.AuthorizationModel))
	if err != nil {
		return nil, &Error{Msg: "model cannot be expressed in the DSL: " + err.Error()}
	}
	// JSON allows names the DSL grammar does not (e.g. a type named 0000).
	if _, err := transformer.TransformDSLToProto(dsl); err != nil {
		msg := err.Error()
		if es := Errors(syntaxErrors(err)); len(es) > 0 {
			msg = es[0].Msg
		}
		return nil, &Error{Msg: "model cannot be expressed in the DSL (is a type or relation name not a DSL identifier?): " + msg}
	}
	m.dsl = dsl
	return m, nil
}

// build validates pb and indexes it. src locates problems in DSL input; it
// is nil for JSON input.
func build(pb *openfgav1.AuthorizationModel, src *source) (*Model, error) {
	m := &Model{pb: pb, types: map[string]*typeInfo{}}
	if err := m.validate(src); err != nil {
		return nil, err
	}
	for name, ti := range m.types {
		m.typeNames = append(m.typeNames, name)
		for rel := range ti.def.GetRelations() {
			ti.relations = append(ti.relations, rel)
		}
		slices.Sort(ti.relations)
	}
	slices.Sort(m.typeNames)
	out, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(pb)
	if err != nil {
		return nil, &Error{Msg: "cannot encode model: " + err.Error()}
	}
	var buf bytes.Buffer
	// protojson deliberately randomises white space; compacting makes the
	// output canonical (map keys are already sorted, fields in tag order).
	if err := json.Compact(&buf, out); err != nil {
		return nil, &Error{Msg: "cannot encode model: " + err.Error()}
	}
	m.json = buf.String()
	return m, nil
}

// Proto returns a copy of the model in its protobuf form.
func (m *Model) Proto() *openfgav1.AuthorizationModel {
	return proto.Clone(m.pb).(*openfgav1.AuthorizationModel)
}

// JSON returns the canonical JSON form of the model: protojson with the
// snake_case field names OpenFGA's HTTP API uses, without white space.
// Equal models give equal strings.
func (m *Model) JSON() string { return m.json }

// DSL returns the model in the DSL: the text it was parsed from, or for a
// model parsed from JSON, the DSL generated from it.
func (m *Model) DSL() string { return m.dsl }

// SchemaVersion returns the model's schema version (always "1.1").
func (m *Model) SchemaVersion() string { return m.pb.GetSchemaVersion() }

// Types returns the names of all types, sorted.
func (m *Model) Types() []string { return slices.Clone(m.typeNames) }

// HasType reports whether the model defines type t.
func (m *Model) HasType(t string) bool { return m.types[t] != nil }

// Relations returns the names of the relations of objType, sorted; nil if
// the type is not defined or has none.
func (m *Model) Relations(objType string) []string {
	if ti := m.types[objType]; ti != nil {
		return slices.Clone(ti.relations)
	}
	return nil
}

// HasRelation reports whether objType defines relation rel.
func (m *Model) HasRelation(objType, rel string) bool {
	_, ok := m.Relation(objType, rel)
	return ok
}

// Relation returns the rewrite of objType#rel. The result is shared with the
// model and must not be modified.
func (m *Model) Relation(objType, rel string) (*openfgav1.Userset, bool) {
	ti := m.types[objType]
	if ti == nil {
		return nil, false
	}
	us, ok := ti.def.GetRelations()[rel]
	return us, ok
}

// DirectTypes returns the user types that may be related to objType#rel
// directly by a tuple, in model order: {Type: "user"} for user:anne,
// {Type: "group", Relation: "member"} for group:eng#member and
// {Type: "user", ID: "*"} for user:*. It returns nil if the relation does
// not exist or is not directly assignable (its rewrite has no [..]).
func (m *Model) DirectTypes(objType, rel string) []tuple.User {
	if ti := m.types[objType]; ti != nil {
		return slices.Clone(ti.direct[rel])
	}
	return nil
}

// IsTupleset reports whether objType#rel is used as the tupleset of some
// tuple-to-userset rewrite ("x from rel") on objType.
func (m *Model) IsTupleset(objType, rel string) bool {
	ti := m.types[objType]
	if ti == nil {
		return false
	}
	for _, us := range ti.def.GetRelations() {
		if usesTupleset(us, rel) {
			return true
		}
	}
	return false
}

// usesTupleset reports whether rewrite us contains "x from rel".
func usesTupleset(us *openfgav1.Userset, rel string) bool {
	found := false
	walk(us, func(u *openfgav1.Userset) {
		if ttu := u.GetTupleToUserset(); ttu != nil && ttu.GetTupleset().GetRelation() == rel {
			found = true
		}
	})
	return found
}

// walk calls fn on us and every rewrite nested in it.
func walk(us *openfgav1.Userset, fn func(*openfgav1.Userset)) {
	if us == nil {
		return
	}
	fn(us)
	switch {
	case us.GetUnion() != nil:
		for _, c := range us.GetUnion().GetChild() {
			walk(c, fn)
		}
	case us.GetIntersection() != nil:
		for _, c := range us.GetIntersection().GetChild() {
			walk(c, fn)
		}
	case us.GetDifference() != nil:
		walk(us.GetDifference().GetBase(), fn)
		walk(us.GetDifference().GetSubtract(), fn)
	}
}

// userFromRef converts a type restriction into the tuple.User shape
// DirectTypes returns.
func userFromRef(r *openfgav1.RelationReference) tuple.User {
	u := tuple.User{Type: r.GetType(), Relation: r.GetRelation()}
	if r.GetWildcard() != nil {
		u.ID = tuple.Wildcard
	}
	return u
}

// typeLabel renders a direct type as written in the DSL: user, user:*,
// group#member.
func typeLabel(u tuple.User) string {
	switch {
	case u.Relation != "":
		return u.Type + "#" + u.Relation
	case u.ID == tuple.Wildcard:
		return u.Type + ":*"
	default:
		return u.Type
	}
}

// Children returns the operands of a union, intersection or exclusion
// (base, then subtract), and nil for a leaf rewrite.
func Children(u *openfgav1.Userset) []*openfgav1.Userset {
	switch v := u.GetUserset().(type) {
	case *openfgav1.Userset_Union:
		return v.Union.GetChild()
	case *openfgav1.Userset_Intersection:
		return v.Intersection.GetChild()
	case *openfgav1.Userset_Difference:
		return []*openfgav1.Userset{v.Difference.GetBase(), v.Difference.GetSubtract()}
	}
	return nil
}
