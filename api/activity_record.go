package api

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
)

// How handlers record their mutations in the activity log. A handler does
// not append an entry after its write: it attaches the entry to the
// context it passes to the store call that makes the change (record,
// recordOf), and the store appends it inside that write's transaction
// (store.WithActivity). The change and its entry commit together; if the
// entry cannot be written the change rolls back and the store call fails,
// which the handler answers like any store failure (a 5xx). Entries that
// need a value only the write knows (a new id, a deletion's counts) are
// built from the write's result with recordOf, inside the transaction.
//
// The context with the entry goes to the store call that makes the change,
// never to the request, so the handler's other writes carry none. An
// operation of several writes passes it to each: the first that commits
// records it, the others record nothing more (service creation and key
// rotation, compat_admin_service_apps.go).

// actor is who a mutation is recorded as.
type actor struct {
	typ       store.ActorType
	id, label string
}

// adminBy is the administrator making the request: the person signed in
// with the admin_token cookie (the console), else the admin credential.
func adminBy(ctx context.Context) actor {
	if a, ok := adminActorOf(ctx); ok {
		return actor{typ: store.ActorUser, id: a.id, label: a.label}
	}
	return actor{typ: store.ActorAdmin, label: adminLabel}
}

// serviceBy is the service whose key made the request.
func serviceBy(svc store.Service) actor {
	return actor{typ: store.ActorService, label: svc.Name}
}

// userBy is the user whose token made the request, labelled for display
// (an email, or the service the user came through).
func userBy(userID, label string) actor {
	return actor{typ: store.ActorUser, id: userID, label: label}
}

// act is an entry as a handler describes it: action, target and workspace
// (the actor is added by record), and the detail as a map.
type act struct {
	store.ActivityEntry
	detail map[string]any
}

// entries completes acts with the actor and their detail as JSON.
func (a actor) entries(acts []act) ([]store.ActivityEntry, error) {
	out := make([]store.ActivityEntry, len(acts))
	for i, x := range acts {
		e := x.ActivityEntry
		e.ActorType, e.ActorID, e.ActorLabel = a.typ, a.id, a.label
		if x.detail != nil {
			d, err := json.Marshal(x.detail)
			if err != nil {
				return nil, fmt.Errorf("%w: detail of %s: %v", store.ErrInvalidActivity, e.Action, err)
			}
			e.Detail = d
		}
		out[i] = e
	}
	return out, nil
}

// record returns ctx with acts by the actor attached: the write ctx is
// passed to records them in its transaction.
func record(ctx context.Context, by actor, acts ...act) context.Context {
	return store.WithActivityFunc(ctx, func(any) ([]store.ActivityEntry, error) { return by.entries(acts) })
}

// recordOf returns ctx with the acts build makes from the write's result
// (a T: what the store method returns) attached, by the actor. build may
// return none (the write changed nothing worth a record); a write that
// produced nothing, a repeat, records nothing.
func recordOf[T any](ctx context.Context, by actor, build func(T) []act) context.Context {
	return store.WithActivityOf(ctx, func(v T) ([]store.ActivityEntry, error) { return by.entries(build(v)) })
}
