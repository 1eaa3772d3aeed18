package api

import (
	"crypto/rand"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// The login cookie binds a login to the browser that started it
// (identity/login's start and take): the routes that send a browser to an
// IdP (/auth/login, /auth/admin/login, /authz/idp/github/login) set it,
// and their callbacks refuse a state presented without it. So a callback
// URL an attacker got for their own login finishes nowhere but in the
// attacker's browser (login CSRF).
//
// The cookie holds a random value of its own, never the state, and is
// reused across logins so that two tabs can log in at once. It is
// HttpOnly, SameSite=Lax (the IdP's redirect back is a cross-site
// top-level navigation, which Lax lets through and Strict would not), and
// on an https server Secure with the __Host- prefix, which a sibling
// subdomain cannot set or overwrite (no cookie tossing).

// loginCookie is the cookie's name on a plain-http (development) server.
const loginCookie = "sentinel_login"

// loginCookieMaxAge outlives a login state (10 minutes).
const loginCookieMaxAge = time.Hour

// loginBindingRE is the form of a binding (crypto/rand.Text).
var loginBindingRE = regexp.MustCompile(`^[A-Z2-7]{26}$`)

// secureCookies: the server's public URL is https, so its cookies are
// Secure.
func (s *Server) secureCookies() bool {
	return strings.HasPrefix(strings.ToLower(s.cfg.IssuerURL), "https://")
}

func (s *Server) loginCookieName() string {
	if s.secureCookies() {
		return "__Host-" + loginCookie
	}
	return loginCookie
}

// loginBinding is the request's login binding, or "" when it has none
// (or a malformed one).
func (s *Server) loginBinding(c *gin.Context) string {
	v, err := c.Cookie(s.loginCookieName())
	if err != nil || !loginBindingRE.MatchString(v) {
		return ""
	}
	return v
}

// newLoginBinding is the binding a login starts with: the browser's own,
// or a fresh one. setLoginCookie hands it to the browser.
func (s *Server) newLoginBinding(c *gin.Context) string {
	if v := s.loginBinding(c); v != "" {
		return v
	}
	return rand.Text()
}

// setLoginCookie (re)sets the login cookie to binding.
func (s *Server) setLoginCookie(c *gin.Context, binding string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.loginCookieName(), Value: binding, Path: "/", MaxAge: int(loginCookieMaxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(),
	})
}
