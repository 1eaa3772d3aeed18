package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/login"
	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// The original's proxy-mode login (COMPAT.md "Proxy mode login"): Sentinel
// runs the IdP login, a client app redeems a one-time code with PKCE for
// access and refresh tokens. The flows are identity/login's; this file
// maps them to the original's routes, statuses and {"detail"} errors.

// LoginFlows runs the login flows (login.Service).
type LoginFlows interface {
	Providers() []string
	Begin(ctx context.Context, r login.Request) (string, error)
	Callback(ctx context.Context, provider, browser string, q url.Values) (string, error)
	Workspaces(ctx context.Context, code, verifier string) ([]exchange.Workspace, error)
	Token(ctx context.Context, code, workspaceID, verifier string) (login.Tokens, error)
	Refresh(ctx context.Context, raw string) (login.Tokens, error)
	Logout(ctx context.Context, rawAccess string) error
	BeginAdmin(ctx context.Context, provider, browser string) (string, error)
	AdminCallback(ctx context.Context, provider, browser string, q url.Values) (login.AdminSession, error)
	VerifyAdmin(ctx context.Context, raw string) (sentineltoken.Claims, store.User, error)
	AdminLogout(ctx context.Context, raw string) error
	BeginGitHub(ctx context.Context, redirectURI, nonce, browser string) (string, error)
	GitHubCallback(ctx context.Context, browser string, q url.Values) (string, error)
}

// compatLoginRoutes registers the login routes (this file,
// compat_auth_admin.go, compat_authz_github.go).
func (s *Server) compatLoginRoutes(r *gin.Engine) {
	r.GET("/auth/providers", s.authProviders)
	r.GET("/auth/login/:provider", s.withLogin, s.authLogin)
	r.GET("/auth/callback/:provider", s.withLogin, s.authCallback)
	r.POST("/auth/workspaces", s.withLogin, s.authWorkspaces)
	r.POST("/auth/token", s.withLogin, s.authToken)
	r.POST("/auth/refresh", s.withLogin, s.authRefresh)
	r.POST("/auth/logout", s.withLogin, s.authLogout)
	r.GET("/auth/admin/login/:provider", s.withLogin, s.adminLogin)
	r.GET("/auth/admin/callback/:provider", s.withLogin, s.adminCallback)
	r.GET("/auth/admin/me", s.withLogin, s.adminMe)
	r.POST("/auth/admin/logout", s.withLogin, s.adminLogout)
	r.GET("/authz/idp/github/login", s.withLogin, s.githubLogin)
	r.GET("/authz/idp/github/callback", s.withLogin, s.githubCallback)
}

// withLogin answers 404 when no provider has a login block.
func (s *Server) withLogin(c *gin.Context) {
	if s.cfg.Login == nil {
		failDetail(c, http.StatusNotFound, "Login is not configured on this server")
		return
	}
	c.Next()
}

// failLogin answers a flow's error in the original's shape: the client's
// mistakes with their reason, an outage as a logged 503.
func (s *Server) failLogin(c *gin.Context, err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, login.ErrUnknownProvider):
		p := c.Param("provider")
		if p == "" { // the GitHub routes name no provider
			p = login.GitHubProvider
		}
		failDetail(c, http.StatusBadRequest, "Unsupported provider: "+p)
	case errors.Is(err, login.ErrInvalidRequest), errors.Is(err, login.ErrInvalidState),
		errors.Is(err, login.ErrInvalidCode), errors.Is(err, login.ErrCodeVerifier), errors.Is(err, login.ErrLoginFailed):
		failDetail(c, http.StatusBadRequest, msg)
	case errors.Is(err, login.ErrInvalidToken):
		failDetail(c, http.StatusUnauthorized, msg)
	case errors.Is(err, login.ErrNotMember):
		failDetail(c, http.StatusForbidden, "Not a member of this workspace")
	case errors.Is(err, login.ErrInactive):
		failDetail(c, http.StatusForbidden, "User is deactivated")
	case errors.Is(err, login.ErrNotAdmin):
		failDetail(c, http.StatusForbidden, "Admin access required")
	default:
		s.log.Error("login failed", "path", c.FullPath(), "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Login unavailable")
	}
}

// authProviders is GET /auth/providers: the providers a user can log in
// with (none when login is not configured).
func (s *Server) authProviders(c *gin.Context) {
	names := []string{}
	if s.cfg.Login != nil {
		names = s.cfg.Login.Providers()
	}
	c.JSON(http.StatusOK, gin.H{"providers": names})
}

