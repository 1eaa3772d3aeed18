package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/revision"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

type change struct {
	Revision  string     `json:"revision"`
	Operation store.Op   `json:"operation"`
	Tuple     *tuple.Key `json:"tuple,omitempty"`
	ModelID   string     `json:"model_id,omitempty"`
	Timestamp time.Time  `json:"timestamp"`
}

type changesResponse struct {
	Changes []change `json:"changes"`
	// ContinuationToken is the revision to pass as "after" for the next
	// page; it stays the same when there is nothing new.
	ContinuationToken string `json:"continuation_token"`
}

// changes pages through the caller's service changelog after a revision.
func (s *Server) changes(c *gin.Context) {
	after, err := revision.Decode(c.Query("after"))
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, `"after" must be a revision token returned by this server`)
		return
	}
	size, ok := pageSize(c, 100, 1000)
	if !ok {
		return
	}
	rows, err := s.cfg.Store.Changes(c.Request.Context(), service(c).ID, after, size)
	if err != nil {
		s.failErr(c, err)
		return
	}
	out := changesResponse{Changes: make([]change, len(rows)), ContinuationToken: token(after)}
	for i, r := range rows {
		ch := change{Revision: token(r.Revision), Operation: r.Op, Timestamp: r.At}
		if r.Op == store.OpModel {
			ch.ModelID = r.ModelID
		} else {
			k := r.Tuple.Key()
			ch.Tuple = &k
		}
		out.Changes[i] = ch
		out.ContinuationToken = ch.Revision
	}
	c.JSON(http.StatusOK, out)
}
