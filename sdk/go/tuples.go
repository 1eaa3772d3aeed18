package sentinel

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxTuplesPerWrite is how many writes plus deletes one Write may carry.
const MaxTuplesPerWrite = 100

// TupleWrite is one all-or-nothing change of relationships.
type TupleWrite struct {
	Writes  []Tuple
	Deletes []Tuple
	// IgnoreDuplicates makes writing an existing tuple a no-op instead of
	// a 409 conflict.
	IgnoreDuplicates bool
	// IgnoreMissing makes deleting an absent tuple a no-op instead of an
	// error.
	IgnoreMissing bool
}

// Write applies writes and deletes together (POST /v1/tuples) and returns
// the revision of the change: pass it to AtLeast to read your write on
// any replica.
//
// A write is retried after 5xx and 429 answers but not after transport
// errors. A retried write whose first attempt did commit fails with 409
// unless IgnoreDuplicates (and IgnoreMissing for deletes) is set, so a
// change is never applied twice unnoticed.
func (c *Client) Write(ctx context.Context, w TupleWrite) (string, error) {
	body := struct {
		Writes      []Tuple `json:"writes,omitempty"`
		Deletes     []Tuple `json:"deletes,omitempty"`
		OnDuplicate string  `json:"on_duplicate,omitempty"`
		OnMissing   string  `json:"on_missing,omitempty"`
	}{Writes: w.Writes, Deletes: w.Deletes}
	if w.IgnoreDuplicates {
		body.OnDuplicate = "ignore"
	}
	if w.IgnoreMissing {
		body.OnMissing = "ignore"
	}
	var out struct {
		Revision string `json:"revision"`
	}
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tuples", in: body, out: &out}); err != nil {
		return "", err
	}
	return out.Revision, nil
}

// WriteTuples writes tuples all-or-nothing and returns the revision.
func (c *Client) WriteTuples(ctx context.Context, tuples ...Tuple) (string, error) {
	return c.Write(ctx, TupleWrite{Writes: tuples})
}

// DeleteTuples deletes tuples all-or-nothing and returns the revision.
func (c *Client) DeleteTuples(ctx context.Context, tuples ...Tuple) (string, error) {
	return c.Write(ctx, TupleWrite{Deletes: tuples})
}

// TupleFilter selects stored tuples; empty fields match everything.
type TupleFilter struct {
	Object   string // "doc" (a type) or "doc:1"
	Relation string
	User     string // "user", "user:anne", "group:eng#member" or "user:*"
	// PageSize is 1–1000; 0 takes the server's default (50).
	PageSize          int
	ContinuationToken string
}

// TuplePage is one page of stored tuples.
type TuplePage struct {
	Tuples            []Tuple `json:"tuples"`
	ContinuationToken string  `json:"continuation_token"` // empty on the last page
}

// ReadTuples reads stored tuples, a page at a time (GET /v1/tuples).
func (c *Client) ReadTuples(ctx context.Context, f TupleFilter) (*TuplePage, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("object", f.Object)
	set("relation", f.Relation)
	set("user", f.User)
	set("continuation_token", f.ContinuationToken)
	if f.PageSize != 0 {
		q.Set("page_size", strconv.Itoa(f.PageSize))
	}
	var out TuplePage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/tuples", query: q, idempotent: true, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Model is a stored version of the service's authorization model.
type Model struct {
	ID        string          `json:"id"`
	Version   int             `json:"version"`
	DSL       string          `json:"dsl"`
	JSON      json.RawMessage `json:"json"`
	CreatedAt time.Time       `json:"created_at"`
	Revision  string          `json:"revision"`
	// Directory is the version's opt-in to the workspace and group
	// directory (WithDirectory).
	Directory bool `json:"directory"`
}

// ModelOption changes how PutModel and PutModelJSON store a version.
type ModelOption func(*modelBody)

// WithDirectory opts the version in to the directory: the service's checks
// then see Sentinel's workspaces and groups (its model must define them as
// the server's README describes). The service needs directory access,
// which an administrator grants; without it the call is a 403 forbidden
// *APIError.
func WithDirectory() ModelOption { return func(b *modelBody) { b.Directory = true } }

// modelBody is the body of PUT /v1/model.
type modelBody struct {
	DSL       string          `json:"dsl,omitempty"`
	JSON      json.RawMessage `json:"json,omitempty"`
	Directory bool            `json:"directory,omitempty"`
}

// PutModel stores a new model version written in the OpenFGA DSL 1.1
// (PUT /v1/model). An invalid model is a 422 invalid_model *APIError
// whose message names the line.
func (c *Client) PutModel(ctx context.Context, dsl string, opts ...ModelOption) (*Model, error) {
	return c.putModel(ctx, modelBody{DSL: dsl}, opts)
}

// PutModelJSON stores a new model version given in OpenFGA's JSON form.
func (c *Client) PutModelJSON(ctx context.Context, model json.RawMessage, opts ...ModelOption) (*Model, error) {
	return c.putModel(ctx, modelBody{JSON: model}, opts)
}

func (c *Client) putModel(ctx context.Context, body modelBody, opts []ModelOption) (*Model, error) {
	for _, o := range opts {
		o(&body)
	}
	var out Model
	if err := c.do(ctx, call{method: http.MethodPut, path: "/v1/model", in: body, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetModel returns the current model version; before the first one it is
// a 404 *APIError.
func (c *Client) GetModel(ctx context.Context) (*Model, error) {
	var out Model
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/model", idempotent: true, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}
