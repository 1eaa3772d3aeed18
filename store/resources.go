package store

import (
	"context"
	"errors"
	"time"
)

// Errors of the resource store, besides ErrNotFound and ErrAlreadyExists;
// callers test with errors.Is.
var (
	// ErrInvalidResource: a malformed service name or resource type (they
	// match ^[a-z][a-z0-9_.-]*$, at most 100 bytes), an id that is not a
	// UUID, or an unknown visibility, grantee type or share permission.
	ErrInvalidResource = errors.New("invalid resource input")
	// ErrGranteeNotInWorkspace: a share names a user who is not a member
	// of the resource's workspace, or a group of another workspace.
	ErrGranteeNotInWorkspace = errors.New("grantee is not in the resource's workspace")
)

// Visibility says who sees a resource besides its owner, the workspace's
// admins and the grantees of its shares.
type Visibility string

const (
	// VisibilityPrivate: nobody else.
	VisibilityPrivate Visibility = "private"
	// VisibilityWorkspace: every member may view; editors and above may
	// edit. The default.
	VisibilityWorkspace Visibility = "workspace"
)

// GranteeType says what a share is granted to.
type GranteeType string

// Grantee types: a user (a member of the resource's workspace), or a group
// of that workspace (every member of it, nested groups included).
const (
	GranteeUser  GranteeType = "user"
	GranteeGroup GranteeType = "group"
)

// SharePermission is what a share grants; edit implies view.
type SharePermission string

// Share permissions.
const (
	ShareView SharePermission = "view"
	ShareEdit SharePermission = "edit"
)

// ResourceKey names a resource the way services do: their service name,
// the resource type and the resource's own id (a UUID).
type ResourceKey struct {
	Service string
	Type    string
	ID      string
}

// Resource is a registered resource (the original's ResourcePermission):
// its owner, workspace, visibility, optional parent and shares.
type Resource struct {
	ID          string // the registration's id (a UUID), not the resource's own id
	Key         ResourceKey
	WorkspaceID string
	OwnerID     string
	Visibility  Visibility
	// ParentID is the registration id of the parent resource (same
	// service and workspace) whose permissions this one inherits, or "".
	ParentID  string
	CreatedAt time.Time
	Shares    []ResourceShare // oldest first
}

// ResourceShare grants one user or group view or edit on a resource.
type ResourceShare struct {
	ID          string
	GranteeType GranteeType
	GranteeID   string
	Permission  SharePermission
	GrantedBy   string // user id; "" when the admin credential granted it
	GrantedAt   time.Time
}

// ResourceRegistration is the input of RegisterResource.
type ResourceRegistration struct {
	Key         ResourceKey
	WorkspaceID string
	OwnerID     string     // an existing user
	Visibility  Visibility // "" means VisibilityWorkspace
	ParentID    string     // optional: a registration id (Resource.ID)
}

// ResourceGrant is the input of ShareResource.
type ResourceGrant struct {
	GranteeType GranteeType
	GranteeID   string
	Permission  SharePermission
	GrantedBy   string // the granting user's id, or "" for the admin credential
}

// ResourceFilter selects resources for ListResources; empty fields match
// anything.
type ResourceFilter struct {
	Service     string
	Type        string
	WorkspaceID string
	OwnerID     string
}

// ResourceStore keeps registered resources and their shares. Every
// mutation is one transaction that also writes the rows' system tuples
// (service SystemServiceID, object resource:<service>/<type>/<id>) and
// their changelog rows:
//
//	#workspace@workspace:<wid>
//	#owner@user:<uid>
//	#parent@resource:<service>/<ptype>/<pid>     with a parent
//	#visible_to@workspace:<wid>#member           visibility workspace
//	#editable_by@workspace:<wid>#editor          visibility workspace
//	#shared_viewer|shared_editor@user:<uid>      a user share (view|edit)
//	#shared_viewer|shared_editor@group:<gid>#member
//
// A failed mutation changes nothing. Ids are UUIDs, compared and stored in
// their canonical lower-case form.
type ResourceStore interface {
	// RegisterResource stores a resource and returns it with created =
	// true. Registering a key again returns the stored resource unchanged
	// (created = false) if it has the same workspace and owner; its
	// visibility and parent are the stored ones, whatever r says. Another
	// workspace or owner is ErrAlreadyExists: a caller is never handed a
	// resource of a workspace it did not name. An unknown owner, or a
	// parent not registered in the same service and workspace, is
	// ErrNotFound.
	RegisterResource(ctx context.Context, r ResourceRegistration) (res Resource, created bool, err error)
	// ResourceByKey and ResourceByID return the resource with its shares,
	// or ErrNotFound.
	ResourceByKey(ctx context.Context, k ResourceKey) (Resource, error)
	ResourceByID(ctx context.Context, id string) (Resource, error)
	// SetResourceVisibility changes the visibility and returns the
	// resource; setting the current one changes nothing.
	SetResourceVisibility(ctx context.Context, id string, v Visibility) (Resource, error)
	// ShareResource grants g, or changes the permission of the grantee's
	// existing share (then GrantedBy and GrantedAt are the new grant's);
	// the same permission again changes nothing and returns the stored
	// share. The grantee must be a member of the resource's workspace, or
	// a group of it: else ErrGranteeNotInWorkspace.
	ShareResource(ctx context.Context, id string, g ResourceGrant) (ResourceShare, error)
	// UnshareResource removes the grantee's share; ErrNotFound if none.
	UnshareResource(ctx context.Context, id string, t GranteeType, granteeID string) error
	// DeregisterResource removes the resource and its shares; resources
	// whose parent it was lose their parent. ErrNotFound if unregistered.
	DeregisterResource(ctx context.Context, k ResourceKey) error
	// PurgeServiceResources deregisters every resource of the service and
	// returns how many there were.
	PurgeServiceResources(ctx context.Context, service string) (int, error)
	// RemoveUserShares removes every share to the user on the workspace's
	// resources (the user left the workspace) and returns how many.
	RemoveUserShares(ctx context.Context, workspaceID, userID string) (int, error)
	// RemoveGroupShares removes every share to the group and returns how
	// many (the group is being deleted).
	RemoveGroupShares(ctx context.Context, groupID string) (int, error)
	// ListResourceIDs returns the resource ids of the service's resources
	// of that type in the workspace, in ascending order, at most limit of
	// them (limit <= 0: all).
	ListResourceIDs(ctx context.Context, service, resourceType, workspaceID string, limit int) ([]string, error)
	// ListResources returns one page (page >= 1) of the resources matching
	// f, newest first, with their shares, and how many match in all.
	// pageSize <= 0 means 50; it is at most 1000.
	ListResources(ctx context.Context, f ResourceFilter, page, pageSize int) (items []Resource, total int, err error)
}
