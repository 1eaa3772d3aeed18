package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The native /v1 routes for the original's concepts: workspaces, members,
// invitations, groups, registered resources with their shares, and custom
// RBAC. They run the original's handlers (compat_*.go) in native mode
// (native_mode.go): native errors, strict bodies, 400 for bad input. What
// differs from the original's routes:
//
//   - Every request is a service's: the key as X-Service-Key or
//     "Authorization: Bearer sk_…" (serviceAuth). Routes that act for a
//     user also take the user's token (nativeUserAuth); a token issued to
//     another service is refused (403).
//   - Resources are addressed by their key under the key's service:
//     /v1/resources/{type}/{id}; visibility and shares too (the original
//     used the registration id for those).
//   - service_name in bodies and queries may be omitted: it is the key's.
//   - Pending invitations can be listed and withdrawn, and a group read
//     alone (native_invitations.go).
//
// Answers have the original's JSON shapes.

// nativeDirectoryRoutes registers the routes above.
func (s *Server) nativeDirectoryRoutes(r *gin.Engine) {
	p := newCompatPerm(s)
	sk := r.Group("/v1", s.nativeMode, s.serviceAuth)
	skU := sk.Group("", s.nativeUserAuth, s.compatTokenService)

	ws := skU.Group("/workspaces")
	ws.POST("", s.wsCreate)
	ws.GET("", s.wsListMine)
	ws.GET("/:id", s.wsGet)
	ws.PATCH("/:id", s.wsUpdate)
	ws.DELETE("/:id", s.wsDelete)

	ws.GET("/:id/members", s.wsMembers)
	ws.POST("/:id/members", s.wsInvite)
	ws.PATCH("/:id/members/:user_id", s.wsSetRole)
	ws.DELETE("/:id/members/:user_id", s.wsRemoveMember)
	ws.GET("/:id/invitations", s.wsInvitations)
	ws.DELETE("/:id/invitations/:email", s.wsWithdrawInvitation)

	g := ws.Group("/:id/groups")
	g.POST("", s.wsGroupCreate)
	g.GET("", s.wsGroupList)
	g.GET("/:gid", s.wsGroupGet)
	g.PATCH("/:gid", s.wsGroupUpdate)
	g.DELETE("/:gid", s.wsGroupDelete)
	g.GET("/:gid/members", s.wsGroupMembers)
	g.POST("/:gid/members/:uid", s.wsGroupAddUser)
	g.DELETE("/:gid/members/:uid", s.wsGroupRemoveUser)
	g.POST("/:gid/groups/:hid", s.wsGroupAddGroup)
	g.DELETE("/:gid/groups/:hid", s.wsGroupRemoveGroup)

	sk.POST("/resources", p.register)
	skU.POST("/resources/check", p.check)
	skU.POST("/resources/accessible", p.accessible)
	sk.GET("/resources/:type/:rid", p.getResource)
	sk.DELETE("/resources/:type/:rid", p.deregister)
	sk.GET("/resources/:type/:rid/acl", p.enriched)
	sk.PATCH("/resources/:type/:rid/visibility", p.nativeSetVisibility)
	skU.PUT("/resources/:type/:rid/shares", p.nativeShare)
	sk.DELETE("/resources/:type/:rid/shares/:grantee_type/:grantee_id", p.nativeUnshare)

	sk.POST("/rbac/actions", p.registerActions)
	skU.POST("/rbac/check-action", p.checkAction)
	skU.GET("/rbac/user-actions", p.userActions)
}

// nativeUserAuth authenticates the user a service acts for. With the key
// in X-Service-Key, the user's token is the Authorization bearer (an access
// or authz token, or the IdP token paired with X-Authz-Token), as on the
// original's routes; with the key as the Authorization bearer, the user's
// access or authz token comes alone in X-Authz-Token.
func (s *Server) nativeUserAuth(c *gin.Context) {
	authz := strings.TrimSpace(c.GetHeader("X-Authz-Token"))
	if c.GetHeader("X-Service-Key") != "" {
		s.authenticateUser(c, bearerToken(c), authz)
		return
	}
	s.authenticateUser(c, authz, "")
}

// nativeSetVisibility is PATCH /v1/resources/{type}/{id}/visibility
// {visibility}.
func (p *compatPerm) nativeSetVisibility(c *gin.Context) {
	vis, ok := bindVisibility(c)
	if !ok {
		return
	}
	if res, ok := p.byKey(c); ok {
		p.applyVisibility(c, res, vis)
	}
}

// nativeShare is PUT /v1/resources/{type}/{id}/shares {grantee_type,
// grantee_id, permission}: grant or change a share, as the token's user
// (who must be able to edit the resource).
func (p *compatPerm) nativeShare(c *gin.Context) {
	var req shareRequest
	if !bindLenient(c, &req) {
		return
	}
	req, err := parseShare(req, true)
	if err != nil {
		failDetail(c, http.StatusBadRequest, err.Error())
		return
	}
	if res, ok := p.byKey(c); ok {
		p.shareWith(c, res, req)
	}
}

// nativeUnshare is DELETE
// /v1/resources/{type}/{id}/shares/{grantee_type}/{grantee_id}.
func (p *compatPerm) nativeUnshare(c *gin.Context) {
	req, err := parseShare(shareRequest{GranteeType: c.Param("grantee_type"), GranteeID: c.Param("grantee_id")}, false)
	if err != nil {
		failDetail(c, http.StatusBadRequest, err.Error())
		return
	}
	if res, ok := p.byKey(c); ok {
		p.unshareFrom(c, res, req)
	}
}
