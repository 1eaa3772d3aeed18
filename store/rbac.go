package store

import (
	"context"
	"errors"
	"time"
)

// Custom RBAC: services register actions ("notes:export"), workspaces define
// roles as sets of actions and assign them to users or groups.
//
// Every row is mirrored as system tuples (service SystemServiceID), written
// in the same transaction:
//
//	role:<roleID>#workspace@workspace:<wid>
//	role:<roleID>#assignee@user:<uid>                                  a user_roles row
//	role:<roleID>#assignee@group:<gid>#member                          a group_roles row
//	action:<wid>/<serviceActionID>#granted@role:<roleID>#assignee      a role_actions row (wid: the role's)
//
// The decision (may this user do this action in this workspace?) is made by
// the RBAC policy (policies/rbac.rego) over those tuples, never by SQL.

// Errors of the RBAC methods besides ErrNotFound and ErrAlreadyExists;
// callers test with errors.Is.
var (
	// ErrInvalidRBAC: a malformed service name, action name or role name,
	// or an assignee type other than user and group.
	ErrInvalidRBAC = errors.New("invalid RBAC request")
	// ErrAssigneeNotInWorkspace: the user is not a member of the role's
	// workspace, or the group belongs to another workspace.
	ErrAssigneeNotInWorkspace = errors.New("assignee is not in the role's workspace")
)

// ServiceAction is an action a service registered, such as "notes:export".
type ServiceAction struct {
	ID          string // a UUID
	ServiceName string
	Action      string
	Description string
	CreatedAt   time.Time
}

// ActionSpec is one action to register. A nil Description keeps the stored
// one of an action registered before ("" for a new action).
type ActionSpec struct {
	Action      string
	Description *string
}

// RBACRole is a custom role: a named set of actions inside one workspace
// (not to be confused with Role, a member's built-in workspace role).
type RBACRole struct {
	ID          string // a UUID
	WorkspaceID string
	Name        string // unique within the workspace
	Description string
	CreatedBy   string // the user (or admin) who created it; may be ""
	CreatedAt   time.Time
}

// RBACRoleChange is what UpdateRole produces when it changes a role: the
// role after the update and before it, both read in the writing
// transaction, so an entry built from it names the change the write made
// even if another one committed since the caller last read the role.
type RBACRoleChange struct {
	Role, Previous RBACRole
}

// RBACRoleUpdate changes a custom role; nil fields are kept.
type RBACRoleUpdate struct {
	Name        *string
	Description *string
}

// AssigneeType says who holds a role.
type AssigneeType string

// Assignee types: a member of the role's workspace, or a group of that
// workspace (every member of it, nested groups included).
const (
	AssigneeUser  AssigneeType = "user"
	AssigneeGroup AssigneeType = "group"
)

// Assignee is who holds a role: a user, or every member of a group
// (nested groups included).
type Assignee struct {
	Type AssigneeType
	ID   string
}

// RoleAssignment is one holder of a role.
type RoleAssignment struct {
	RoleID     string
	Assignee   Assignee
	AssignedBy string
	AssignedAt time.Time
}

// RBACStore stores service actions, roles and their assignments.
type RBACStore interface {
	// RegisterActions inserts the service's actions, or updates the
	// description of those registered already (upsert), and returns them
	// in request order. A name repeated in specs is registered once.
	RegisterActions(ctx context.Context, serviceName string, specs []ActionSpec) ([]ServiceAction, error)
	// ServiceActions lists the service's actions by name.
	ServiceActions(ctx context.Context, serviceName string) ([]ServiceAction, error)
	// DeleteServiceActions removes every action of the service, and each
	// from every role (admin purge); it returns how many actions it removed.
	DeleteServiceActions(ctx context.Context, serviceName string) (int, error)

	// CreateRole creates a role in an existing workspace (ErrNotFound
	// otherwise); a name taken in that workspace is ErrAlreadyExists.
	CreateRole(ctx context.Context, workspaceID, name, description, createdBy string) (RBACRole, error)
	// Roles lists the workspace's roles by name.
	Roles(ctx context.Context, workspaceID string) ([]RBACRole, error)
	// Role returns the role with that id, or ErrNotFound.
	Role(ctx context.Context, id string) (RBACRole, error)
	// UpdateRole renames or redescribes a role (ErrAlreadyExists if the
	// new name is taken in its workspace). A change of either produces an
	// RBACRoleChange for the attached activity (WithActivityOf); an update
	// to the values stored already produces nothing.
	UpdateRole(ctx context.Context, id string, u RBACRoleUpdate) (RBACRole, error)
	// DeleteRole removes the role, its actions and its assignments.
	DeleteRole(ctx context.Context, id string) error

	// AddRoleActions adds service actions to a role; actions it has
	// already are skipped. An unknown role or action is ErrNotFound.
	AddRoleActions(ctx context.Context, roleID string, serviceActionIDs []string) error
	// RemoveRoleAction removes one action from a role (ErrNotFound if the
	// role does not have it).
	RemoveRoleAction(ctx context.Context, roleID, serviceActionID string) error
	// RoleActions lists the role's actions by service name and action.
	RoleActions(ctx context.Context, roleID string) ([]ServiceAction, error)

	// AssignRole gives the role to a user, who must be a member of the
	// role's workspace, or to a group of that workspace
	// (ErrAssigneeNotInWorkspace; ErrNotFound for an unknown user, group
	// or role). An assignment that exists is ErrAlreadyExists.
	AssignRole(ctx context.Context, roleID string, to Assignee, assignedBy string) error
	// UnassignRole takes the role back (ErrNotFound if not assigned).
	UnassignRole(ctx context.Context, roleID string, from Assignee) error
	// RoleAssignments lists the role's holders, oldest first.
	RoleAssignments(ctx context.Context, roleID string) ([]RoleAssignment, error)
	// RolesOfUser lists, by name, the roles a member of the workspace
	// holds there: assigned to them or to a group they are in, directly or
	// through nested groups. A non-member holds none.
	RolesOfUser(ctx context.Context, workspaceID, userID string) ([]RBACRole, error)
}
