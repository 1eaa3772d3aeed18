package store

import (
	"context"
	"errors"
	"time"
)

// Importing a whole data set at once: `sentinel import` reads the original
// Sentinel's database into an ImportSnapshot and hands it to an Importer,
// which writes it, with the system tuples its rows stand for, in one
// transaction.

// Errors of Import; callers test with errors.Is.
var (
	// ErrStoreNotEmpty: the store already has users, workspaces, service
	// actions or client apps; an import never merges.
	ErrStoreNotEmpty = errors.New("store is not empty")
	// ErrInvalidImport: the snapshot cannot be stored as it is (a
	// malformed id, two users whose emails differ only in case, two rows
	// with one key), or, with ImportOptions.Strict, a row had to be
	// skipped. Nothing is written.
	ErrInvalidImport = errors.New("invalid import")
)

// ImportSnapshot is a whole data set to import. Ids are kept (apps hold
// references to users, workspaces, groups, resources and roles) and so are
// times. Rows refer to each other by those ids, inside the snapshot only.
type ImportSnapshot struct {
	Users      []User
	Identities []Identity // Email "" means the user's; Claims nil means {}

	// Workspaces: CreatedBy must be a user; if it is not, the workspace's
	// first owner (by JoinedAt) takes its place.
	Workspaces   []Workspace
	Memberships  []Membership
	Groups       []Group
	GroupMembers []ImportGroupMember

	// Resources with their Shares. A parent (ParentID) must come before
	// its child.
	Resources []Resource

	ServiceActions  []ServiceAction
	Roles           []RBACRole
	RoleActions     []ImportRoleAction
	RoleAssignments []RoleAssignment

	// Services with their keys. A service whose name the store has
	// already keeps its id and gets the keys.
	Services   []ImportService
	ClientApps []ClientApp
	Activity   []ActivityEntry
}

// ImportGroupMember is one direct member of a group.
type ImportGroupMember struct {
	GroupID  string
	Type     GroupMemberType
	MemberID string
	AddedAt  time.Time
}

// ImportRoleAction gives a custom role one service action.
type ImportRoleAction struct {
	RoleID          string
	ServiceActionID string
}

// ImportService is a service and its keys.
type ImportService struct {
	Service
	Keys []ImportKey
}

// ImportKey is a service key known only by its hash: hex SHA-256 of the
// secret, the form the store authenticates (so the secrets keep working).
type ImportKey struct {
	Hash       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time // non-nil: revoked since then
}

// ClientApp is an application allowed to start a proxy-mode login and the
// redirect URIs it may use.
type ClientApp struct {
	ID           string // a UUID
	Name         string
	RedirectURIs []string
	Active       bool
	CreatedBy    string // a user id, or ""
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ImportOptions says how to import.
type ImportOptions struct {
	// DryRun does everything, then rolls back: the report says what an
	// import would write and skip.
	DryRun bool
	// Strict fails with ErrInvalidImport instead of skipping rows.
	Strict bool
}

// ImportSkip is a row the import left out, and why (a share to a user who
// is not a member of the resource's workspace, a group member outside the
// group's workspace, a role assigned to a former member, a row naming a
// missing user or workspace…): Sentinel's stores refuse such rows, and
// their meaning in the original was nil or stale.
type ImportSkip struct {
	Table  string // one of ImportTables
	ID     string // the row's id, or its key when it has none
	Reason string
}

// Tables of an import, in the order they are written; the keys of
// ImportReport.Imported.
const (
	ImportUsers           = "users"
	ImportIdentities      = "identities"
	ImportWorkspaces      = "workspaces"
	ImportMemberships     = "workspace_memberships"
	ImportGroups          = "groups"
	ImportGroupMembers    = "group_members"
	ImportResources       = "resources"
	ImportShares          = "resource_shares"
	ImportServiceActions  = "service_actions"
	ImportRoles           = "roles"
	ImportRoleActions     = "role_actions"
	ImportRoleAssignments = "role_assignments"
	ImportServices        = "services"
	ImportKeys            = "service_keys"
	ImportClientApps      = "client_apps"
	ImportActivity        = "activity"
)

// ImportTables lists the tables of an import in the order they are written.
var ImportTables = []string{
	ImportUsers, ImportIdentities, ImportWorkspaces, ImportMemberships, ImportGroups, ImportGroupMembers,
	ImportResources, ImportShares, ImportServiceActions, ImportRoles, ImportRoleActions, ImportRoleAssignments,
	ImportServices, ImportKeys, ImportClientApps, ImportActivity,
}

// ImportedAction is the action of the activity entry an import records
// (actor: the admin credential, labelled "sentinel import").
const ImportedAction = "data.imported"

// ImportReport is what an import wrote (or, dry, would write).
type ImportReport struct {
	Imported map[string]int // rows per table of ImportTables
	Skipped  []ImportSkip
	// ReusedServices names the services that existed already and only
	// received keys.
	ReusedServices []string
	SystemTuples   int    // system tuples written with the rows
	Revision       uint64 // the head revision after the import (0 when dry)
	DryRun         bool
}

// Importer writes a whole snapshot into an empty store.
type Importer interface {
	// Import validates snap, then writes every row it keeps, the system
	// tuples those rows stand for (as the store's own methods write them)
	// and their changelog rows in one transaction: all or nothing. A store
	// with users, workspaces, service actions or client apps is
	// ErrStoreNotEmpty; a snapshot that cannot be stored is
	// ErrInvalidImport. Rows that break Sentinel's rules are skipped and
	// reported (or fail the import with opts.Strict).
	Import(ctx context.Context, snap ImportSnapshot, opts ImportOptions) (ImportReport, error)
}
