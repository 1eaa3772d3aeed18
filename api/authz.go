package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// Exchanger turns IdP tokens into users and authz tokens (identity/exchange).
type Exchanger interface {
	Exchange(ctx context.Context, r exchange.Request) (exchange.Result, error)
	Mint(ctx context.Context, res exchange.Result, serviceID, serviceName string) (exchange.Result, error)
}

// Tokens verifies and revokes Sentinel's own JWTs.
type Tokens interface {
	// Introspect verifies a token of any kind — signature, expiry,
	// denylist, user status — and returns its claims. A token that fails
	// is an error wrapping sentineltoken.ErrInvalidToken; a failure to check it
	// (denylist unreachable) wraps sentineltoken.ErrCheckFailed.
	Introspect(ctx context.Context, raw string) (map[string]any, error)
	// Revoke denylists the token's jti until it expires; the token must
	// verify first.
	Revoke(ctx context.Context, raw string) error
}

type authzTokenRequest struct {
	IDPToken    string `json:"idp_token"`
	Provider    string `json:"provider"`
	WorkspaceID string `json:"workspace_id"`
}

type userJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	AvatarURL string    `json:"avatar_url"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
}

func userOf(u store.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, AvatarURL: u.AvatarURL, IsActive: u.Active, CreatedAt: u.CreatedAt}
}

type authzTokenResponse struct {
	User       userJSON             `json:"user"`
	Workspaces []exchange.Workspace `json:"workspaces,omitempty"`
	Workspace  *exchange.Workspace  `json:"workspace,omitempty"`
	AuthzToken string               `json:"authz_token"`
	ExpiresIn  int                  `json:"expires_in"`
}

// authzToken exchanges an IdP token for an authz token of the caller's
// service: for the workspace asked for, or, without one, a workspace-less
// token plus the user's workspaces.
func (s *Server) authzToken(c *gin.Context) {
	var req authzTokenRequest
	if !bind(c, &req) {
		return
	}
	if s.cfg.Exchanger == nil {
		fail(c, http.StatusServiceUnavailable, codeUnavailable, "no identity provider is configured")
		return
	}
	svc := service(c)
	ctx := c.Request.Context()
	res, err := s.cfg.Exchanger.Exchange(ctx, exchange.Request{
		ServiceID: svc.ID, ServiceName: svc.Name, Provider: req.Provider, IDPToken: req.IDPToken, WorkspaceID: req.WorkspaceID,
	})
	if err == nil && req.WorkspaceID == "" {
		res, err = s.cfg.Exchanger.Mint(ctx, res, svc.ID, svc.Name)
	}
	if err != nil {
		s.failExchange(c, err)
		return
	}
	c.JSON(http.StatusOK, authzTokenResponse{
		User: userOf(res.User), Workspaces: res.Workspaces, Workspace: res.Workspace,
		AuthzToken: res.Token, ExpiresIn: int(res.ExpiresIn / time.Second),
	})
}

// exchangeStatus maps an exchange error to its status, native code and
// whether its message is safe to show.
func exchangeStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, exchange.ErrUnknownProvider):
		return http.StatusBadRequest, codeInvalidArgument, true
	case errors.Is(err, exchange.ErrInvalidToken), errors.Is(err, exchange.ErrEmailUnverified):
		return http.StatusUnauthorized, codeUnauthenticated, true
	case errors.Is(err, exchange.ErrEmailTaken):
		return http.StatusConflict, codeConflict, true
	case errors.Is(err, exchange.ErrInactive), errors.Is(err, exchange.ErrNotMember):
		return http.StatusForbidden, codeForbidden, true
	}
	return http.StatusServiceUnavailable, codeUnavailable, false
}

func (s *Server) failExchange(c *gin.Context, err error) {
	status, code, safe := exchangeStatus(err)
	if !safe {
		s.log.Error("identity exchange failed", "err", err)
		fail(c, status, code, "identity verification is unavailable; try again")
		return
	}
	fail(c, status, code, err.Error())
}

type tokenRequest struct {
	Token string `json:"token"`
}

type introspectResponse struct {
	Active bool           `json:"active"`
	Claims map[string]any `json:"claims,omitempty"`
	Reason string         `json:"reason,omitempty"`
}

// introspect verifies a Sentinel token server-side, denylist and user
// status included (what offline verification cannot know). A token bound
// to another service (svc) is reported inactive.
func (s *Server) introspect(c *gin.Context) {
	var req tokenRequest
	if !bind(c, &req) {
		return
	}
	claims, err := s.verifyOwnToken(c, req.Token)
	if errors.Is(err, sentineltoken.ErrInvalidToken) {
		c.JSON(http.StatusOK, introspectResponse{Active: false, Reason: err.Error()})
		return
	}
	if err != nil {
		s.log.Error("introspect failed", "err", err)
		fail(c, http.StatusServiceUnavailable, codeUnavailable, "token verification is unavailable; try again")
		return
	}
	c.JSON(http.StatusOK, introspectResponse{Active: true, Claims: claims})
}

// revokeToken denylists a token of the caller's service until it expires.
func (s *Server) revokeToken(c *gin.Context) {
	var req tokenRequest
	if !bind(c, &req) {
		return
	}
	if _, err := s.verifyOwnToken(c, req.Token); err != nil {
		if errors.Is(err, sentineltoken.ErrInvalidToken) {
			fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
			return
		}
		s.log.Error("revoke: verify failed", "err", err)
		fail(c, http.StatusServiceUnavailable, codeUnavailable, "token verification is unavailable; try again")
		return
	}
	if err := s.cfg.Tokens.Revoke(c.Request.Context(), req.Token); err != nil {
		s.log.Error("revoke failed", "err", err)
		fail(c, http.StatusServiceUnavailable, codeUnavailable, "could not revoke the token; try again")
		return
	}
	c.JSON(http.StatusOK, gin.H{"revoked": true})
}

// verifyOwnToken verifies raw and requires that a token naming a service
// names the caller's.
func (s *Server) verifyOwnToken(c *gin.Context, raw string) (map[string]any, error) {
	if s.cfg.Tokens == nil {
		return nil, errors.New("token verification is not configured")
	}
	if raw == "" {
		return nil, fmt.Errorf("%w: token is empty", sentineltoken.ErrInvalidToken)
	}
	claims, err := s.cfg.Tokens.Introspect(c.Request.Context(), raw)
	if err != nil {
		return nil, err
	}
	if svc, ok := claims["svc"].(string); ok && svc != service(c).Name {
		return nil, fmt.Errorf("%w: the token was issued to another service", sentineltoken.ErrInvalidToken)
	}
	return claims, nil
}
