package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's /admin user, workspace, member, group, activity, stats,
// health and CSV routes (COMPAT.md "### Admin"), authenticated by
// compatAdminAuth. This file has their rules and the user routes;
// compat_admin_shared.go their helpers; compat_admin_workspaces.go the workspaces, members and groups,
// compat_admin_misc.go activity, stats and health, compat_admin_csv.go the
// CSV import and export.
//
// The order of refusals is FastAPI's: 401 (credential), 403 (a mutation
// without X-Requested-With), 422 (a path id that is not a UUID, a malformed
// body or query), then 404/409. Every mutation is recorded in the activity
// log with actor_type "admin".

// compatAdminDirectoryRoutes registers the routes of the files above.
func (s *Server) compatAdminDirectoryRoutes(r *gin.Engine) {
	a := r.Group("/admin", s.compatAdminAuth)

	a.GET("/users", s.admListUsers)
	a.POST("/users/bulk-status", s.admBulkStatus)
	a.GET("/users/:id", s.admGetUser)
	a.PATCH("/users/:id", s.admPatchUser)
	a.POST("/users/:id/workspaces", s.admAddUserToWorkspace)
	a.POST("/users/:id/revoke-tokens", s.admRevokeTokens)

	a.GET("/workspaces", s.admListWorkspaces)
	a.GET("/workspaces/:id", s.admGetWorkspace)
	a.GET("/workspaces/:id/members", s.admListMembers)
	a.POST("/workspaces/:id/members", s.admAddMember)
	a.PATCH("/workspaces/:id/members/:user_id", s.admSetRole)
	a.DELETE("/workspaces/:id/members/:user_id", s.admRemoveMember)
	a.GET("/workspaces/:id/groups", s.admListGroups)
	a.GET("/workspaces/:id/groups/:gid", s.admGetGroup)
	a.GET("/workspaces/:id/groups/:gid/members", s.admGroupMembers)

	a.GET("/activity", s.admActivity)
	a.GET("/stats", s.admStats)
	a.GET("/health", s.admHealth)

	a.POST("/import/csv/preview", s.admCSVPreview)
	a.POST("/import/csv/execute", s.admCSVExecute)
	a.GET("/export/users.csv", s.admExportUsers)
	a.GET("/export/workspaces.csv", s.admExportWorkspaces)
}

