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
	overlay, err := contextual(c, serviceID, req.Contextual)
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
// wildcard grant), "group:eng#member". As in OpenFGA, users are found by
// following tuples from the object, so a user granted only through a
// wildcard is represented by the wildcard. Where the relation depends on an
// intersection or exclusion, each user found is confirmed by the check.
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
	overlay, err := contextual(c, serviceID, req.Contextual)
	if err != nil {
		return nil, err
	}
	start := node{req.Object.Type, req.Object.ID, req.Relation}
	exact := c.reverseEdges().exact[relRef{req.Object.Type, req.Relation}]
	seen := map[string]bool{}
	var out []string
	for _, f := range req.Filters {
		e.store.mu.RLock()
		found, cut := c.reverseEdges().expandTo(e.store.data, overlay, serviceID, start, tuple.User{Type: f.Type, Relation: f.Relation}, e.opts.MaxDepth)
		e.store.mu.RUnlock()
		if cut {
			return nil, fmt.Errorf("%w: listing users of %s#%s needs more than %d nested relations", ErrTooComplex, req.Object, req.Relation, e.opts.MaxDepth)
		}
		for _, u := range sortedKeys(found) {
			if seen[u] {
				continue
			}
			seen[u] = true
			if !exact {
				user, err := tuple.ParseUser(u)
				if err != nil {
					return nil, fmt.Errorf("list users: found malformed user %q: %w", u, err)
				}
				ok, err := e.eval(ctx, c, overlay, req.Object, req.Relation, user)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out, nil
}

func sortedKeys[V any](set map[string]V) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
