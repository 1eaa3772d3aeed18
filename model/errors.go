package model

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/openfga/language/pkg/go/transformer"
)

// ErrInvalidModel is wrapped by every error ParseDSL and ParseJSON return, so
// callers can map them all to one "bad request" answer with errors.Is.
var ErrInvalidModel = errors.New("invalid authorization model")

// ErrInvalidTuple is wrapped by every error ValidateTuple returns.
var ErrInvalidTuple = errors.New("invalid tuple")

// Error is one problem found in a model, with its position in the source
// when it is known. Line and Column are 1-based; 0 means unknown (e.g. for
// semantic errors in JSON input).
//
// When a model has several problems, ParseDSL/ParseJSON return them all,
// joined with errors.Join; Errors extracts them.
type Error struct {
	Line, Column int
	Msg          string
}

// Error returns "line 3, column 10: msg", "line 3: msg" or just msg.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	default:
		return e.Msg
	}
}

// Unwrap makes errors.Is(err, ErrInvalidModel) true.
func (e *Error) Unwrap() error { return ErrInvalidModel }

// Errors returns every *Error contained in err (a single *Error or a tree of
// joined/wrapped errors), in order. It returns nil if there is none.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *Error:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, c := range e.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// problems collects the errors found while validating a model so that the
// user sees all of them at once rather than fixing one per round trip.
type problems struct {
	errs []*Error
}

// add records a problem located at pos.
func (p *problems) add(pos position, format string, args ...any) {
	p.errs = append(p.errs, &Error{Line: pos.line, Column: pos.col, Msg: fmt.Sprintf(format, args...)})
}

// err returns nil, the only problem, or all problems joined, sorted by
// position (problems without a position last).
func (p *problems) err() error {
	switch len(p.errs) {
	case 0:
		return nil
	case 1:
		return p.errs[0]
	}
	slices.SortStableFunc(p.errs, func(a, b *Error) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// syntaxRe matches the message of a transformer.OpenFgaDslSyntaxError, whose
// position fields are unexported. The parser reports both line and column
// 0-based.
var syntaxRe = regexp.MustCompile(`(?s)^syntax error at line=(\d+), column=(\d+): (.*)$`)

// syntaxErrors converts the DSL parser's error into our *Error values,
// keeping the parser's message and turning its position 1-based.
func syntaxErrors(err error) error {
	var errs []error
	var multi *transformer.OpenFgaDslSyntaxMultipleError
	if errors.As(err, &multi) {
		errs = multi.Errors
	} else {
		errs = []error{err}
	}
	p := &problems{}
	for _, e := range errs {
		m := syntaxRe.FindStringSubmatch(e.Error())
		if m == nil {
			p.add(position{}, "syntax error: %s", e.Error())
			continue
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		p.add(position{line: line + 1, col: col + 1}, "syntax error: %s", m[3])
	}
	return p.err()
}

// jsonPosRe finds the position protojson puts in its syntax errors.
var jsonPosRe = regexp.MustCompile(`\(line (\d+):(\d+)\)`)

// jsonError converts a protojson decoding error into an *Error, keeping the
// line and column when the message has them.
func jsonError(err error) *Error {
	e := &Error{Msg: "invalid JSON: " + err.Error()}
	if m := jsonPosRe.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Column, _ = strconv.Atoi(m[2])
	}
	return e
}