// admUserJSON is the original's admin view of a user.
type admUserJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	AvatarURL *string   `json:"avatar_url"`
	IsActive  bool      `json:"is_active"`
	IsAdmin   bool      `json:"is_admin"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func admUserOf(u store.User) admUserJSON {
	return admUserJSON{ID: u.ID, Email: u.Email, Name: u.Name, AvatarURL: wsNullable(u.AvatarURL),
		IsActive: u.Active, IsAdmin: u.Admin, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// admSocialJSON is a linked IdP identity (the original's social account).
type admSocialJSON struct {
	Provider       string    `json:"provider"`
	ProviderUserID string    `json:"provider_user_id"`
	Email          string    `json:"email"`
	CreatedAt      time.Time `json:"created_at"`
	LastSeenAt     time.Time `json:"last_seen_at"`
}

type admMembershipJSON struct {
	WorkspaceID   string    `json:"workspace_id"`
	WorkspaceName string    `json:"workspace_name"`
	WorkspaceSlug string    `json:"workspace_slug"`
	Role          string    `json:"role"`
	JoinedAt      time.Time `json:"joined_at"`
}

type admUserDetailJSON struct {
	admUserJSON
	SocialAccounts []admSocialJSON     `json:"social_accounts"`
	Memberships    []admMembershipJSON `json:"memberships"`
}

// admListUsers is GET /admin/users?search=&page=&page_size=: newest first;
// search keeps users whose name or email contains it.
func (s *Server) admListUsers(c *gin.Context) {
	q, ok := admSearch(c)
	if !ok {
		return
	}
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	users, total, err := s.cfg.Store.ListUsers(c.Request.Context(), q, page, size)
	if err != nil {
		s.admInternal(c, "list users", err)
		return
	}
	out := admPage[admUserJSON]{Items: make([]admUserJSON, len(users)), Total: total, Page: page, PageSize: size}
	for i, u := range users {
		out.Items[i] = admUserOf(u)
	}
	c.JSON(http.StatusOK, out)
}

// admUserParam parses the {id} of a user route (422) and reads the user
// (404).
func (s *Server) admUserParam(c *gin.Context) (store.User, bool) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return store.User{}, false
	}
	u, err := s.cfg.Store.UserByID(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "User not found")
		return store.User{}, false
	case err != nil:
		s.admInternal(c, "read user", err)
		return store.User{}, false
	}
	return u, true
}

// admGetUser is GET /admin/users/{id}: the user with their linked
// identities (oldest first) and memberships (by workspace name).
func (s *Server) admGetUser(c *gin.Context) {
	u, ok := s.admUserParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	idents, err := s.cfg.Store.IdentitiesOf(ctx, u.ID)
	if err != nil {
		s.admInternal(c, "read identities", err)
		return
	}
	mine, err := s.cfg.Store.WorkspacesOf(ctx, u.ID)
	if err != nil {
		s.admInternal(c, "read memberships", err)
		return
	}
	out := admUserDetailJSON{admUserJSON: admUserOf(u), SocialAccounts: make([]admSocialJSON, len(idents)),
		Memberships: make([]admMembershipJSON, len(mine))}
	for i, id := range idents {
		out.SocialAccounts[i] = admSocialJSON{Provider: id.Provider, ProviderUserID: id.Subject, Email: id.Email,
			CreatedAt: id.CreatedAt, LastSeenAt: id.LastSeenAt}
	}
	for i, m := range mine {
		out.Memberships[i] = admMembershipJSON{WorkspaceID: m.ID, WorkspaceName: m.Name, WorkspaceSlug: m.Slug,
			Role: string(m.Role), JoinedAt: m.JoinedAt}
	}
	c.JSON(http.StatusOK, out)
}

type admPatchUserRequest struct {
	Name     *string `json:"name"`
	IsActive *bool   `json:"is_active"`
	IsAdmin  *bool   `json:"is_admin"`
}

// admPatchUser is PATCH /admin/users/{id} {name?, is_active?, is_admin?}:
// the fields sent and not null change, in one transaction. Deactivation
// refuses the user's tokens of every kind from then on.
func (s *Server) admPatchUser(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	var req admPatchUserRequest
	if !bindLenient(c, &req) {
		return
	}
	u := store.UserAdminUpdate{Active: req.IsActive, Admin: req.IsAdmin}
	detail := map[string]any{}
	if req.Name != nil {
		name, ok := wsName(c, "name", *req.Name)
		if !ok {
			return
		}
		u.Name, detail["name"] = &name, name
	}
	if req.IsActive != nil {
		detail["is_active"] = *req.IsActive
	}
	if req.IsAdmin != nil {
		detail["is_admin"] = *req.IsAdmin
	}
	got, err := s.cfg.Store.UpdateUser(admRecord(c, act{store.ActivityEntry{Action: "user.updated", TargetType: "user",
		TargetID: ids[0]}, detail}), ids[0], u)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "User not found")
		return
	case err != nil:
		s.admInternal(c, "update user", err)
		return
	}
	if len(detail) > 0 {
		s.admCommitted(c)
	}
	c.JSON(http.StatusOK, admUserOf(got))
}

// admBulkMax bounds the user ids of one bulk status change.
const admBulkMax = 500

type admBulkStatusRequest struct {
	UserIDs  []string `json:"user_ids"`
	IsActive *bool    `json:"is_active"`
}

// admBulkStatus is POST /admin/users/bulk-status {user_ids, is_active}:
// every listed user is activated or deactivated, or, if one is unknown
// (404), none is. The answer is {updated, is_active}.
func (s *Server) admBulkStatus(c *gin.Context) {
	var req admBulkStatusRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.IsActive == nil {
		failDetail(c, http.StatusUnprocessableEntity, "is_active is required")
		return
	}
	if len(req.UserIDs) == 0 || len(req.UserIDs) > admBulkMax {
		failDetail(c, http.StatusUnprocessableEntity, "user_ids must list 1 to "+strconv.Itoa(admBulkMax)+" user ids")
		return
	}
	ids := make([]string, 0, len(req.UserIDs))
	seen := map[string]bool{}
	for _, v := range req.UserIDs {
		id, err := uuid.Parse(v)
		if err != nil {
			failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("user_ids: %q is not a UUID", v))
			return
		}
		if !seen[id.String()] {
			seen[id.String()] = true
			ids = append(ids, id.String())
		}
	}
	action := actionUserDeactivated
	if *req.IsActive {
		action = actionUserActivated
	}
	acts := make([]act, len(ids))
	for i, id := range ids {
		acts[i] = act{store.ActivityEntry{Action: action, TargetType: "user", TargetID: id},
			map[string]any{"is_active": *req.IsActive, "bulk": true}}
	}
	err := s.cfg.Store.SetUsersActive(admRecord(c, acts...), ids, *req.IsActive)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "User not found: "+s.admFirstUnknown(c.Request.Context(), ids))
		return
	case err != nil:
		s.admInternal(c, "bulk status", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusOK, gin.H{"updated": len(ids), "is_active": *req.IsActive})
}

// admFirstUnknown names the first of ids that is no user's (for a 404's
// detail), or "" if it cannot tell.
func (s *Server) admFirstUnknown(ctx context.Context, ids []string) string {
	for _, id := range ids {
		if _, err := s.cfg.Store.UserByID(ctx, id); errors.Is(err, store.ErrNotFound) {
			return id
		}
	}
	return ""
}

type admAddToWorkspaceRequest struct {
	WorkspaceID *string `json:"workspace_id"`
	Role        *string `json:"role"`
}

// admAddUserToWorkspace is POST /admin/users/{id}/workspaces {workspace_id,
// role="viewer"}: the user becomes a member (201), any role, owner
// included.
func (s *Server) admAddUserToWorkspace(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	var req admAddToWorkspaceRequest
	if !bindLenient(c, &req) {
		return
	}
	wid, role, ok := admAddFields(c, "workspace_id", req.WorkspaceID, req.Role)
	if !ok {
		return
	}
	s.admAdd(c, wid, ids[0], role)
}

// admAddFields checks the body of the two admin routes that add a user to a
// workspace (POST /admin/users/{id}/workspaces and POST
// /admin/workspaces/{id}/members), which differ only in which side the body
// names: the id in field (required, a UUID, returned canonical) and the
// optional role (viewer when absent). A refusal is a 422 written here.
func admAddFields(c *gin.Context, field string, id, role *string) (string, store.Role, bool) {
	if id == nil {
		failDetail(c, http.StatusUnprocessableEntity, field+" is required")
		return "", "", false
	}
	parsed, err := uuid.Parse(*id)
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, field+" must be a UUID")
		return "", "", false
	}
	r, ok := admRoleOf(c, role)
	if !ok {
		return "", "", false
	}
	return parsed.String(), r, true
}

// admRoleOf parses an optional role field (viewer when absent); a bad one
// is a 422.
func admRoleOf(c *gin.Context, v *string) (store.Role, bool) {
	if v == nil {
		return store.RoleViewer, true
	}
	return wsRole(c, *v)
}

// admAdd makes the user a member of the workspace with role and answers
// 201 with the member, 404 for an unknown user or workspace, 409 for a
// member already.
func (s *Server) admAdd(c *gin.Context, wid, uid string, role store.Role) {
	ctx := c.Request.Context()
	if _, err := s.cfg.Store.Workspace(ctx, wid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			failDetail(c, http.StatusNotFound, "Workspace not found")
		} else {
			s.admInternal(c, "read workspace", err)
		}
		return
	}
	if _, err := s.cfg.Store.UserByID(ctx, uid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			failDetail(c, http.StatusNotFound, "User not found")
		} else {
			s.admInternal(c, "read user", err)
		}
		return
	}
	m, err := s.cfg.Store.AddMember(admRecord(c, act{store.ActivityEntry{Action: "member.added", TargetType: "user",
		TargetID: uid, WorkspaceID: wid}, map[string]any{"role": string(role)}}), wid, uid, role)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "User is already a member of this workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace or user not found")
		return
	case err != nil:
		s.admInternal(c, "add member", err)
		return
	}
	s.admCommitted(c)
	out, ok := s.admMemberOf(c, m)
	if !ok {
		return
	}
	c.JSON(http.StatusCreated, out)
}

// admRevokeTokens is POST /admin/users/{id}/revoke-tokens: every token the
// user holds (access, refresh, authz) is refused from now on; the user
// signs in again. 501 if this store cannot revoke per user.
func (s *Server) admRevokeTokens(c *gin.Context) {
	u, ok := s.admUserParam(c)
	if !ok {
		return
	}
	r, ok := s.cfg.Store.(userTokenRevoker)
	if !ok {
		failDetail(c, http.StatusNotImplemented, "Per-user token revocation is not available with this store")
		return
	}
	err := r.RevokeUserTokens(admRecord(c, act{store.ActivityEntry{Action: "user.tokens_revoked", TargetType: "user",
		TargetID: u.ID}, map[string]any{"email": u.Email}}), u.ID, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "User not found")
		return
	case err != nil:
		s.admInternal(c, "revoke tokens", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusOK, gin.H{"ok": true})
}
