package store

import (
	"context"
	"errors"
)

// A workspace member's change (a role change, a removal, a grant of the
// owner role) is allowed by the actor's role, which a handler reads before
// the write; another change can commit in between (the actor demoted, the
// target promoted to owner). So the handler also attaches the actor to the
// context of the store call that makes the change (WithActingMember), and
// the store checks the actor's role again inside that write's transaction,
// after taking the writers' lock: a change whose actor no longer qualifies
// is refused and nothing is written.
var (
	// ErrInsufficientRole: the acting member no longer has the role the
	// change needs (or is no longer a member).
	ErrInsufficientRole = errors.New("the acting member's role does not allow this change")
	// ErrOwnerOnly: only an owner may grant the owner role, or change or
	// remove an owner, and the acting member is not one.
	ErrOwnerOnly = errors.New("only a workspace owner may change an owner or grant the owner role")
)

// ActingMember is the member making a change, and the least role the
// change needs.
type ActingMember struct {
	WorkspaceID, UserID string
	AtLeast             Role
}

type actingKey struct{}

// WithActingMember returns ctx with the acting member attached: the next
// write made with it fails with ErrInsufficientRole unless userID is, in
// that write's transaction, a member of workspaceID with at least role
// atLeast; and a change of or to the owner role fails with ErrOwnerOnly
// unless they are an owner.
func WithActingMember(ctx context.Context, workspaceID, userID string, atLeast Role) context.Context {
	return context.WithValue(ctx, actingKey{}, ActingMember{WorkspaceID: workspaceID, UserID: userID, AtLeast: atLeast})
}

// ActingMemberOf returns the acting member attached to ctx, if any. Stores
// call it in every write transaction.
func ActingMemberOf(ctx context.Context) (ActingMember, bool) {
	a, ok := ctx.Value(actingKey{}).(ActingMember)
	return a, ok
}
