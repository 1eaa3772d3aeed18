package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// UserAdmin is the part of the store the admin user routes use.
type UserAdmin interface {
	UserByID(ctx context.Context, id string) (store.User, error)
	SetUserActive(ctx context.Context, id string, active bool) error
}

type adminUserJSON struct {
	userJSON
	IsAdmin bool `json:"is_admin"`
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.cfg.Users.UserByID(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, adminUserJSON{userOf(u), u.Admin})
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
	if err := s.cfg.Users.SetUserActive(ctx, c.Param("id"), *req.IsActive); err != nil {
		s.failErr(c, err)
		return
	}
	action := actionUserDeactivated
	if *req.IsActive {
		action = actionUserActivated
	}
	s.recordActivity(c, nil, store.ActivityEntry{Action: action, TargetType: "user", TargetID: c.Param("id")},
		map[string]any{"is_active": *req.IsActive})
	u, err := s.cfg.Users.UserByID(ctx, c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, adminUserJSON{userOf(u), u.Admin})
}
