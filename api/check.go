package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/revision"
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
	Consistency *consistency `json:"consistency"`
}

type checkResponse struct {
	Allowed  bool   `json:"allowed"`
	Revision string `json:"revision"`
}

// check answers from the engine's in-memory store only.
func (s *Server) check(c *gin.Context) {
	var req checkRequest
	if !bind(c, &req) {
		return
	}
	obj, err := tuple.ParseObject(req.Object)
	var user tuple.User
	if err == nil {
		user, err = tuple.ParseUser(req.User)
	}
	if err == nil && !tuple.ValidRelation(req.Relation) {
		err = fmt.Errorf("relation %q is invalid", req.Relation)
	}
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	svc := service(c)
	if !s.consistent(c, req.Consistency) {
		return
	}
	m := s.cfg.Engine.Model(svc.ID)
	if m == nil {
		fail(c, http.StatusBadRequest, codeNoModel, "the service has no authorization model; PUT /v1/model first")
		return
	}
	if !m.HasType(obj.Type) {
		fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf("type %q is not defined in the authorization model", obj.Type))
		return
	}
	if _, ok := m.Relation(obj.Type, req.Relation); !ok {
		fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf("relation %q is not defined on type %q", req.Relation, obj.Type))
		return
	}
	if !m.HasType(user.Type) {
		fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf("user type %q is not defined in the authorization model", user.Type))
		return
	}
	// Read the revision before evaluating: the answer reflects at least it.
	rev := s.cfg.Sync.Applied()
	res, err := s.cfg.Engine.Check(c.Request.Context(), svc.ID, engine.CheckRequest{Object: obj, Relation: req.Relation, User: user})
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, checkResponse{Allowed: res.Allowed, Revision: token(rev)})
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
