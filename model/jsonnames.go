package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	openfgav1 "github.com/openfga/api/proto/openfga/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OpenFGA's protos give most fields an explicit snake_case JSON name
// (schema_version, type_definitions, directly_related_user_types), so
// protojson only accepts those, and the transformer silently discards the
// camelCase spellings (schemaVersion, ...) as unknown fields — which would
// turn a camelCase model into an empty one. Clients use both spellings, so
// before decoding we rename every field key to its proto name, guided by the
// message descriptors so that map keys (type, relation and condition names)
// are never touched.

var modelDescriptor = (&openfgav1.AuthorizationModel{}).ProtoReflect().Descriptor()

// normalizeFieldNames returns js with all field names of the
// AuthorizationModel message spelled as proto (snake_case) names, and
// whether anything changed. Invalid JSON is returned unchanged for protojson
// to report with its position.
func normalizeFieldNames(js []byte) ([]byte, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return js, false, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return js, false, nil
	}
	changed, err := normalizeMessage(obj, modelDescriptor)
	if err != nil || !changed {
		return js, false, err
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return js, false, err
	}
	return out, true, nil
}

// normalizeMessage renames the keys of obj, a JSON object holding message md,
// in place and recurses into nested messages.
func normalizeMessage(obj map[string]any, md protoreflect.MessageDescriptor) (bool, error) {
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
		return false, nil // well-known types have their own JSON forms
	}
	changed := false
	for _, key := range sortedKeys(obj) {
		fd := md.Fields().ByJSONName(key)
		if fd == nil {
			fd = md.Fields().ByName(protoreflect.Name(key))
		}
		if fd == nil {
			fd = md.Fields().ByName(protoreflect.Name(snakeCase(key)))
		}
		if fd == nil {
			continue // unknown: protojson discards it
		}
		val := obj[key]
		if name := string(fd.Name()); name != key {
			if _, dup := obj[name]; dup {
				return false, fmt.Errorf("field %s is given twice (as %s and %s)", name, key, name)
			}
			delete(obj, key)
			obj[name] = val
			changed = true
		}
		c, err := normalizeValue(val, fd)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}

// normalizeValue recurses into the messages held by field fd.
func normalizeValue(val any, fd protoreflect.FieldDescriptor) (bool, error) {
	changed := false
	visit := func(v any, md protoreflect.MessageDescriptor) error {
		o, ok := v.(map[string]any)
		if !ok || md == nil {
			return nil
		}
		c, err := normalizeMessage(o, md)
		changed = changed || c
		return err
	}
	switch {
	case fd.IsMap():
		m, ok := val.(map[string]any)
		if !ok || fd.MapValue().Kind() != protoreflect.MessageKind {
			return false, nil
		}
		for _, k := range sortedKeys(m) {
			if err := visit(m[k], fd.MapValue().Message()); err != nil {
				return false, err
			}
		}
	case fd.Kind() != protoreflect.MessageKind:
	case fd.IsList():
		list, _ := val.([]any)
		for _, e := range list {
			if err := visit(e, fd.Message()); err != nil {
				return false, err
			}
		}
	default:
		if err := visit(val, fd.Message()); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// snakeCase turns typeDefinitions into type_definitions.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sortedKeys makes the walk deterministic (which of two clashing spellings
// is reported).
func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
