package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// The original's /workspaces… routes (COMPAT.md "Workspaces, members,
// groups"), all authenticated as a user (compatUserAuth). This file has the
// rules they share and the workspace routes; compat_members.go the member
// routes, compat_groups.go the groups, compat_users_profile.go PATCH
// /users/me.
//
// The order of refusals follows FastAPI's: 401 (authentication), then 422
// (a path id that is not a UUID, a malformed body), then the handler's 403
// (the token's wid is not {id}, the role is too low), then 404/409.
//
// Roles are read from the store (store.Membership), not trusted from the
// token's wrole: a member who was demoted or removed loses their rights on
// these routes at once, while their token is still valid.

// compatWorkspaceRoutes registers the routes of the files above.
func (s *Server) compatWorkspaceRoutes(r *gin.Engine) {
	r.PATCH("/users/me", s.compatUserAuth, s.patchUsersMe)

	ws := r.Group("/workspaces", s.compatUserAuth)
	ws.POST("", s.wsCreate)
	ws.GET("", s.wsListMine)
	ws.GET("/:id", s.wsGet)
	ws.PATCH("/:id", s.wsUpdate)
	ws.DELETE("/:id", s.wsDelete)

	ws.GET("/:id/members", s.wsMembers)
	ws.POST("/:id/members/invite", s.wsInvite)
	ws.PATCH("/:id/members/:user_id", s.wsSetRole)
	ws.DELETE("/:id/members/:user_id", s.wsRemoveMember)

	g := ws.Group("/:id/groups")
	g.POST("", s.wsGroupCreate)
	g.GET("", s.wsGroupList)
	g.PATCH("/:gid", s.wsGroupUpdate)
	g.DELETE("/:gid", s.wsGroupDelete)
	g.GET("/:gid/members", s.wsGroupMembers)
	g.POST("/:gid/members/:uid", s.wsGroupAddUser)
	g.DELETE("/:gid/members/:uid", s.wsGroupRemoveUser)
	// Nested groups (not in the original): a group as a member of a group.
	g.POST("/:gid/groups/:hid", s.wsGroupAddGroup)
	g.DELETE("/:gid/groups/:hid", s.wsGroupRemoveGroup)
}

// wsClaims returns the authenticated user's token claims.
func wsClaims(c *gin.Context) sentineltoken.Claims {
	return c.MustGet(userClaimsCtx).(sentineltoken.Claims)
}

// wsPathIDs parses the named path parameters as UUIDs (the original's path
// types) and returns them in canonical form. A malformed one is a 422.
func wsPathIDs(c *gin.Context, names ...string) ([]string, bool) {
	out := make([]string, len(names))
	for i, name := range names {
		id, err := uuid.Parse(c.Param(name))
		if err != nil {
			failDetail(c, http.StatusUnprocessableEntity, "Invalid "+name+": must be a UUID")
			return nil, false
		}
		out[i] = id.String()
	}
	return out, true
}

// wsAccess is the caller's standing in the workspace of the path.
type wsAccess struct {
	claims sentineltoken.Claims
	wid    string
	role   store.Role // from the store
}

// wsAuthorize enforces the rules of every /workspaces/{id}… route: the
// token's wid must be {id}, and the caller must be a member there with at
// least min. It writes the refusal (403) and returns false otherwise.
func (s *Server) wsAuthorize(c *gin.Context, wid string, min store.Role) (wsAccess, bool) {
	claims := wsClaims(c)
	if claims.WorkspaceID != wid {
		failDetail(c, http.StatusForbidden, "Not a member of this workspace")
		return wsAccess{}, false
	}
	m, err := s.cfg.Store.Membership(c.Request.Context(), wid, claims.Subject)
	if errors.Is(err, store.ErrNotMember) {
		failDetail(c, http.StatusForbidden, "Not a member of this workspace")
		return wsAccess{}, false
	}
	if err != nil {
		s.wsInternal(c, "read the caller's membership", err)
		return wsAccess{}, false
	}
	if !m.Role.AtLeast(min) {
		failDetail(c, http.StatusForbidden, "Insufficient role")
		return wsAccess{}, false
	}
	return wsAccess{claims: claims, wid: wid, role: m.Role}, true
}

