// Package policies holds Sentinel's built-in policy as code, embedded in the
// binary so a server needs no files to decide its default questions.
//
// Today that is the default authorization model of the system service
// (store.SystemServiceID): default_model.fga, the OpenFGA DSL that turns the
// system tuples the store writes for workspaces, memberships, groups,
// resources and shares into the original Sentinel's resource permissions,
// plus nested groups and parent resources. README.md beside this file
// documents the tuple schema and every rule.
package policies

import (
	_ "embed"
	"fmt"

	"github.com/sentinel-auth/sentinel/model"
)

// DefaultModel is the DSL text of the built-in default model, exactly as
// shipped in default_model.fga. It is a variable only because go:embed
// needs one: treat it as a constant.
//
//go:embed default_model.fga
var DefaultModel string

// Default parses and validates DefaultModel. It fails only if the shipped
// file is broken, which the package's tests rule out; callers still treat
// an error as fatal rather than run without the model.
func Default() (*model.Model, error) {
	m, err := model.ParseDSL(DefaultModel)
	if err != nil {
		return nil, fmt.Errorf("parse the built-in default model: %w", err)
	}
	return m, nil
}
