package store

import (
	"context"
	"fmt"
	"sync/atomic"
)

// A mutation's activity entries commit in the same transaction as the
// mutation. The caller (an API handler) attaches them to the context of
// the store call that makes the change, and the store appends them inside
// that call's write transaction, just before committing:
//
//	ctx = store.WithActivity(ctx, store.ActivityEntry{Action: "workspace.deleted", ...})
//	err := st.DeleteWorkspace(ctx, id) // the row and its entry, or neither
//
// So a change is never kept without its entry: if an entry is refused
// (ErrInvalidActivity) or cannot be inserted, the change rolls back and the
// call fails. A write whose context carries no activity records nothing
// and is unaffected.
//
// Where an entry needs a value only the write knows (a generated id, the
// counts of a deletion), WithActivityOf builds the entries from what the
// write produced, still inside its transaction: the value the store method
// returns. A write that changed nothing (registering a resource again)
// produces nothing and records nothing.
//
// An attached activity is recorded once: by the first write transaction
// that commits with entries from it. A store method that runs several write
// transactions, or a caller that passes one context to several writes,
// records it once; a caller that wants it on a particular write of several
// passes the others WithoutActivity.

// Activity is the activity attached to a context: how to build its entries
// and whether a committed write has recorded them.
type Activity struct {
	build    func(produced any) ([]ActivityEntry, error)
	recorded atomic.Bool
}

type activityKey struct{}

// WithActivity returns ctx with entries attached: the next write made with
// it appends them inside its transaction (see Activity).
func WithActivity(ctx context.Context, entries ...ActivityEntry) context.Context {
	return WithActivityFunc(ctx, func(any) ([]ActivityEntry, error) { return entries, nil })
}

// WithActivityOf returns ctx with entries attached that build makes from
// the value of type T the write produces (the store method's result, e.g.
// the Workspace CreateWorkspace returns), inside the write's transaction.
// A write that produced nothing records nothing; one that produced another
// type fails with ErrInvalidActivity (a caller's mistake, never silently
// dropped). An error from build fails the write.
func WithActivityOf[T any](ctx context.Context, build func(T) ([]ActivityEntry, error)) context.Context {
	return WithActivityFunc(ctx, func(produced any) ([]ActivityEntry, error) {
		if produced == nil {
			return nil, nil
		}
		v, ok := produced.(T)
		if !ok {
			return nil, fmt.Errorf("%w: the write produced a %T, its entries are built from a %T", ErrInvalidActivity, produced, v)
		}
		return build(v)
	})
}

// WithActivityFunc returns ctx with entries attached that build returns,
// called inside the write's transaction with what the write produced (nil
// if nothing). WithActivity and WithActivityOf are its usual forms.
func WithActivityFunc(ctx context.Context, build func(produced any) ([]ActivityEntry, error)) context.Context {
	return context.WithValue(ctx, activityKey{}, &Activity{build: build})
}

// WithoutActivity returns ctx without the activity attached to it, for a
// write that must not record it (one write of several that the activity
// does not describe).
func WithoutActivity(ctx context.Context) context.Context {
	return context.WithValue(ctx, activityKey{}, (*Activity)(nil))
}

// PendingActivity returns the activity attached to ctx that no committed
// write has recorded yet, or nil. Stores call it in every write
// transaction, before committing.
func PendingActivity(ctx context.Context) *Activity {
	a, _ := ctx.Value(activityKey{}).(*Activity)
	if a == nil || a.recorded.Load() {
		return nil
	}
	return a
}

// Entries returns the entries of a write that produced produced (nil if
// nothing). They still need validating (the store's append does it).
func (a *Activity) Entries(produced any) ([]ActivityEntry, error) {
	return a.build(produced)
}

// Recorded marks a as recorded: the write that appended its entries has
// committed. Later writes with the same context record nothing more.
func (a *Activity) Recorded() { a.recorded.Store(true) }
