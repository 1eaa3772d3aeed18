package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// compatAdminAuth is the original's Admin authentication for /admin/*
// (COMPAT.md "### Admin"): our admin credential (Authorization: Bearer
// <admin key> or X-Admin-Key), or the original's admin_token cookie that
// the admin login sets (compat_auth_admin.go), errors as {"detail"}. A
// request that presents an admin key is judged by it alone. Mutations
// (POST, PUT, PATCH, DELETE) must also carry X-Requested-With, the
// original's CSRF guard ("plus X-Requested-With on mutations"): a cookie
// rides along with any cross-site request, that header never does. It is
// checked after the credential so an anonymous caller always learns only
// "401". A cookie-authenticated request acts as its administrator in the
// activity log.
func (s *Server) compatAdminAuth(c *gin.Context) {
	secret := credential(c, "X-Admin-Key")
	switch {
	case secret != "":
		if s.cfg.Admin == nil || !s.cfg.Admin.Verify(secret) {
			failDetail(c, http.StatusUnauthorized, "Invalid admin credentials")
			return
		}
	default:
		u, ok, handled := s.adminFromCookie(c)
		if handled {
			return
		}
		if !ok {
			failDetail(c, http.StatusUnauthorized, "Not authenticated")
			return
		}
		withAdminActor(c, u)
	}
	if isMutation(c.Request.Method) && strings.TrimSpace(c.GetHeader("X-Requested-With")) == "" {
		failDetail(c, http.StatusForbidden, "Missing X-Requested-With header")
		return
	}
	c.Next()
}

// isMutation reports whether method changes state (the methods the
// original's CSRF guard covers).
func isMutation(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}
