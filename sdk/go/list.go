package sentinel

import (
	"context"
	"fmt"
	"net/http"
)

// ListRequest asks for the objects of Type on which User has Relation.
type ListRequest struct {
	Type     string
	Relation string
	User     string
	// Contextual tuples count for this question only.
	Contextual []Tuple
	// PageSize is 1–1000; 0 takes the server's default (100).
	PageSize int
	// ContinuationToken is the previous page's token; empty for the first.
	ContinuationToken string
}

// ListPage is one page of a list: objects ("type:id"), sorted.
type ListPage struct {
	Objects []string `json:"objects"`
	// ContinuationToken fetches the next page; empty on the last.
	ContinuationToken string `json:"continuation_token"`
	Revision          string `json:"revision"`
}

type listBody struct {
	Type              string       `json:"type"`
	Relation          string       `json:"relation"`
	User              string       `json:"user"`
	Contextual        []Tuple      `json:"contextual_tuples,omitempty"`
	PageSize          int          `json:"page_size,omitempty"`
	ContinuationToken string       `json:"continuation_token,omitempty"`
	Consistency       *consistency `json:"consistency,omitempty"`
}

// List returns one page of the objects a user can reach (POST /v1/list).
func (c *Client) List(ctx context.Context, req ListRequest, opts ...ReadOption) (*ListPage, error) {
	var out ListPage
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/list", idempotent: true, out: &out, in: listBody{
		Type: req.Type, Relation: req.Relation, User: req.User, Contextual: req.Contextual,
		PageSize: req.PageSize, ContinuationToken: req.ContinuationToken, Consistency: readConsistency(opts),
	}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAll follows continuation tokens from req's page to the last and
// returns every object, sorted, with the first page's revision. Later
// pages are read at least at that revision, so no page is older than the
// first.
func (c *Client) ListAll(ctx context.Context, req ListRequest, opts ...ReadOption) ([]string, string, error) {
	var (
		all   []string
		first string
		seen  = map[string]bool{}
	)
	for {
		page, err := c.List(ctx, req, opts...)
		if err != nil {
			return nil, "", fmt.Errorf("list page %d: %w", len(seen)+1, err)
		}
		all = append(all, page.Objects...)
		if first == "" {
			first = page.Revision
			// The first page's revision is at least what opts asked for.
			opts = []ReadOption{AtLeast(first)}
		}
		next := page.ContinuationToken
		if next == "" {
			return all, first, nil
		}
		if seen[next] || len(page.Objects) == 0 {
			return nil, "", fmt.Errorf("sentinel: list: the server repeated continuation token %q", next)
		}
		seen[next] = true
		req.ContinuationToken = next
	}
}

// UserFilter selects the users of ListUsers: a type ("user") or a
// userset type and relation ("group", "member").
type UserFilter struct {
	Type     string `json:"type"`
	Relation string `json:"relation,omitempty"`
}

// ListUsersRequest asks who has Relation on Object.
type ListUsersRequest struct {
	Object      string
	Relation    string
	UserFilters []UserFilter // at least one
	Contextual  []Tuple
}

// ListUsersResult lists users: "user:anne", "user:*" for a wildcard grant,
// "group:eng#member" for a userset filter.
type ListUsersResult struct {
	Users    []string `json:"users"`
	Revision string   `json:"revision"`
}

// ListUsers answers every user matching the filters that has the relation
// on the object (POST /v1/list-users).
func (c *Client) ListUsers(ctx context.Context, req ListUsersRequest, opts ...ReadOption) (*ListUsersResult, error) {
	var out ListUsersResult
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/list-users", idempotent: true, out: &out, in: struct {
		Object      string       `json:"object"`
		Relation    string       `json:"relation"`
		UserFilters []UserFilter `json:"user_filters"`
		Contextual  []Tuple      `json:"contextual_tuples,omitempty"`
		Consistency *consistency `json:"consistency,omitempty"`
	}{req.Object, req.Relation, req.UserFilters, req.Contextual, readConsistency(opts)}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UsersetTree is one level of the expansion of object#relation: exactly
// one of Users (direct assignment; may be empty), Computed,
// TupleToUserset, Union, Intersection or Difference is set.
type UsersetTree struct {
	Name           string          `json:"name"` // "doc:1#viewer"
	Users          []string        `json:"users,omitempty"`
	Computed       string          `json:"computed,omitempty"` // "doc:1#editor"
	TupleToUserset *TupleToUserset `json:"tuple_to_userset,omitempty"`
	Union          []*UsersetTree  `json:"union,omitempty"`
	Intersection   []*UsersetTree  `json:"intersection,omitempty"`
	Difference     *Difference     `json:"difference,omitempty"`
}

// TupleToUserset is "relation from tupleset": the tupleset ("doc:1#parent")
// and the usersets it leads to ("folder:x#viewer").
type TupleToUserset struct {
	Tupleset string   `json:"tupleset"`
	Computed []string `json:"computed"`
}

// Difference is "base but not subtract".
type Difference struct {
	Base     *UsersetTree `json:"base"`
	Subtract *UsersetTree `json:"subtract"`
}

// ExpandResult is the tree of Expand.
type ExpandResult struct {
	Tree     *UsersetTree `json:"tree"`
	Revision string       `json:"revision"`
}

// Expand answers the one-level userset tree of object#relation (POST
// /v1/expand).
func (c *Client) Expand(ctx context.Context, object, relation string, opts ...ReadOption) (*ExpandResult, error) {
	var out ExpandResult
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/expand", idempotent: true, out: &out, in: struct {
		Object      string       `json:"object"`
		Relation    string       `json:"relation"`
		Consistency *consistency `json:"consistency,omitempty"`
	}{object, relation, readConsistency(opts)}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
