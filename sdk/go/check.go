package sentinel

import (
	"context"
	"encoding/json"
	"net/http"
)

// Tuple is a relationship: User has Relation on Object. Objects are
// "type:id"; users "type:id", a userset "type:id#relation" or a wildcard
// "type:*".
type Tuple struct {
	Object   string `json:"object"`
	Relation string `json:"relation"`
	User     string `json:"user"`
}

// ReadOption sets the consistency of a read (check, batch check, list,
// list-users, expand).
type ReadOption func(*consistency)

type consistency struct {
	AtLeast         string `json:"at_least,omitempty"`
	FullyConsistent bool   `json:"fully_consistent,omitempty"`
}

// AtLeast makes the read reflect at least revision rev, a token returned by
// a write (read-your-writes across replicas). The server waits, bounded,
// for its copy to catch up, else answers 503 consistency_timeout. An empty
// rev changes nothing.
func AtLeast(rev string) ReadOption {
	return func(c *consistency) { c.AtLeast = rev }
}

// FullyConsistent makes the read reflect every write committed before it.
func FullyConsistent() ReadOption {
	return func(c *consistency) { c.FullyConsistent = true }
}

func readConsistency(opts []ReadOption) *consistency {
	var c consistency
	for _, o := range opts {
		o(&c)
	}
	if c == (consistency{}) {
		return nil
	}
	return &c
}

// CheckRequest asks whether User has Relation on Object.
type CheckRequest struct {
	Object   string
	Relation string
	User     string
	// Contextual tuples count for this question only (at most 100).
	Contextual []Tuple
	// Explain asks for the steps that led to the answer.
	Explain bool
}

// CheckResult is a decision.
type CheckResult struct {
	Allowed bool `json:"allowed"`
	// Revision is the revision the answer reflects, at least.
	Revision    string       `json:"revision"`
	DecisionID  string       `json:"decision_id"`
	Explanation *Explanation `json:"explanation,omitempty"`
}

// Explanation says why: Path for an allowed check, Tried for a denied one.
type Explanation struct {
	Path  []string `json:"path,omitempty"`
	Tried []string `json:"tried,omitempty"`
}

type checkBody struct {
	Object      string       `json:"object"`
	Relation    string       `json:"relation"`
	User        string       `json:"user"`
	Contextual  []Tuple      `json:"contextual_tuples,omitempty"`
	Consistency *consistency `json:"consistency,omitempty"`
	Explain     bool         `json:"explain,omitempty"`
}

// Check asks one permission question (POST /v1/check).
func (c *Client) Check(ctx context.Context, req CheckRequest, opts ...ReadOption) (*CheckResult, error) {
	var out CheckResult
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/check", idempotent: true, out: &out, in: checkBody{
		Object: req.Object, Relation: req.Relation, User: req.User, Contextual: req.Contextual,
		Consistency: readConsistency(opts), Explain: req.Explain,
	}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// MaxBatchChecks is how many checks one BatchCheck may carry.
const MaxBatchChecks = 100

// BatchItem is one question of a batch; CorrelationID names its answer
// and must be unique within the batch.
type BatchItem struct {
	CorrelationID string  `json:"correlation_id"`
	Object        string  `json:"object"`
	Relation      string  `json:"relation"`
	User          string  `json:"user"`
	Contextual    []Tuple `json:"contextual_tuples,omitempty"`
}

// BatchResult holds the answers by correlation id, all at one revision.
type BatchResult struct {
	Results  map[string]BatchAnswer `json:"results"`
	Revision string                 `json:"revision"`
}

// BatchAnswer is one answer of a batch: a decision, or the error of that
// one check (the others are still answered).
type BatchAnswer struct {
	Allowed    bool
	DecisionID string
	Err        *APIError // nil when the check was answered
}

func (a *BatchAnswer) UnmarshalJSON(b []byte) error {
	var w struct {
		Allowed    *bool  `json:"allowed"`
		DecisionID string `json:"decision_id"`
		Error      *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = BatchAnswer{DecisionID: w.DecisionID}
	switch {
	case w.Error != nil:
		a.Err = &APIError{Code: w.Error.Code, Message: w.Error.Message}
	case w.Allowed != nil:
		a.Allowed = *w.Allowed
	default:
		a.Err = &APIError{Code: "invalid_answer", Message: "the answer has neither allowed nor error"}
	}
	return nil
}

// BatchCheck asks up to MaxBatchChecks questions at one revision (POST
// /v1/check/batch). A malformed or refused question gets its own Err in
// the result; the batch as a whole fails only for its shape.
func (c *Client) BatchCheck(ctx context.Context, items []BatchItem, opts ...ReadOption) (*BatchResult, error) {
	var out BatchResult
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/check/batch", idempotent: true, out: &out, in: struct {
		Checks      []BatchItem  `json:"checks"`
		Consistency *consistency `json:"consistency,omitempty"`
	}{items, readConsistency(opts)}})
	if err != nil {
		return nil, err
	}
	if out.Results == nil {
		out.Results = make(map[string]BatchAnswer, len(items))
	}
	for _, it := range items {
		if _, ok := out.Results[it.CorrelationID]; !ok {
			out.Results[it.CorrelationID] = BatchAnswer{Err: &APIError{Code: "missing_answer", Message: "the server did not answer this check"}}
		}
	}
	return &out, nil
}
