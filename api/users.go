package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// UserAdmin is the part of the store the admin user routes use.
type UserAdmin interface {
	UserByID(ctx context.Context, id string) (store.User, error)
	SetUserActive(ctx context.Context, id string, active bool) error
	RevokeUserTokens(ctx context.Context, id string, at time.Time) error
}

type adminUserJSON struct {
	userJSON
	IsAdmin bool `json:"is_admin"`
	// TokensValidAfter: the user's tokens issued before it are refused
	// (null: never revoked).
	TokensValidAfter *time.Time `json:"tokens_valid_after"`
}

func adminUserOf(u store.User) adminUserJSON {
	return adminUserJSON{userOf(u), u.Admin, u.TokensValidAfter}
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.cfg.Users.UserByID(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, adminUserOf(u))
}

type patchUserRequest struct {
	IsActive *bool `json:"is_active"`
}

// patchUser activates or deactivates a user. Deactivation takes effect on
// every replica as soon as it syncs: the user's tokens of every kind stop
// verifying and no new ones are issued.
func (s *Server) patchUser(c *gin.Context) {
	var req patchUserRequest
	if !bind(c, &req) {
		return
	}
	if req.IsActive == nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, "nothing to change: send is_active")
		return
	}
	ctx := c.Request.Context()
	action := actionUserDeactivated
	if *req.IsActive {
		action = actionUserActivated
	}
	rec := record(ctx, adminBy(ctx), act{store.ActivityEntry{Action: action, TargetType: "user", TargetID: c.Param("id")},
		map[string]any{"is_active": *req.IsActive}})
	if err := s.cfg.Users.SetUserActive(rec, c.Param("id"), *req.IsActive); err != nil {
		s.failErr(c, err)
		return
	}
	u, err := s.cfg.Users.UserByID(ctx, c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, adminUserOf(u))
}

// actionUserTokensRevoked is the activity of revokeUserTokens.
const actionUserTokensRevoked = "user.tokens_revoked"

// revokeUserTokens is POST /v1/admin/users/{id}/revoke-tokens: every token
// the user holds (access, refresh, admin, authz) stops verifying on every
// replica as soon as it syncs, and on this one before the answer; tokens
// issued from the next whole second on are valid. It answers the user,
// with tokens_valid_after.
func (s *Server) revokeUserTokens(c *gin.Context) {
	ctx := c.Request.Context()
	id, at := c.Param("id"), time.Now().UTC()
	rec := record(ctx, adminBy(ctx), act{store.ActivityEntry{Action: actionUserTokensRevoked, TargetType: "user", TargetID: id},
		map[string]any{"revoked_at": at}})
	if err := s.cfg.Users.RevokeUserTokens(rec, id, at); err != nil {
		s.failErr(c, err)
		return
	}
	s.settleHead(ctx)
	u, err := s.cfg.Users.UserByID(ctx, id)
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, adminUserOf(u))
}
