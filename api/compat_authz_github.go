package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// AuthZ mode's server-side GitHub login (COMPAT.md "AuthZ mode"; the
// flow is identity/login's github.go): the app sends the browser to
// /authz/idp/github/login, GitHub sends it back to /callback, and Sentinel
// sends it on to the app's redirect URI with the GitHub access token in
// the URL fragment, for the app to call POST /authz/resolve with.

// githubLogin is GET /authz/idp/github/login?redirect_uri&nonce: 302 to
// GitHub once the redirect URI is known to belong to an app, with the
// login cookie (login_browser.go).
func (s *Server) githubLogin(c *gin.Context) {
	browser := s.newLoginBinding(c)
	to, err := s.cfg.Login.BeginGitHub(c.Request.Context(), c.Query("redirect_uri"), c.Query("nonce"), browser)
	if err != nil {
		s.failLogin(c, err)
		return
	}
	s.setLoginCookie(c, browser)
	noStore(c)
	c.Redirect(http.StatusFound, to)
}

// githubCallback is GET /authz/idp/github/callback?code&state: 302 to the
// app with the token (or GitHub's refusal) in the fragment; a state that
// is not recognized, or that another browser started, is a 400 and goes
// nowhere.
func (s *Server) githubCallback(c *gin.Context) {
	to, err := s.cfg.Login.GitHubCallback(c.Request.Context(), s.loginBinding(c), c.Request.URL.Query())
	if to == "" {
		s.failLogin(c, err)
		return
	}
	if err != nil {
		s.log.Info("GitHub login refused", "err", err)
	}
	noStore(c)
	c.Redirect(http.StatusFound, to)
}
