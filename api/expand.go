package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

type expandRequest struct {
	Object      string       `json:"object"`
	Relation    string       `json:"relation"`
	Consistency *consistency `json:"consistency"`
}

type expandResponse struct {
	Tree     *engine.UsersetTree `json:"tree"`
	Revision string              `json:"revision"`
}

// expand answers the one-level userset tree of object#relation.
func (s *Server) expand(c *gin.Context, svc store.Service) {
	var req expandRequest
	if !bindQuery(c, &req) {
		return
	}
	obj, err := tuple.ParseObject(req.Object)
	if err == nil {
		err = parseRelation("relation", req.Relation)
	}
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	rev, ok := s.readScope(c, svc, req.Consistency)
	if !ok {
		return
	}
	tree, err := s.cfg.Engine.Expand(c.Request.Context(), svc.ID, engine.ExpandRequest{Object: obj, Relation: req.Relation})
	if err != nil {
		s.failErr(c, err)
		return
	}
	s.respond(c, http.StatusOK, expandResponse{Tree: tree, Revision: token(rev)})
}
