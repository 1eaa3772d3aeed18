package store

import (
	"context"
	"errors"
	"time"
)

// ErrInvalidActivity is wrapped by AppendActivity and ListActivity when an
// entry, a filter or a page is malformed, and by a write whose attached
// entry is: nothing is written then.
var ErrInvalidActivity = errors.New("invalid activity")

// ActorType says who performed an activity.
type ActorType string

const (
	// ActorUser is a person; the entry's ActorID is the user's id.
	ActorUser ActorType = "user"
	// ActorService is a service key; ActorID is "" and ActorLabel names
	// the service.
	ActorService ActorType = "service"
	// ActorAdmin is the admin credential; ActorID is "".
	ActorAdmin ActorType = "admin"
)

// Valid reports whether a is one of the actor types above.
func (a ActorType) Valid() bool {
	return a == ActorUser || a == ActorService || a == ActorAdmin
}

// MaxActivityPageSize bounds ListActivity's pageSize.
const MaxActivityPageSize = 1000

// ActivityEntry is one row of the activity log: who did what to which
// target, in which workspace. Entries are never updated or deleted, and
// they outlive what they name (a deleted workspace keeps its history), so
// ids are not foreign keys.
type ActivityEntry struct {
	// ID is a UUID; AppendActivity assigns one when it is empty (an
	// importer may keep the original's).
	ID     string
	Action string // required, e.g. "service.created", "member.role_changed"
	// ActorType is required. ActorID is the user's id for ActorUser
	// (required) and "" otherwise. ActorLabel is for display only (a
	// service name, an email).
	ActorType  ActorType
	ActorID    string
	ActorLabel string
	TargetType string // "" when the action has no target
	TargetID   string
	// WorkspaceID is "" for actions outside any workspace.
	WorkspaceID string
	// Detail is a JSON object; nil or empty means {}.
	Detail []byte
	// CreatedAt is set to now when zero; stored in UTC at microsecond
	// precision.
	CreatedAt time.Time
}

// ActivityFilter selects entries of the activity log; empty fields and zero
// times match anything. From and To are inclusive.
type ActivityFilter struct {
	Action      string
	TargetType  string
	WorkspaceID string
	ActorID     string
	From, To    time.Time
}

// ActivityStore is the activity log: every mutation of Sentinel recorded
// with its actor, action, target, workspace and detail.
//
// A mutation's entries are not appended by the caller after the write:
// they are attached to the write's context (WithActivity, WithActivityOf in
// activity_attach.go) and the store appends them inside the write's own
// transaction, so a change and its entries commit or roll back together.
type ActivityStore interface {
	// AppendActivity validates and stores one entry on its own and
	// returns it as stored (with its ID and CreatedAt). A malformed entry
	// is ErrInvalidActivity. It is for entries that belong to no single
	// write (a summary of several, tests); a mutation's entry goes with
	// the mutation (see above).
	AppendActivity(ctx context.Context, e ActivityEntry) (ActivityEntry, error)
	// ListActivity returns page (from 1) of the entries matching f, at
	// most pageSize (1..MaxActivityPageSize) of them, newest first (by
	// CreatedAt, then ID, both descending: a stable order), and the number
	// of entries matching f. Both come from one snapshot. A page past the
	// end is empty; a page < 1 or a bad pageSize is ErrInvalidActivity.
	ListActivity(ctx context.Context, f ActivityFilter, page, pageSize int) ([]ActivityEntry, int, error)
}
