package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/store"
)

// The admin console's login (COMPAT.md "Admin login"): an administrator
// logs in at an IdP and gets the admin_token cookie, an admin_access
// token that compatAdminAuth accepts like the admin key. The cookie is
// HttpOnly (no script reads it), SameSite=Strict (no other site's page
// sends it) and Secure when the server's URL is https; mutations also need
// X-Requested-With, which a cross-site form cannot set.

// adminCookie is the cookie's name, the original's.
const adminCookie = "admin_token"

// adminActorCtx carries the administrator a request acts as when it came
// with the admin_token cookie, so the activity log names them.
type adminActorCtx struct{}

type adminActor struct{ id, label string }

// withAdminActor records the cookie's administrator on the request.
func withAdminActor(c *gin.Context, u store.User) {
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), adminActorCtx{}, adminActor{id: u.ID, label: u.Email}))
}

// adminActorOf is the administrator of a cookie-authenticated request.
func adminActorOf(ctx context.Context) (adminActor, bool) {
	a, ok := ctx.Value(adminActorCtx{}).(adminActor)
	return a, ok
}

// adminFromCookie authenticates the admin_token cookie: ok is false when
// there is none (the caller answers 401), and a refused cookie, or one
// sent by a page of another origin than Sentinel's or the admin
// console's (admin_cookie_origin.go), has been answered already
// (handled).
func (s *Server) adminFromCookie(c *gin.Context) (u store.User, ok, handled bool) {
	raw, err := c.Cookie(adminCookie)
	if err != nil || raw == "" || s.cfg.Login == nil {
		return store.User{}, false, false
	}
	if !s.adminCookieOrigin(c.GetHeader("Origin")) {
		failDetail(c, http.StatusForbidden, "This origin may not use the admin session")
		return store.User{}, false, true
	}
	_, u, err = s.cfg.Login.VerifyAdmin(c.Request.Context(), raw)
	switch {
	case errors.Is(err, login.ErrInvalidToken):
		failDetail(c, http.StatusUnauthorized, "Invalid admin session")
		return store.User{}, false, true
	case err != nil:
		s.log.Error("admin session check failed", "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Authentication unavailable")
		return store.User{}, false, true
	}
	return u, true, false
}

// setAdminCookie sets (maxAge > 0) or clears (maxAge < 0) the cookie.
func (s *Server) setAdminCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: adminCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: strings.HasPrefix(strings.ToLower(s.cfg.IssuerURL), "https://"),
	})
}

// adminLogin is GET /auth/admin/login/{provider}: 302 to the IdP, with
// the login cookie (login_browser.go).
func (s *Server) adminLogin(c *gin.Context) {
	browser := s.newLoginBinding(c)
	to, err := s.cfg.Login.BeginAdmin(c.Request.Context(), c.Param("provider"), browser)
	if err != nil {
		s.failLogin(c, err)
		return
	}
	s.setLoginCookie(c, browser)
	noStore(c)
	c.Redirect(http.StatusFound, to)
}

type adminMeResponse struct {
	ID        string  `json:"id"`
	Email     string  `json:"email"`
	Name      string  `json:"name"`
	AvatarURL *string `json:"avatar_url"`
	IsAdmin   bool    `json:"is_admin"`
}

func adminMeOf(u store.User) adminMeResponse {
	var avatar *string
	if u.AvatarURL != "" {
		avatar = &u.AvatarURL
	}
	return adminMeResponse{ID: u.ID, Email: u.Email, Name: u.Name, AvatarURL: avatar, IsAdmin: u.Admin}
}

// adminCallback is GET /auth/admin/callback/{provider}: only an active
// administrator gets the cookie; then 302 to the admin URL, or, without
// one, the admin as JSON.
func (s *Server) adminCallback(c *gin.Context) {
	sess, err := s.cfg.Login.AdminCallback(c.Request.Context(), c.Param("provider"), s.loginBinding(c), c.Request.URL.Query())
	if err != nil {
		if errors.Is(err, login.ErrNotAdmin) {
			s.log.Warn("admin login refused: not an administrator", "err", err)
		}
		s.failLogin(c, err)
		return
	}
	maxAge := int(time.Until(sess.Claims.ExpiresAt) / time.Second)
	s.setAdminCookie(c, sess.Token, max(maxAge, 1))
	noStore(c)
	if s.cfg.AdminURL != "" {
		c.Redirect(http.StatusFound, s.cfg.AdminURL)
		return
	}
	c.JSON(http.StatusOK, adminMeOf(sess.User))
}

// adminMe is GET /auth/admin/me: the administrator of the cookie.
func (s *Server) adminMe(c *gin.Context) {
	u, ok, handled := s.adminFromCookie(c)
	if handled {
		return
	}
	if !ok {
		failDetail(c, http.StatusUnauthorized, "Not authenticated")
		return
	}
	c.JSON(http.StatusOK, adminMeOf(u))
}

// adminLogout is POST /auth/admin/logout: the cookie's token is
// denylisted and the cookie cleared. Like the other admin mutations it
// needs X-Requested-With, and a page of Sentinel's or the console's
// origin.
func (s *Server) adminLogout(c *gin.Context) {
	raw, err := c.Cookie(adminCookie)
	if err != nil || raw == "" {
		failDetail(c, http.StatusUnauthorized, "Not authenticated")
		return
	}
	if !s.adminCookieOrigin(c.GetHeader("Origin")) {
		failDetail(c, http.StatusForbidden, "This origin may not use the admin session")
		return
	}
	if strings.TrimSpace(c.GetHeader("X-Requested-With")) == "" {
		failDetail(c, http.StatusForbidden, "Missing X-Requested-With header")
		return
	}
	s.setAdminCookie(c, "", -1)
	if err := s.cfg.Login.AdminLogout(c.Request.Context(), raw); err != nil {
		s.failLogin(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
}
