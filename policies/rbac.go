package policies

import (
	_ "embed"
	"fmt"

	"github.com/sentinel-auth/sentinel/model"
)

// Custom RBAC: the Rego that decides check-action and a user's action list
// (rbac.rego, package sentinel.rbac), and the model types its tuples use
// (rbac_model.fga: role and action), which extend the default model.

// RBACModule is the Rego source of the RBAC policy, as shipped in
// rbac.rego. Treat it as a constant.
//
//go:embed rbac.rego
var RBACModule string

// RBACModel is the DSL fragment (no model header) that adds the types role
// and action to the default model. Treat it as a constant.
//
//go:embed rbac_model.fga
var RBACModel string

// RBACModuleFile is the file name RBACModule is compiled under.
const RBACModuleFile = "policies/rbac.rego"

// Queries of the RBAC policy. Input: {"workspace", "user", "action",
// "actions": {name: service action id}} (see rbac.rego and RBACInput).
const (
	// RBACAllowedQuery is true iff the user holds a role granting the action.
	RBACAllowedQuery = "data.sentinel.rbac.allowed"
	// RBACRolesQuery is the ids of the roles granting the action.
	RBACRolesQuery = "data.sentinel.rbac.roles"
	// RBACActionsQuery is the names of every action the user may do.
	RBACActionsQuery = "data.sentinel.rbac.actions"
)

// RBACInput is the input document of the RBAC policy.
type RBACInput struct {
	Workspace string `json:"workspace"`
	User      string `json:"user"`
	// Action is the action name to decide (RBACAllowedQuery, RBACRolesQuery).
	Action string `json:"action,omitempty"`
	// Actions maps every action name the service registered to its service
	// action id (store.ServiceAction): tuples name actions by id.
	Actions map[string]string `json:"actions"`
}

// DefaultWithRBAC parses the default model extended with the RBAC types:
// the model the system service needs for RBAC tuples to be admitted.
func DefaultWithRBAC() (*model.Model, error) {
	m, err := model.ParseDSL(DefaultModel + RBACModel)
	if err != nil {
		return nil, fmt.Errorf("parse the default model with the RBAC types: %w", err)
	}
	return m, nil
}
