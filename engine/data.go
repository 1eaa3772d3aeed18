package engine

import (
	"context"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Mutation is one change to the tuple index.
type Mutation struct {
	ServiceID string
	Delete    bool
	Tuple     tuple.Tuple
}

// Loader accumulates a full tuple set before it replaces the engine's
// index in one step (the initial load). It is not safe for concurrent use.
type Loader struct {
	root  map[string]any
	count int
}

// NewLoader returns an empty Loader.
func NewLoader() *Loader { return &Loader{root: map[string]any{}} }

// Add records one tuple of a service.
func (l *Loader) Add(serviceID string, t tuple.Tuple) {
	if add(l.root, serviceID, t) {
		l.count++
	}
}

// Len is the number of distinct tuples added.
func (l *Loader) Len() int { return l.count }

// Replace swaps the whole tuple index for the Loader's content. The Loader
// must not be used afterwards: the index keeps its maps.
func (e *Engine) Replace(_ context.Context, l *Loader) error {
	root := l.root
	l.root = nil
	e.store.replace(root)
	return nil
}

// Apply applies mutations in order; a check sees all of them or none.
// Writing an existing tuple or deleting a missing one is a no-op, so a
// replayed batch is harmless.
func (e *Engine) Apply(_ context.Context, muts []Mutation) error {
	if len(muts) == 0 {
		return nil
	}
	e.store.apply(func(root map[string]any) {
		for _, m := range muts {
			if m.Delete {
				remove(root, m.ServiceID, m.Tuple)
			} else {
				add(root, m.ServiceID, m.Tuple)
			}
		}
	})
	return nil
}

// add sets root[svc][object][relation][user] = true and reports whether it
// was new.
func add(root map[string]any, serviceID string, t tuple.Tuple) bool {
	users := child(child(child(root, serviceID), t.Object.String()), t.Relation)
	u := t.User.String()
	if _, ok := users[u]; ok {
		return false
	}
	users[u] = true
	return true
}

func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

// remove deletes a tuple and prunes the maps it leaves empty, so memory
// follows the live tuple count.
func remove(root map[string]any, serviceID string, t tuple.Tuple) {
	objects, ok := root[serviceID].(map[string]any)
	if !ok {
		return
	}
	obj := t.Object.String()
	relations, ok := objects[obj].(map[string]any)
	if !ok {
		return
	}
	users, ok := relations[t.Relation].(map[string]any)
	if !ok {
		return
	}
	delete(users, t.User.String())
	if len(users) > 0 {
		return
	}
	delete(relations, t.Relation)
	if len(relations) > 0 {
		return
	}
	delete(objects, obj)
	if len(objects) == 0 {
		delete(root, serviceID)
	}
}
