package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

type usersMePatch struct {
	Name      *string `json:"name"`
	AvatarURL *string `json:"avatar_url"`
}

// patchUsersMe is the original's PATCH /users/me {name?, avatar_url?}: the
// fields sent and not null change; the answer is GET /users/me's.
//
// Stricter than the original, which stored any string: a name is 1 to 255
// characters once trimmed, and avatar_url is "" (no avatar) or an absolute
// http(s) URL of at most 2048 characters, since it ends up in img tags.
func (s *Server) patchUsersMe(c *gin.Context) {
	var req usersMePatch
	if !bindLenient(c, &req) {
		return
	}
	detail := map[string]any{}
	if req.Name != nil {
		name, ok := wsName(c, "name", *req.Name)
		if !ok {
			return
		}
		req.Name, detail["name"] = &name, name
	}
	if req.AvatarURL != nil {
		avatar := strings.TrimSpace(*req.AvatarURL)
		if avatar != "" && !usersMeAvatarOK(avatar) {
			failDetail(c, http.StatusUnprocessableEntity, "avatar_url must be an http or https URL")
			return
		}
		req.AvatarURL, detail["avatar_url"] = &avatar, avatar
	}
	claims := wsClaims(c)
	u, err := s.cfg.Store.UpdateUserProfile(wsRecord(c, claims, store.ActivityEntry{Action: "user.profile_updated",
		TargetType: "user", TargetID: claims.Subject}, detail), claims.Subject, req.Name, req.AvatarURL)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "User not found")
		return
	case err != nil:
		s.wsInternal(c, "update profile", err)
		return
	}
	if len(detail) > 0 {
		s.wsCommitted(c)
	}
	c.JSON(http.StatusOK, meResponse{ID: u.ID, Email: u.Email, Name: u.Name, AvatarURL: wsNullable(u.AvatarURL),
		IsActive: u.Active, CreatedAt: u.CreatedAt})
}

// usersMeAvatarOK reports whether v is an absolute http(s) URL with a host.
func usersMeAvatarOK(v string) bool {
	if len(v) > 2048 {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}
