package api

import (
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/gin-gonic/gin"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// queryDecoding is how the query routes decode their bodies: unknown
// members are refused, and (the package's default) so are duplicate
// names and invalid UTF-8, and names match the fields' exactly.
var queryDecoding = jsonv2.RejectUnknownMembers(true)

// bindQuery is bind for the query routes (check, batch check, list,
// list-users, expand), which run many times a second: it decodes with
// encoding/json/v2's implementation (the go-json-experiment module), which
// for a check's body takes a third of the CPU and a seventh of the bytes
// of encoding/json's Decoder. Its errors are refused with messages of our
// own: v2's name Go types and change wording between processes.
func bindQuery(c *gin.Context, v any) bool {
	body := &bodyReader{r: c.Request.Body}
	err := jsonv2.UnmarshalRead(body, v, queryDecoding)
	if err == nil {
		return true
	}
	refuseBody(c, body, !body.data, decodeProblem(err))
	return false
}

// decodeProblem describes a v2 decoding error without Go type names.
func decodeProblem(err error) string {
	var sem *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &sem):
		at := string(sem.JSONPointer)
		if at == "" {
			at = "/"
		}
		switch {
		case errors.Is(sem.Err, jsonv2.ErrUnknownName):
			return fmt.Sprintf("unknown field %q", sem.JSONPointer.LastToken())
		case sem.GoType != nil && sem.JSONKind == '0' && isInteger(sem.GoType):
			return fmt.Sprintf("at %s: %s is not an integer in range", at, sem.JSONValue)
		case sem.GoType != nil && sem.JSONKind != 0:
			return fmt.Sprintf("at %s: a JSON %s where %s is expected", at, kindName(sem.JSONKind), goKindName(sem.GoType))
		}
		return fmt.Sprintf("at %s: invalid value", at)
	case errors.As(err, &syn):
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return fmt.Sprintf("duplicate field %q", syn.JSONPointer.LastToken())
		}
		return fmt.Sprintf("%v (at byte %d)", syn.Err, syn.ByteOffset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	return err.Error()
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func goKindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if isInteger(t) {
		return "a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another value"
}