// authLogin is GET /auth/login/{provider}: 302 to the IdP, with the
// login cookie (login_browser.go).
func (s *Server) authLogin(c *gin.Context) {
	browser := s.newLoginBinding(c)
	to, err := s.cfg.Login.Begin(c.Request.Context(), login.Request{
		Provider: c.Param("provider"), ClientID: c.Query("client_id"), RedirectURI: c.Query("redirect_uri"),
		CodeChallenge: c.Query("code_challenge"), CodeChallengeMethod: c.Query("code_challenge_method"), State: c.Query("state"),
		Browser: browser,
	})
	if err != nil {
		s.failLogin(c, err)
		return
	}
	s.setLoginCookie(c, browser)
	noStore(c)
	c.Redirect(http.StatusFound, to)
}

// authCallback is GET /auth/callback/{provider}: 302 to the client app's
// redirect URI with a one-time code, or with an OAuth error once the
// login's state is known, in the browser that started the login.
func (s *Server) authCallback(c *gin.Context) {
	to, err := s.cfg.Login.Callback(c.Request.Context(), c.Param("provider"), s.loginBinding(c), c.Request.URL.Query())
	if to == "" {
		s.failLogin(c, err)
		return
	}
	if err != nil {
		s.log.Info("proxy-mode login refused", "provider", c.Param("provider"), "err", err)
	}
	noStore(c)
	c.Redirect(http.StatusFound, to)
}

// noStore keeps codes and tokens out of caches.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
}

type codeRequest struct {
	Code         string `json:"code"`
	CodeVerifier string `json:"code_verifier"`
	WorkspaceID  string `json:"workspace_id"`
}

// bindCode reads {code, code_verifier[, workspace_id]}; missing fields are
// the original's 422.
func bindCode(c *gin.Context, workspace bool) (codeRequest, bool) {
	var req codeRequest
	if !bindLenient(c, &req) {
		return req, false
	}
	var missing []string
	if req.Code == "" {
		missing = append(missing, "code")
	}
	if workspace && req.WorkspaceID == "" {
		missing = append(missing, "workspace_id")
	}
	if req.CodeVerifier == "" {
		missing = append(missing, "code_verifier")
	}
	if len(missing) > 0 {
		failDetail(c, http.StatusUnprocessableEntity, "Field required: "+strings.Join(missing, ", "))
		return req, false
	}
	return req, true
}

// authWorkspaces is POST /auth/workspaces: the code's user's workspaces;
// the code stays usable.
func (s *Server) authWorkspaces(c *gin.Context) {
	req, ok := bindCode(c, false)
	if !ok {
		return
	}
	ws, err := s.cfg.Login.Workspaces(c.Request.Context(), req.Code, req.CodeVerifier)
	if err != nil {
		s.failLogin(c, err)
		return
	}
	noStore(c)
	c.JSON(http.StatusOK, ws)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func writeTokens(c *gin.Context, t login.Tokens) {
	noStore(c)
	c.JSON(http.StatusOK, tokenResponse{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: "bearer", ExpiresIn: int(t.ExpiresIn / time.Second)})
}

// authToken is POST /auth/token: the code, used up, for a token pair.
func (s *Server) authToken(c *gin.Context) {
	req, ok := bindCode(c, true)
	if !ok {
		return
	}
	t, err := s.cfg.Login.Token(c.Request.Context(), req.Code, req.WorkspaceID, req.CodeVerifier)
	if err != nil {
		s.failLogin(c, err)
		return
	}
	writeTokens(c, t)
}

// authRefresh is POST /auth/refresh: rotation; a spent refresh token
// revokes its family.
func (s *Server) authRefresh(c *gin.Context) {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if !bindLenient(c, &req) {
		return
	}
	if req.RefreshToken == "" {
		failDetail(c, http.StatusUnprocessableEntity, "Field required: refresh_token")
		return
	}
	t, err := s.cfg.Login.Refresh(c.Request.Context(), req.RefreshToken)
	if err != nil {
		s.failLogin(c, err)
		return
	}
	writeTokens(c, t)
}

// authLogout is POST /auth/logout with the access token as the bearer:
// the user's refresh families are revoked and the token denylisted.
func (s *Server) authLogout(c *gin.Context) {
	bearer := ""
	if h := c.GetHeader("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		bearer = strings.TrimSpace(h[7:])
	}
	if bearer == "" {
		failDetail(c, http.StatusUnauthorized, "Not authenticated")
		return
	}
	if err := s.cfg.Login.Logout(c.Request.Context(), bearer); err != nil {
		s.failLogin(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
}
