package store

import (
	"context"
	"errors"
	"time"
)

// Errors of the workspace store, besides ErrNotFound and ErrAlreadyExists;
// callers test with errors.Is.
var (
	// ErrLastOwner: the change would leave a workspace without an owner
	// (demoting or removing its last owner).
	ErrLastOwner = errors.New("a workspace must keep at least one owner")
	// ErrNotMember: the user is not a member of the workspace.
	ErrNotMember = errors.New("not a member of the workspace")
	// ErrGroupCycle: adding the group would make it contain itself,
	// directly or through nested groups.
	ErrGroupCycle = errors.New("group membership would form a cycle")
	// ErrInvalidRole: a role other than owner, admin, editor or viewer.
	ErrInvalidRole = errors.New("invalid workspace role")
	// ErrInvalidWorkspaceInput: an empty slug, name or email, an unknown
	// group member type, or an email that is not the user's.
	ErrInvalidWorkspaceInput = errors.New("invalid workspace input")
)

// Role is a member's role in a workspace: owner > admin > editor > viewer.
// It is also the relation of the member's system tuple
// (workspace:<wid>#<role>@user:<uid>).
type Role string

// The workspace roles.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

// rank orders the roles; 0 is not a role.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is a role and ranks at least as high as min:
// the API's minimum-role checks. An invalid r is never enough.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// Workspace is a tenant of users: they belong to it with a role.
type Workspace struct {
	ID          string // a UUID
	Slug        string // unique
	Name        string
	Description string
	CreatedBy   string // user id
	CreatedAt   time.Time
}

// WorkspaceUpdate changes the fields that are set (nil: unchanged).
type WorkspaceUpdate struct {
	Name        *string
	Description *string
}

// MemberWorkspace is a workspace seen by one of its members.
type MemberWorkspace struct {
	Workspace
	Role     Role
	JoinedAt time.Time
}

// Membership is one user's role in one workspace.
type Membership struct {
	WorkspaceID string
	UserID      string
	Role        Role
	JoinedAt    time.Time
}

// RoleChange is what SetRole produces when it changes a member's role: the
// membership after the change and the role before it, both read in the
// writing transaction, so an entry built from it names the change the
// write made even if another one committed since the caller last read.
type RoleChange struct {
	Membership Membership
	Previous   Role
}

// Member is a membership joined with its user, for member lists.
type Member struct {
	UserID    string
	Email     string
	Name      string
	AvatarURL string
	Role      Role
	JoinedAt  time.Time
}

// Invitation is a pending membership for an email no user has yet; it
// becomes a membership when that user first signs in (AcceptInvitations).
type Invitation struct {
	ID          string
	WorkspaceID string
	Email       string // lower-cased
	Role        Role
	InvitedBy   string // user id, or "" (an admin credential, an import)
	CreatedAt   time.Time
}

// InviteResult is what Invite did: exactly one of Member (the email's user
// was added at once) and Invitation (stored, pending) is set.
type InviteResult struct {
	Member     *Membership
	Invitation *Invitation
}

// Group is a named set of users and groups inside one workspace.
type Group struct {
	ID          string
	WorkspaceID string
	Name        string // unique in its workspace
	Description string
	CreatedBy   string // user id, or ""
	CreatedAt   time.Time
}

// GroupUpdate changes the fields that are set (nil: unchanged).
type GroupUpdate struct {
	Name        *string
	Description *string
}

// GroupMemberType says what a group member is.
type GroupMemberType string

// Group member types: a user, or a nested group of the same workspace
// (whose members are members too).
const (
	GroupMemberUser  GroupMemberType = "user"
	GroupMemberGroup GroupMemberType = "group"
)

// GroupMember is a direct member of a group. For a user, Email and Name are
// the user's; for a nested group, Name is the group's and Email is empty.
type GroupMember struct {
	Type    GroupMemberType
	ID      string
	Email   string
	Name    string
	AddedAt time.Time
}