// wsInternal answers an unexpected store failure with a 500 and logs it.
func (s *Server) wsInternal(c *gin.Context, what string, err error) {
	s.log.Error("compat workspaces: "+what, "path", c.FullPath(), "err", err)
	failDetail(c, http.StatusInternalServerError, "Internal server error")
}

// wsCommitted runs after a successful mutation: it lets this replica's
// engine catch up with it, so the caller's next check here sees it. (The
// mutation's activity entry was written in its transaction: wsRecord.)
func (s *Server) wsCommitted(c *gin.Context) { s.settleHead(c.Request.Context()) }

// wsBy is the caller of a workspace route, as the activity log names them.
func wsBy(claims sentineltoken.Claims) actor { return userBy(claims.Subject, claims.Email) }

// wsRecord returns the request's context with the entry of its mutation,
// by the caller, attached (record): for the store call that makes it.
func wsRecord(c *gin.Context, claims sentineltoken.Claims, e store.ActivityEntry, detail map[string]any) context.Context {
	return record(c.Request.Context(), wsBy(claims), act{e, detail})
}

// wsNullable is the original's JSON for an optional text column: null when
// empty.
func wsNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// wsName validates a required display name (workspaces, groups, users):
// trimmed, 1 to 255 characters, like the original's
// Field(min_length=1, max_length=255) on a stripped string. The original
// also stripped HTML tags; we store the text as given (escaping is the
// renderer's job).
func wsName(c *gin.Context, field string, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if n := utf8.RuneCountInString(v); n == 0 || n > 255 {
		failDetail(c, http.StatusUnprocessableEntity, field+" must be 1 to 255 characters")
		return "", false
	}
	return v, true
}

// wsSlugPattern is the original's slug pattern (WorkspaceCreateRequest):
// lower-case letters, digits and inner hyphens, at least two characters.
var wsSlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)

type wsWorkspaceJSON struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func wsWorkspaceOf(w store.Workspace) wsWorkspaceJSON {
	return wsWorkspaceJSON{ID: w.ID, Slug: w.Slug, Name: w.Name, Description: wsNullable(w.Description),
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt}
}

// wsMineJSON is an entry of GET /workspaces: the original's workspace
// fields plus the caller's role there (an addition; clients that do not
// know it ignore it).
type wsMineJSON struct {
	wsWorkspaceJSON
	Role string `json:"role"`
}

type wsCreateRequest struct {
	Name        *string `json:"name"`
	Slug        *string `json:"slug"`
	Description *string `json:"description"`
}

// wsCreate is POST /workspaces: the caller becomes the new workspace's
// owner. It needs no workspace in the token (a workspace-less authz token
// will do). A taken slug is a 409.
func (s *Server) wsCreate(c *gin.Context) {
	var req wsCreateRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.Name == nil || req.Slug == nil {
		failDetail(c, http.StatusUnprocessableEntity, "name and slug are required")
		return
	}
	name, ok := wsName(c, "name", *req.Name)
	if !ok {
		return
	}
	if len(*req.Slug) > 100 || !wsSlugPattern.MatchString(*req.Slug) {
		failDetail(c, http.StatusUnprocessableEntity,
			"slug must be 2 to 100 lower-case letters, digits and hyphens, starting and ending with a letter or digit")
		return
	}
	desc := ""
	if req.Description != nil {
		desc = strings.TrimSpace(*req.Description)
	}
	claims := wsClaims(c)
	rec := recordOf(c.Request.Context(), wsBy(claims), func(w store.Workspace) []act {
		return []act{{store.ActivityEntry{Action: "workspace.created", TargetType: "workspace", TargetID: w.ID,
			WorkspaceID: w.ID}, map[string]any{"name": w.Name, "slug": w.Slug}}}
	})
	w, err := s.cfg.Store.CreateWorkspace(rec, *req.Slug, name, desc, claims.Subject)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "A workspace with slug '"+*req.Slug+"' already exists")
		return
	case err != nil:
		s.wsInternal(c, "create workspace", err)
		return
	}
	s.wsCommitted(c)
	c.JSON(http.StatusCreated, wsWorkspaceOf(w))
}

