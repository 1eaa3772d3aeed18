package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Helpers shared by the read endpoints (check, batch check, list,
// list-users, expand). They parse syntax only; whether a type, relation or
// user fits the model is the engine's judgement (engine.ErrInvalidRequest).

// maxContextualTuples bounds the contextual tuples of one question.
const maxContextualTuples = 100

// parseContextual parses contextual tuples: at most 100, each well-formed.
// A repeated tuple is dropped, not refused (as OpenFGA does).
func parseContextual(keys []tuple.Key) ([]tuple.Tuple, error) {
	if len(keys) > maxContextualTuples {
		return nil, fmt.Errorf("too many contextual tuples: %d, at most %d", len(keys), maxContextualTuples)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([]tuple.Tuple, 0, len(keys))
	seen := make(map[tuple.Tuple]bool, len(keys))
	for i, k := range keys {
		t, err := tuple.Parse(k)
		if err != nil {
			return nil, fmt.Errorf("contextual_tuples[%d]: %w", i, err)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// parseRelation checks the syntax of a relation name; field names it in
// the error.
func parseRelation(field, rel string) error {
	if rel == "" {
		return fmt.Errorf("%s is required", field)
	}
	if !tuple.ValidRelation(rel) {
		return fmt.Errorf("%s %q is invalid", field, rel)
	}
	return nil
}

// question is the object, relation and user of a check.
type question struct {
	object     tuple.Object
	relation   string
	user       tuple.User
	contextual []tuple.Tuple
}

// parseQuestion parses the fields every check carries.
func parseQuestion(object, relation, user string, contextual []tuple.Key) (question, error) {
	var q question
	var err error
	if q.object, err = tuple.ParseObject(object); err != nil {
		return q, err
	}
	if err = parseRelation("relation", relation); err != nil {
		return q, err
	}
	q.relation = relation
	if q.user, err = tuple.ParseUser(user); err != nil {
		return q, err
	}
	q.contextual, err = parseContextual(contextual)
	return q, err
}

// requireModel answers 400 no_model when the service has no model yet; it
// reports whether to go on. (The engine refuses with ErrNoModel too; this
// keeps the answer the same whatever the engine does first.)
func (s *Server) requireModel(c *gin.Context, serviceID string) bool {
	if s.cfg.Engine.Model(serviceID) == nil {
		fail(c, http.StatusBadRequest, codeNoModel, noModelMessage)
		return false
	}
	return true
}

// sortedSet returns xs sorted and without repeats. The engine promises
// exactly that, so the common case is one pass that changes nothing;
// pagination depends on it, hence the guard.
func (s *Server) sortedSet(what string, xs []string) []string {
	for i := 1; i < len(xs); i++ {
		if xs[i-1] >= xs[i] {
			s.log.Warn("engine answer not sorted or not unique; fixed", "answer", what)
			xs = slices.Clone(xs)
			slices.Sort(xs)
			return slices.Compact(xs)
		}
	}
	return xs
}

// logDecision records a decision at debug level (the argument list is only
// built when debug is on: this is the hot path).
func (s *Server) logDecision(c *gin.Context, id, serviceID string, q question, allowed bool) {
	if !s.log.Enabled(c.Request.Context(), slog.LevelDebug) {
		return
	}
	s.log.LogAttrs(c.Request.Context(), slog.LevelDebug, "decision",
		slog.String("decision_id", id), slog.String("service", serviceID),
		slog.String("object", q.object.String()), slog.String("relation", q.relation),
		slog.String("user", q.user.String()), slog.Bool("allowed", allowed),
		slog.Int("contextual_tuples", len(q.contextual)))
}

// readScope does what every read does before it asks the engine: wait for
// the requested consistency and require a model. It answers errors itself
// and returns the revision the answer reflects at least (read before
// evaluating).
func (s *Server) readScope(c *gin.Context, svc store.Service, cons *consistency) (uint64, bool) {
	if !s.consistent(c, cons) || !s.requireModel(c, svc.ID) {
		return 0, false
	}
	return s.cfg.Sync.Applied(), true
}
