package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/servicekey"
)

// The original Sentinel's routes (../shared/COMPAT.md): its paths, status
// codes and JSON shapes, errors as {"detail": "..."}.

// failDetail answers an error of the original's handlers: {"detail": ...},
// or the native envelope when the handler serves a native route
// (native_mode.go).
func failDetail(c *gin.Context, status int, detail string) {
	if isNative(c) {
		failNative(c, status, detail)
		return
	}
	c.AbortWithStatusJSON(status, gin.H{"detail": detail})
}

// compatServiceAuth is the original's SK authentication: X-Service-Key only.
func (s *Server) compatServiceAuth(c *gin.Context) {
	secret := c.GetHeader("X-Service-Key")
	if secret == "" {
		failDetail(c, http.StatusUnauthorized, "Missing service key")
		return
	}
	svc, _, err := s.cfg.Keys.Authenticate(c.Request.Context(), secret)
	if err != nil {
		if errors.Is(err, servicekey.ErrInvalid) {
			failDetail(c, http.StatusUnauthorized, "Invalid service key")
			return
		}
		s.log.Error("service key check failed", "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Service unavailable")
		return
	}
	c.Set(serviceKeyCtx, svc)
	c.Next()
}

// bindLenient decodes a JSON body like the original's pydantic models:
// unknown fields are ignored, malformed JSON is a 422. On a native route it
// decodes strictly instead (bind: unknown fields, an empty body or trailing
// data are a 400).
func bindLenient(c *gin.Context, v any) bool {
	if isNative(c) {
		return bind(c, v)
	}
	body, err := io.ReadAll(c.Request.Body)
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, "Invalid request body: "+err.Error())
		return false
	}
	return true
}

type resolveRequest struct {
	IDPToken    string `json:"idp_token"`
	Provider    string `json:"provider"`
	WorkspaceID string `json:"workspace_id"`
	Nonce       string `json:"nonce"`
}

type resolveUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

type resolveWorkspace struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Role string `json:"role"`
}

type resolveResponse struct {
	User       resolveUser          `json:"user"`
	Workspace  *resolveWorkspace    `json:"workspace,omitempty"`
	AuthzToken string               `json:"authz_token,omitempty"`
	ExpiresIn  int                  `json:"expires_in,omitempty"`
	Workspaces []exchange.Workspace `json:"workspaces,omitempty"`
}

// authzResolve is the original's POST /authz/resolve: without a workspace
// only the user's workspaces; with one, an authz token for it. An invalid
// IdP token is a 400 there (not 401).
func (s *Server) authzResolve(c *gin.Context) {
	var req resolveRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.IDPToken == "" || req.Provider == "" {
		failDetail(c, http.StatusUnprocessableEntity, "idp_token and provider are required")
		return
	}
	if s.cfg.Exchanger == nil {
		failDetail(c, http.StatusBadRequest, "Unsupported provider: "+req.Provider)
		return
	}
	svc := service(c)
	res, err := s.cfg.Exchanger.Exchange(c.Request.Context(), exchange.Request{
		ServiceID: svc.ID, ServiceName: svc.Name, Provider: req.Provider,
		IDPToken: req.IDPToken, WorkspaceID: req.WorkspaceID,
	})
	if err != nil {
		status, _, safe := exchangeStatus(err)
		switch {
		case !safe:
			s.log.Error("identity exchange failed", "err", err)
			failDetail(c, status, "Identity verification unavailable")
		case errors.Is(err, exchange.ErrUnknownProvider):
			failDetail(c, http.StatusBadRequest, "Unsupported provider: "+req.Provider)
		case status == http.StatusUnauthorized:
			failDetail(c, http.StatusBadRequest, "Invalid IdP token: "+err.Error())
		default:
			failDetail(c, status, err.Error())
		}
		return
	}
	out := resolveResponse{User: resolveUser{ID: res.User.ID, Email: res.User.Email, Name: res.User.Name}}
	if res.Workspace == nil {
		out.Workspaces = res.Workspaces
		if out.Workspaces == nil {
			out.Workspaces = []exchange.Workspace{}
		}
		c.JSON(http.StatusOK, compatWorkspaces{out})
		return
	}
	out.Workspace = &resolveWorkspace{ID: res.Workspace.ID, Slug: res.Workspace.Slug, Role: res.Workspace.Role}
	out.AuthzToken, out.ExpiresIn = res.Token, int(res.ExpiresIn/time.Second)
	c.JSON(http.StatusOK, out)
}

// compatWorkspaces writes "workspaces" even when empty (omitempty would
// drop an empty list, and the original always sends it).
type compatWorkspaces struct{ r resolveResponse }

func (w compatWorkspaces) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		User       resolveUser          `json:"user"`
		Workspaces []exchange.Workspace `json:"workspaces"`
	}{w.r.User, w.r.Workspaces})
}

func (s *Server) health(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// settleHead waits (bounded, see settle) until this replica's engine
// reflects every write committed so far, so the caller's next check here
// sees its own change, as the original's SQL-backed answers did. Call it
// after a store mutation that has no revision of its own.
func (s *Server) settleHead(ctx context.Context) {
	head, err := s.cfg.Store.HeadRevision(ctx)
	if err != nil {
		s.log.Warn("read head revision after a write", "err", err)
		return
	}
	s.cfg.Sync.Poke()
	s.settle(ctx, head)
}
