package store

import (
	"context"
	"errors"
)

// ErrInvalidPage is wrapped by the directory lists when page < 1 or
// pageSize is outside 1..MaxDirectoryPageSize: nothing is read then.
var ErrInvalidPage = errors.New("invalid page")

// MaxDirectoryPageSize bounds the pageSize of ListUsers and ListWorkspaces.
const MaxDirectoryPageSize = 1000

// UserAdminUpdate is an administrator's change to a user: the fields that
// are set change (nil: unchanged).
type UserAdminUpdate struct {
	Name   *string
	Active *bool
	Admin  *bool
}

// WorkspaceSummary is a workspace with the sizes an administrator lists.
type WorkspaceSummary struct {
	Workspace
	MemberCount int
	GroupCount  int
}

// Stats counts what the store holds, for the administrator's dashboard.
// Every count is read from one snapshot.
type Stats struct {
	Users              int
	ActiveUsers        int
	AdminUsers         int
	Workspaces         int
	Memberships        int
	PendingInvitations int
	Groups             int
	Resources          int // registered resources (resource_permissions)
	Shares             int
	Services           int // user services; the system service is not counted
	ServiceActions     int
	Roles              int
	ClientApps         int
	ActivityEntries    int
}

// DirectoryStore is what an administrator reads and changes across every
// workspace: the original's /admin user and workspace lists, user edits and
// the dashboard counts. Searches match a substring of the name or the email
// (users) or of the name or the slug (workspaces), ignoring ASCII case.
type DirectoryStore interface {
	// ListUsers returns page (from 1) of the users matching search ("":
	// all), at most pageSize of them, newest first (created_at, then id,
	// descending), and how many users match; both from one snapshot. A
	// page past the end is empty; a bad page is ErrInvalidPage.
	ListUsers(ctx context.Context, search string, page, pageSize int) ([]User, int, error)
	// UpdateUser applies u in one transaction with one OpUser change, and
	// returns the user as stored. Nothing to set returns the user
	// unchanged and appends no change. Values are stored as given
	// (validating the name is the caller's job). An unknown id is
	// ErrNotFound.
	UpdateUser(ctx context.Context, id string, u UserAdminUpdate) (User, error)
	// SetUsersActive activates or deactivates every listed user in one
	// transaction, with an OpUser change for each. If any id is unknown it
	// fails with ErrNotFound and changes nothing. Repeated ids count once.
	SetUsersActive(ctx context.Context, ids []string, active bool) error
	// ListWorkspaces is ListUsers for workspaces, with their sizes.
	ListWorkspaces(ctx context.Context, search string, page, pageSize int) ([]WorkspaceSummary, int, error)
	// WorkspaceSummary returns one workspace with its sizes, or
	// ErrNotFound.
	WorkspaceSummary(ctx context.Context, id string) (WorkspaceSummary, error)
	// Stats counts users, workspaces, groups, resources and the rest.
	Stats(ctx context.Context) (Stats, error)
}
