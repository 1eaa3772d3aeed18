package engine

import (
	"context"
	"errors"
)

// errUnbuilt marks the query methods whose evaluation lands with the model
// compiler (issue 3); they refuse rather than answer.
var errUnbuilt = errors.New("not available yet: the model compiler is being built")

// ListObjects returns the ids of every object of req.Type on which req.User
// has req.Relation, sorted, without duplicates.
func (e *Engine) ListObjects(ctx context.Context, serviceID string, req ListObjectsRequest) ([]string, error) {
	return nil, errUnbuilt
}

// ListUsers returns every user matching req.Filters that has req.Relation
// on req.Object, sorted, without duplicates.
func (e *Engine) ListUsers(ctx context.Context, serviceID string, req ListUsersRequest) ([]string, error) {
	return nil, errUnbuilt
}

// Expand returns the one-level userset tree of req.Object#req.Relation.
func (e *Engine) Expand(ctx context.Context, serviceID string, req ExpandRequest) (*UsersetTree, error) {
	return nil, errUnbuilt
}
