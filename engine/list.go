package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/sentinel-auth/sentinel/tuple"
)

// ListObjects returns the ids of every object of req.Type on which req.User
// has req.Relation, sorted, without duplicates.
//
// Candidates come from reverse expansion: starting at the user, the reverse
// index and the model's reverse edges are followed breadth first, so the
// work grows with what the user can reach, not with the number of objects.
// Where the relation depends only on unions, every candidate found is
// proven by the path that found it; otherwise each candidate is decided by
// the compiled check, so list and check never disagree.
func (e *Engine) ListObjects(ctx context.Context, serviceID string, req ListObjectsRequest) ([]string, error) {
	c := e.current(serviceID)
	if c == nil {
		return nil, ErrNoModel
	}
	if err := validateQuery(c.model, req.Type, req.Relation, req.User); err != nil {
		return nil, err
	}
	overlay, err := contextual(c.model, serviceID, req.Contextual)
	if err != nil {
		return nil, err
	}
	target := relRef{req.Type, req.Relation}
	e.store.mu.RLock()
	found, cut := c.reverseEdges().expandFrom(e.store.data, overlay, serviceID, req.User, target, e.opts.MaxDepth)
	e.store.mu.RUnlock()
	if cut {
		return nil, fmt.Errorf("%w: listing %s#%s for %s needs more than %d nested relations", ErrTooComplex, req.Type, req.Relation, req.User, e.opts.MaxDepth)
	}
	ids := sortedKeys(found)
	if c.reverseEdges().exact[target] {
		return ids, nil
	}
	out := ids[:0]
	for _, id := range ids {
		ok, err := e.eval(ctx, c, overlay, tuple.Object{Type: req.Type, ID: id}, req.Relation, req.User)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// ListUsers returns every user matching req.Filters that has req.Relation
// on req.Object, sorted, without duplicates: "user:anne", "user:*" (a
// wildcard grant), "group:eng#member".
func (e *Engine) ListUsers(ctx context.Context, serviceID string, req ListUsersRequest) ([]string, error) {
	c := e.current(serviceID)
	if c == nil {
		return nil, ErrNoModel
	}
	if len(req.Filters) == 0 {
		return nil, fmt.Errorf("%w: at least one user filter is required", ErrInvalidRequest)
	}
	for _, f := range req.Filters {
		if err := validateQuery(c.model, req.Object.Type, req.Relation, tuple.User{Type: f.Type, Relation: f.Relation}); err != nil {
			return nil, err
		}
	}
	overlay, err := contextual(c.model, serviceID, req.Contextual)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range req.Filters {
		for _, id := range e.store.userIDs(overlay, serviceID, f.Type, f.Relation) {
			u := tuple.User{Type: f.Type, ID: id, Relation: f.Relation}
			if seen[u.String()] {
				continue
			}
			seen[u.String()] = true
			ok, err := e.eval(ctx, c, overlay, req.Object, req.Relation, u)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, u.String())
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// userIDs lists, sorted, the ids that could be users of the given type (and
// userset relation) in a service: every id that appears as such a user,
// "*" for wildcards, and for usersets every object of the type (a userset
// contains itself).
func (s *indexStore) userIDs(overlay *tuples, serviceID, userType, userRel string) []string {
	set := map[string]bool{}
	collect := func(ix index) {
		if userRel != "" {
			if objs, err := lookup(map[string]any(ix), []string{"t", serviceID, userType}); err == nil {
				for id := range objs.(map[string]any) {
					set[id] = true
				}
			}
			if objs, err := lookup(map[string]any(ix), []string{"s", serviceID, userType}); err == nil {
				for id := range objs.(map[string]any) {
					set[id] = true
				}
			}
		}
		root, depth := "t", 4 // type → id → relation → userType
		if userRel != "" {
			root, depth = "s", 4
		}
		svc, err := lookup(map[string]any(ix), []string{root, serviceID})
		if err != nil {
			return
		}
		walk(svc.(map[string]any), depth, func(leaf map[string]any) {
			users, ok := leaf[userType].(map[string]any)
			if !ok {
				return
			}
			if userRel != "" {
				if users, ok = users[userRel].(map[string]any); !ok {
					return
				}
			}
			for id := range users {
				set[id] = true
			}
		})
	}
	s.mu.RLock()
	collect(s.data.fwd)
	s.mu.RUnlock()
	if overlay != nil {
		collect(overlay.fwd)
	}
	return sortedKeys(set)
}

// walk calls fn with every map depth-1 levels below m.
func walk(m map[string]any, depth int, fn func(map[string]any)) {
	if depth == 1 {
		fn(m)
		return
	}
	for _, v := range m {
		if c, ok := v.(map[string]any); ok {
			walk(c, depth-1, fn)
		}
	}
}

func sortedKeys[V any](set map[string]V) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
