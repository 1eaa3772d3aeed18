package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// Who holds a custom role, as the original's admin routes show and change
// it: users under /admin/roles/{id}/members, groups (every member of the
// group, nested groups included) under /admin/roles/{id}/groups.

// admRoleMemberJSON is the original's RoleMemberResponse.
type admRoleMemberJSON struct {
	UserID     string    `json:"user_id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	AssignedAt time.Time `json:"assigned_at"`
	AssignedBy *string   `json:"assigned_by"`
}

// admRoleGroupJSON is a group holding a role.
type admRoleGroupJSON struct {
	GroupID    string    `json:"group_id"`
	Name       string    `json:"name"`
	AssignedAt time.Time `json:"assigned_at"`
	AssignedBy *string   `json:"assigned_by"`
}

// admHolders returns the role's holders of type t, oldest first.
func (s *Server) admHolders(c *gin.Context, t store.AssigneeType) (store.RBACRole, []store.RoleAssignment, bool) {
	r, ok := s.admRoleParam(c)
	if !ok {
		return r, nil, false
	}
	held, err := s.cfg.Store.RoleAssignments(c.Request.Context(), r.ID)
	if err != nil {
		s.admInternal(c, "list role assignments", err)
		return r, nil, false
	}
	out := held[:0:0]
	for _, a := range held {
		if a.Assignee.Type == t {
			out = append(out, a)
		}
	}
	return r, out, true
}

// admRoleMembers is GET /admin/roles/{id}/members?page=&page_size=: the
// users holding the role directly, oldest assignment first.
func (s *Server) admRoleMembers(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	_, held, ok := s.admHolders(c, store.AssigneeUser)
	if !ok {
		return
	}
	p := admSlice(held, page, size)
	out := admPage[admRoleMemberJSON]{Items: make([]admRoleMemberJSON, 0, len(p.Items)), Total: p.Total, Page: p.Page, PageSize: p.PageSize}
	for _, a := range p.Items {
		m := admRoleMemberJSON{UserID: a.Assignee.ID, AssignedAt: a.AssignedAt, AssignedBy: permNullable(a.AssignedBy)}
		u, err := s.cfg.Store.UserByID(c.Request.Context(), a.Assignee.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.admInternal(c, "read role member", err)
			return
		}
		m.Email, m.Name = u.Email, u.Name
		out.Items = append(out.Items, m)
	}
	c.JSON(http.StatusOK, out)
}

// admRoleGroups is GET /admin/roles/{id}/groups?page=&page_size=: the
// groups holding the role, oldest assignment first.
func (s *Server) admRoleGroups(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	_, held, ok := s.admHolders(c, store.AssigneeGroup)
	if !ok {
		return
	}
	p := admSlice(held, page, size)
	out := admPage[admRoleGroupJSON]{Items: make([]admRoleGroupJSON, 0, len(p.Items)), Total: p.Total, Page: p.Page, PageSize: p.PageSize}
	for _, a := range p.Items {
		g, err := s.cfg.Store.Group(c.Request.Context(), a.Assignee.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.admInternal(c, "read role group", err)
			return
		}
		out.Items = append(out.Items, admRoleGroupJSON{GroupID: a.Assignee.ID, Name: g.Name, AssignedAt: a.AssignedAt,
			AssignedBy: permNullable(a.AssignedBy)})
	}
	c.JSON(http.StatusOK, out)
}

// admAssign is POST /admin/roles/{id}/members/{user_id} and
// /admin/roles/{id}/groups/{group_id} → 201 {"status": "ok"}: a user who
// is not a member of the role's workspace, or a group of another
// workspace, is a 400 (as in the original); a holder already is a 409.
func (s *Server) admAssign(t store.AssigneeType, param string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := wsPathIDs(c, "id", param)
		if !ok {
			return
		}
		r, ok := s.admRoleParam(c)
		if !ok {
			return
		}
		to := store.Assignee{Type: t, ID: ids[1]}
		err := s.cfg.Store.AssignRole(admRecord(c, act{store.ActivityEntry{Action: "role.assigned", TargetType: "role",
			TargetID: r.ID, WorkspaceID: r.WorkspaceID}, map[string]any{"assignee_type": t, "assignee_id": to.ID}}), r.ID, to, "")
		switch {
		case errors.Is(err, store.ErrAssigneeNotInWorkspace):
			failDetail(c, http.StatusBadRequest, "The "+string(t)+" is not in the role's workspace")
			return
		case errors.Is(err, store.ErrAlreadyExists):
			failDetail(c, http.StatusConflict, "Role already assigned to this "+string(t))
			return
		case errors.Is(err, store.ErrNotFound):
			failDetail(c, http.StatusNotFound, admTitle(t)+" not found")
			return
		case err != nil:
			s.admInternal(c, "assign role", err)
			return
		}
		s.admCommitted(c)
		c.JSON(http.StatusCreated, gin.H{"status": "ok"})
	}
}

// admUnassign is DELETE /admin/roles/{id}/members/{user_id} and
// /admin/roles/{id}/groups/{group_id} → 204; 404 if not assigned.
func (s *Server) admUnassign(t store.AssigneeType, param string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ids, ok := wsPathIDs(c, "id", param)
		if !ok {
			return
		}
		r, ok := s.admRoleParam(c)
		if !ok {
			return
		}
		from := store.Assignee{Type: t, ID: ids[1]}
		err := s.cfg.Store.UnassignRole(admRecord(c, act{store.ActivityEntry{Action: "role.unassigned", TargetType: "role",
			TargetID: r.ID, WorkspaceID: r.WorkspaceID}, map[string]any{"assignee_type": t, "assignee_id": from.ID}}), r.ID, from)
		switch {
		case errors.Is(err, store.ErrNotFound):
			failDetail(c, http.StatusNotFound, "Role is not assigned to this "+string(t))
			return
		case err != nil:
			s.admInternal(c, "unassign role", err)
			return
		}
		s.admCommitted(c)
		c.Status(http.StatusNoContent)
	}
}

// admTitle is "User" or "Group".
func admTitle(t store.AssigneeType) string {
	if t == store.AssigneeGroup {
		return "Group"
	}
	return "User"
}
