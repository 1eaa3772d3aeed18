package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"
)

// UserAuthenticator authenticates requests made on behalf of a user: a
// Sentinel access or authz token as the bearer, or the IdP token as the
// bearer plus an authz token in X-Authz-Token (identity.Authenticator).
type UserAuthenticator interface {
	Authenticate(ctx context.Context, bearer, authzToken string) (sentineltoken.Claims, error)
}

const userClaimsCtx = "sentinel.user"

// compatUserAuth is the original's JWT authentication of user routes.
// Revoked tokens and deactivated users are refused here like forged ones.
func (s *Server) compatUserAuth(c *gin.Context) {
	s.authenticateUser(c, bearerToken(c), strings.TrimSpace(c.GetHeader("X-Authz-Token")))
}

// bearerToken is the token of "Authorization: Bearer", or "".
func bearerToken(c *gin.Context) string {
	if h := c.GetHeader("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticateUser authenticates the user of a request from its bearer
// (and, for the IdP + authz pair, authz token) and puts the claims in the
// context, or answers 401 (503 if the check itself failed).
func (s *Server) authenticateUser(c *gin.Context, bearer, authz string) {
	if s.cfg.UserAuth == nil || bearer == "" {
		failDetail(c, http.StatusUnauthorized, "Not authenticated")
		return
	}
	claims, err := s.cfg.UserAuth.Authenticate(c.Request.Context(), bearer, authz)
	if err != nil {
		if errors.Is(err, sentineltoken.ErrInvalidToken) {
			failDetail(c, http.StatusUnauthorized, "Invalid token: "+strings.TrimPrefix(err.Error(), sentineltoken.ErrInvalidToken.Error()+": "))
			return
		}
		s.log.Error("user authentication failed", "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Authentication unavailable")
		return
	}
	c.Set(userClaimsCtx, claims)
	c.Next()
}

type meResponse struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	AvatarURL *string   `json:"avatar_url"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
}

// usersMe is the original's GET /users/me.
func (s *Server) usersMe(c *gin.Context) {
	claims := c.MustGet(userClaimsCtx).(sentineltoken.Claims)
	u, err := s.cfg.Users.UserByID(c.Request.Context(), claims.Subject)
	if err != nil {
		// The token verified, so the user existed and was active a moment ago.
		s.log.Error("users/me: read user", "user", claims.Subject, "err", err)
		failDetail(c, http.StatusServiceUnavailable, "User unavailable")
		return
	}
	var avatar *string // the original sends null for no avatar
	if u.AvatarURL != "" {
		avatar = &u.AvatarURL
	}
	c.JSON(http.StatusOK, meResponse{ID: u.ID, Email: u.Email, Name: u.Name, AvatarURL: avatar, IsActive: u.Active, CreatedAt: u.CreatedAt})
}
