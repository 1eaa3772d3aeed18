package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

type readiness struct {
	Ready    bool   `json:"ready"`
	Store    string `json:"store"`
	Failing  int    `json:"models_failing,omitempty"`
	Applied  string `json:"revision"`
	AppliedN uint64 `json:"applied_revision"`
	HeadN    uint64 `json:"head_revision"`
	Lag      uint64 `json:"lag"`
}

// catchUpGrace is how long readyz lets datasync reach the head it just read
// before calling it behind: under steady writes the head always moves.
const catchUpGrace = 250 * time.Millisecond

// readyz reports whether this replica should get traffic: the store
// answers, every current model loads, and datasync has caught up. It is
// unauthenticated (load balancers call it), so it says how many models
// fail but not whose or why, and not the store's error: those go to the
// log (datasync logs each model's compile error when it happens).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	r := readiness{Ready: true, Store: "ok"}
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("readyz: store ping failed", "err", err)
		r.Ready, r.Store = false, "unreachable"
	}
	if errs := s.cfg.Sync.ModelErrors(); len(errs) > 0 {
		r.Ready, r.Failing = false, len(errs)
	}
	applied, head, err := s.cfg.Sync.Lag(ctx)
	if err != nil {
		s.log.Warn("readyz: reading the changelog head failed", "err", err)
		r.Ready, r.Store = false, "unreachable"
	} else if applied < head {
		wctx, wcancel := context.WithTimeout(ctx, catchUpGrace)
		if s.cfg.Sync.WaitFor(wctx, head) != nil {
			r.Ready = false
		}
		wcancel()
		applied = s.cfg.Sync.Applied()
	}
	r.AppliedN, r.HeadN, r.Applied = applied, head, token(applied)
	if head > applied {
		r.Lag = head - applied
	}
	status := http.StatusOK
	if !r.Ready {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, r)
}
