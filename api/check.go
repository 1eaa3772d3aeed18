package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/revision"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

type consistency struct {
	AtLeast         string `json:"at_least"`
	FullyConsistent bool   `json:"fully_consistent"`
}

type checkRequest struct {
	Object      string       `json:"object"`
	Relation    string       `json:"relation"`
	User        string       `json:"user"`
	Contextual  []tuple.Key  `json:"contextual_tuples"`
	Consistency *consistency `json:"consistency"`
	Explain     bool         `json:"explain"`
}

type checkResponse struct {
	Allowed     bool                `json:"allowed"`
	Revision    string              `json:"revision"`
	DecisionID  string              `json:"decision_id"`
	Explanation *engine.Explanation `json:"explanation,omitempty"`
}

// check answers from the engine's in-memory store only. Syntax is checked
// here; whether the type, relation, user and contextual tuples fit the model
// is the engine's judgement (ErrInvalidRequest → 400).
func (s *Server) check(c *gin.Context, svc store.Service) {
	var req checkRequest
	if !bindQuery(c, &req) {
		return
	}
	q, err := parseQuestion(req.Object, req.Relation, req.User, req.Contextual)
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	rev, ok := s.readScope(c, svc, req.Consistency)
	if !ok {
		return
	}
	res, err := s.cfg.Engine.Check(c.Request.Context(), svc.ID, engine.CheckRequest{
		Object: q.object, Relation: q.relation, User: q.user, Contextual: q.contextual, Explain: req.Explain})
	if err != nil {
		s.failErr(c, err)
		return
	}
	id := uuid.NewString()
	s.logDecision(c, id, svc.ID, q, res.Allowed)
	out := checkResponse{Allowed: res.Allowed, Revision: token(rev), DecisionID: id}
	if req.Explain {
		out.Explanation = res.Explanation
	}
	s.respond(c, http.StatusOK, out)
}

// consistent waits, bounded, until the requested revision is applied; it
// answers 400/503 itself and reports whether to go on.
func (s *Server) consistent(c *gin.Context, req *consistency) bool {
	if req == nil || (req.AtLeast == "" && !req.FullyConsistent) {
		return true
	}
	if req.AtLeast != "" && req.FullyConsistent {
		fail(c, http.StatusBadRequest, codeInvalidArgument, `consistency: give "at_least" or "fully_consistent", not both`)
		return false
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ConsistencyTimeout)
	defer cancel()
	var want uint64
	if req.FullyConsistent {
		_, head, err := s.cfg.Sync.Lag(ctx)
		if err != nil {
			s.failErr(c, err)
			return false
		}
		want = head
	} else {
		rev, err := revision.Decode(req.AtLeast)
		if err != nil {
			fail(c, http.StatusBadRequest, codeInvalidArgument, "consistency.at_least must be a revision token returned by this server")
			return false
		}
		want = rev
	}
	if err := s.cfg.Sync.WaitFor(ctx, want); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			fail(c, http.StatusServiceUnavailable, codeDeadlineExceeded,
				fmt.Sprintf("revision %s not applied within %s (applied %s); retry", token(want), s.cfg.ConsistencyTimeout, token(s.cfg.Sync.Applied())))
			return false
		}
		s.failErr(c, err)
		return false
	}
	return true
}