// WorkspaceStore keeps workspaces, memberships, invitations and groups.
// Every mutation is one transaction that also writes the rows' system
// tuples (service SystemServiceID) and their changelog rows:
//
//	workspace:<wid>#<role>@user:<uid>        one per member
//	group:<gid>#workspace@workspace:<wid>
//	group:<gid>#member@user:<uid>
//	group:<gid>#member@group:<hid>#member    nested group
//
// A failed mutation changes nothing.
type WorkspaceStore interface {
	// CreateWorkspace stores a workspace whose creator (an existing user)
	// becomes its owner. A taken slug is ErrAlreadyExists; an unknown
	// creator ErrNotFound.
	CreateWorkspace(ctx context.Context, slug, name, description, creatorID string) (Workspace, error)
	// Workspace and WorkspaceBySlug return ErrNotFound if there is none.
	Workspace(ctx context.Context, id string) (Workspace, error)
	WorkspaceBySlug(ctx context.Context, slug string) (Workspace, error)
	// WorkspacesOf lists the user's workspaces with the user's role, by
	// name.
	WorkspacesOf(ctx context.Context, userID string) ([]MemberWorkspace, error)
	UpdateWorkspace(ctx context.Context, id string, u WorkspaceUpdate) (Workspace, error)
	// DeleteWorkspace removes the workspace, its memberships, invitations,
	// groups, registered resources and roles, and every system tuple of an
	// object in the workspace (workspace:<wid>, and any object with
	// #workspace@workspace:<wid>) or naming one as its user.
	DeleteWorkspace(ctx context.Context, id string) error

	// ListMembers lists up to limit members (limit <= 0: 100), oldest
	// first; q, if set, keeps those whose name or email contains it,
	// ignoring case. An unknown workspace is ErrNotFound.
	ListMembers(ctx context.Context, workspaceID, q string, limit int) ([]Member, error)
	// Membership returns the user's membership, or ErrNotMember.
	Membership(ctx context.Context, workspaceID, userID string) (Membership, error)
	// AddMember makes an existing user a member; already a member is
	// ErrAlreadyExists. A pending invitation of the user's email to the
	// workspace is dropped.
	AddMember(ctx context.Context, workspaceID, userID string, role Role) (Membership, error)
	// SetRole changes a member's role; ErrLastOwner if it would demote the
	// last owner, ErrNotMember if the user is not a member. A change
	// produces a RoleChange for the attached activity (WithActivityOf); a
	// member who has the role already produces nothing.
	SetRole(ctx context.Context, workspaceID, userID string, role Role) (Membership, error)
	// RemoveMember removes a member, their memberships of the workspace's
	// groups, their shares on the workspace's resources and their
	// assignments to its roles; ErrLastOwner for the last owner,
	// ErrNotMember if the user is not a member. It produces the removed
	// Membership for the attached activity (WithActivityOf).
	RemoveMember(ctx context.Context, workspaceID, userID string) error

	// Invite adds the user with that email at once (as AddMember), or, if
	// no user has it, stores or updates a pending invitation.
	Invite(ctx context.Context, workspaceID, email string, role Role, invitedBy string) (InviteResult, error)
	// Invitations lists the workspace's pending invitations, oldest first.
	Invitations(ctx context.Context, workspaceID string) ([]Invitation, error)
	// DeleteInvitation withdraws a pending invitation (ErrNotFound if none).
	DeleteInvitation(ctx context.Context, workspaceID, email string) error
	// AcceptInvitations turns every pending invitation for the user's
	// email into a membership (with the invited role; an existing
	// membership is kept as it is) and returns the memberships created.
	// Call it after ProvisionUser. email must be the user's.
	AcceptInvitations(ctx context.Context, userID, email string) ([]Membership, error)

	// CreateGroup stores a group; a name taken in the workspace is
	// ErrAlreadyExists, an unknown workspace ErrNotFound.
	CreateGroup(ctx context.Context, workspaceID, name, description, createdBy string) (Group, error)
	// Group returns ErrNotFound if there is none.
	Group(ctx context.Context, id string) (Group, error)
	// GroupsOf lists the workspace's groups by name.
	GroupsOf(ctx context.Context, workspaceID string) ([]Group, error)
	UpdateGroup(ctx context.Context, id string, u GroupUpdate) (Group, error)
	// DeleteGroup removes the group, its memberships (as a group and as a
	// member of other groups) and every system tuple of it or naming it
	// (shares to the group included).
	DeleteGroup(ctx context.Context, id string) error
	// ListGroupMembers lists the direct members, oldest first.
	ListGroupMembers(ctx context.Context, groupID string) ([]GroupMember, error)
	// AddGroupMember adds a user (who must be a member of the group's
	// workspace: ErrNotMember) or a group of the same workspace (else
	// ErrNotFound) that does not contain this group (ErrGroupCycle).
	// Already a member is ErrAlreadyExists.
	AddGroupMember(ctx context.Context, groupID string, memberType GroupMemberType, memberID string) (GroupMember, error)
	// RemoveGroupMember removes a direct member (ErrNotFound if it is not).
	RemoveGroupMember(ctx context.Context, groupID string, memberType GroupMemberType, memberID string) error
	// GroupsOfUser returns the ids of the workspace's groups the user is
	// in, directly or through nested groups, sorted.
	GroupsOfUser(ctx context.Context, workspaceID, userID string) ([]string, error)
}