// wsListMine is GET /workspaces: the caller's workspaces, oldest first (as
// the original orders them).
func (s *Server) wsListMine(c *gin.Context) {
	mine, err := s.cfg.Store.WorkspacesOf(c.Request.Context(), wsClaims(c).Subject)
	if err != nil {
		s.wsInternal(c, "list the caller's workspaces", err)
		return
	}
	slices.SortStableFunc(mine, func(a, b store.MemberWorkspace) int {
		if d := a.CreatedAt.Compare(b.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]wsMineJSON, len(mine))
	for i, m := range mine {
		out[i] = wsMineJSON{wsWorkspaceOf(m.Workspace), string(m.Role)}
	}
	c.JSON(http.StatusOK, out)
}

// wsGet is GET /workspaces/{id} (any member).
func (s *Server) wsGet(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	if _, ok := s.wsAuthorize(c, ids[0], store.RoleViewer); !ok {
		return
	}
	w, err := s.cfg.Store.Workspace(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
	case err != nil:
		s.wsInternal(c, "read workspace", err)
	default:
		c.JSON(http.StatusOK, wsWorkspaceOf(w))
	}
}

type wsUpdateRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// wsUpdate is PATCH /workspaces/{id} (admin): the fields sent and not null
// change.
func (s *Server) wsUpdate(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	var req wsUpdateRequest
	if !bindLenient(c, &req) {
		return
	}
	name, desc, detail, ok := wsNameFields(c, req.Name, req.Description)
	if !ok {
		return
	}
	u := store.WorkspaceUpdate{Name: name, Description: desc}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleAdmin)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	var (
		w   store.Workspace
		err error
	)
	if u.Name == nil && u.Description == nil {
		w, err = s.cfg.Store.Workspace(ctx, acc.wid)
	} else {
		w, err = s.cfg.Store.UpdateWorkspace(wsRecord(c, acc.claims, store.ActivityEntry{Action: "workspace.updated",
			TargetType: "workspace", TargetID: acc.wid, WorkspaceID: acc.wid}, detail), acc.wid, u)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
		return
	case err != nil:
		s.wsInternal(c, "update workspace", err)
		return
	}
	if len(detail) > 0 {
		s.wsCommitted(c)
	}
	c.JSON(http.StatusOK, wsWorkspaceOf(w))
}

// wsNameFields checks the optional name and description of the two PATCH
// routes that rename a workspace or a group: a name sent must be a valid
// name (a 422 written here otherwise), a description sent is trimmed.
// detail holds what was sent, for the activity entry (empty: nothing was).
func wsNameFields(c *gin.Context, name, desc *string) (n, d *string, detail map[string]any, ok bool) {
	detail = map[string]any{}
	if name != nil {
		v, ok := wsName(c, "name", *name)
		if !ok {
			return nil, nil, nil, false
		}
		n, detail["name"] = &v, v
	}
	if desc != nil {
		v := strings.TrimSpace(*desc)
		d, detail["description"] = &v, v
	}
	return n, d, detail, true
}

// wsDelete is DELETE /workspaces/{id} (owner): the workspace goes with its
// memberships, invitations, groups, resources and roles.
func (s *Server) wsDelete(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleOwner)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	w, err := s.cfg.Store.Workspace(ctx, acc.wid)
	if err == nil {
		err = s.cfg.Store.DeleteWorkspace(wsRecord(c, acc.claims, store.ActivityEntry{Action: "workspace.deleted",
			TargetType: "workspace", TargetID: w.ID, WorkspaceID: w.ID}, map[string]any{"name": w.Name, "slug": w.Slug}), acc.wid)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
		return
	case err != nil:
		s.wsInternal(c, "delete workspace", err)
		return
	}
	s.wsCommitted(c)
	c.Status(http.StatusNoContent)
}
