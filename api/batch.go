package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

const (
	// maxBatchChecks bounds the checks of one batch.
	maxBatchChecks = 100
	// maxCorrelationID bounds a correlation id, in bytes.
	maxCorrelationID = 128
)

// batchWorkers is how many checks of one batch are evaluated at once.
// BenchmarkBatchCheck (100 direct checks, in process, 2 cores, machine
// otherwise busy), three interleaved runs: 1 worker 4.3/6.0/5.4 ms,
// 2 workers 3.8/4.7/4.2 ms, 4 workers 4.2/4.7/8.6 ms. Two it is.
var batchWorkers = 2

type batchCheckItem struct {
	CorrelationID string      `json:"correlation_id"`
	Object        string      `json:"object"`
	Relation      string      `json:"relation"`
	User          string      `json:"user"`
	Contextual    []tuple.Key `json:"contextual_tuples"`
}

type batchCheckRequest struct {
	Checks      []batchCheckItem `json:"checks"`
	Consistency *consistency     `json:"consistency"`
}

// batchResult is {"allowed":…,"decision_id":…} or {"error":{code,message}}.
type batchResult struct {
	Allowed    *bool        `json:"allowed,omitempty"`
	DecisionID string       `json:"decision_id,omitempty"`
	Error      *errorDetail `json:"error,omitempty"`
}

type batchCheckResponse struct {
	Results  map[string]batchResult `json:"results"`
	Revision string                 `json:"revision"`
}

// batchCheck answers up to 100 checks at one revision. The batch itself is
// refused (400) only for its shape — no checks, too many, a missing or
// repeated correlation id; a check that is malformed or that the engine
// refuses gets its own error and the others are answered.
func (s *Server) batchCheck(c *gin.Context, svc store.Service) {
	var req batchCheckRequest
	if !bindQuery(c, &req) {
		return
	}
	if err := validateBatch(req.Checks); err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	rev, ok := s.readScope(c, svc, req.Consistency)
	if !ok {
		return
	}
	results := s.evalBatch(c, svc.ID, req.Checks)
	out := batchCheckResponse{Results: make(map[string]batchResult, len(req.Checks)), Revision: token(rev)}
	for i, item := range req.Checks {
		out.Results[item.CorrelationID] = results[i]
	}
	s.respond(c, http.StatusOK, out)
}

func validateBatch(checks []batchCheckItem) error {
	if len(checks) == 0 {
		return fmt.Errorf(`"checks" is empty; send 1 to %d checks`, maxBatchChecks)
	}
	if len(checks) > maxBatchChecks {
		return fmt.Errorf("too many checks: %d, at most %d per batch", len(checks), maxBatchChecks)
	}
	seen := make(map[string]int, len(checks))
	for i, item := range checks {
		id := item.CorrelationID
		if id == "" {
			return fmt.Errorf("checks[%d]: correlation_id is required", i)
		}
		if len(id) > maxCorrelationID {
			return fmt.Errorf("checks[%d]: correlation_id is longer than %d bytes", i, maxCorrelationID)
		}
		if j, ok := seen[id]; ok {
			return fmt.Errorf("checks[%d]: correlation_id %q repeats checks[%d]", i, id, j)
		}
		seen[id] = i
	}
	return nil
}

// evalBatch evaluates the checks on up to batchWorkers goroutines; results
// are in request order.
func (s *Server) evalBatch(c *gin.Context, serviceID string, checks []batchCheckItem) []batchResult {
	results := make([]batchResult, len(checks))
	ctx := c.Request.Context()
	workers := min(batchWorkers, len(checks))
	if workers <= 1 {
		for i := range checks {
			results[i] = s.evalOne(ctx, c, serviceID, checks[i])
		}
		return results
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				results[i] = s.evalOne(ctx, c, serviceID, checks[i])
			}
		})
	}
	for i := range checks {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func (s *Server) evalOne(ctx context.Context, c *gin.Context, serviceID string, item batchCheckItem) batchResult {
	q, err := parseQuestion(item.Object, item.Relation, item.User, item.Contextual)
	if err != nil {
		return batchResult{Error: &errorDetail{Code: codeInvalidArgument, Message: err.Error()}}
	}
	res, err := s.cfg.Engine.Check(ctx, serviceID, engine.CheckRequest{
		Object: q.object, Relation: q.relation, User: q.user, Contextual: q.contextual})
	if err != nil {
		_, detail := s.classify(c, err)
		return batchResult{Error: &detail}
	}
	id := uuid.NewString()
	s.logDecision(c, id, serviceID, q, res.Allowed)
	return batchResult{Allowed: &res.Allowed, DecisionID: id}
}
