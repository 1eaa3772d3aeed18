package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's /admin service actions and custom roles (RBAC): the
// store's RBAC methods, whose system tuples the RBAC policy decides on, so
// every change is settled on this replica's engine before the answer.

// maxRoleActions bounds the service_action_ids of one request.
const maxRoleActions = 1000

// serviceActionOut is the original's ServiceActionResponse.
func serviceActionOut(a store.ServiceAction) serviceActionJSON {
	return serviceActionJSON{ID: a.ID, ServiceName: a.ServiceName, Action: a.Action,
		Description: permNullable(a.Description), CreatedAt: a.CreatedAt}
}

// admListServiceActions is GET /admin/service-actions?service_name=
// &page=&page_size=: every service's actions (or one service's), by
// service name, then action.
func (s *Server) admListServiceActions(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	name := c.Query("service_name")
	var (
		as  []store.ServiceAction
		err error
	)
	if name != "" {
		if err := permName("service_name", name); err != nil {
			failDetail(c, http.StatusUnprocessableEntity, err.Error())
			return
		}
		as, err = s.cfg.Store.ServiceActions(c.Request.Context(), name)
	} else {
		as, err = s.cfg.Store.AllServiceActions(c.Request.Context())
	}
	if err != nil {
		s.admInternal(c, "list service actions", err)
		return
	}
	out := make([]serviceActionJSON, len(as))
	for i, a := range as {
		out[i] = serviceActionOut(a)
	}
	c.JSON(http.StatusOK, admSlice(out, page, size))
}

// admDeleteServiceAction is DELETE /admin/service-actions/{id} → 204: the
// action is gone, and from every role that granted it.
func (s *Server) admDeleteServiceAction(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	_, err := s.cfg.Store.DeleteServiceAction(admRecordOf(c, func(a store.ServiceAction) []act {
		return []act{{store.ActivityEntry{Action: "service_action.deleted", TargetType: "service_action",
			TargetID: a.ID}, map[string]any{"service_name": a.ServiceName, "action": a.Action}}}
	}), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Service action not found")
		return
	case err != nil:
		s.admInternal(c, "delete service action", err)
		return
	}
	s.admCommitted(c)
	c.Status(http.StatusNoContent)
}

// admRoleJSON is the original's RoleResponse, plus group_count (its
// member_count counts users only, as the original's did).
type admRoleJSON struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedBy   *string   `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	ActionCount int       `json:"action_count"`
	MemberCount int       `json:"member_count"`
	GroupCount  int       `json:"group_count"`
}

// admRoleOut renders a role with its counts.
func (s *Server) admRoleOut(c *gin.Context, r store.RBACRole) (admRoleJSON, error) {
	ctx := c.Request.Context()
	actions, err := s.cfg.Store.RoleActions(ctx, r.ID)
	if err != nil {
		return admRoleJSON{}, err
	}
	held, err := s.cfg.Store.RoleAssignments(ctx, r.ID)
	if err != nil {
		return admRoleJSON{}, err
	}
	out := admRoleJSON{ID: r.ID, WorkspaceID: r.WorkspaceID, Name: r.Name, Description: permNullable(r.Description),
		CreatedBy: permNullable(r.CreatedBy), CreatedAt: r.CreatedAt, ActionCount: len(actions)}
	for _, a := range held {
		if a.Assignee.Type == store.AssigneeUser {
			out.MemberCount++
		} else {
			out.GroupCount++
		}
	}
	return out, nil
}

// admRoleAnswer answers status with the role and its counts.
func (s *Server) admRoleAnswer(c *gin.Context, status int, r store.RBACRole) {
	out, err := s.admRoleOut(c, r)
	if err != nil {
		s.admInternal(c, "read role", err)
		return
	}
	c.JSON(status, out)
}

// admListRoles is GET /admin/workspaces/{id}/roles?page=&page_size=: the
// workspace's roles by name.
func (s *Server) admListRoles(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	ids, ok := s.admWorkspaceParam(c)
	if !ok {
		return
	}
	roles, err := s.cfg.Store.Roles(c.Request.Context(), ids[0])
	if err != nil {
		s.admInternal(c, "list roles", err)
		return
	}
	p := admSlice(roles, page, size)
	out := admPage[admRoleJSON]{Items: make([]admRoleJSON, len(p.Items)), Total: p.Total, Page: p.Page, PageSize: p.PageSize}
	for i, r := range p.Items {
		if out.Items[i], err = s.admRoleOut(c, r); err != nil {
			s.admInternal(c, "list roles", err)
			return
		}
	}
	c.JSON(http.StatusOK, out)
}

type admRoleRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// admCreateRole is POST /admin/workspaces/{id}/roles {name, description?}
// → 201 with the role; a name the workspace has already is a 409.
func (s *Server) admCreateRole(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	var req admRoleRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.Name == nil {
		failDetail(c, http.StatusUnprocessableEntity, "name: field required")
		return
	}
	ids, ok := s.admWorkspaceParam(c)
	if !ok {
		return
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	rec := admRecordOf(c, func(r store.RBACRole) []act {
		return []act{{store.ActivityEntry{Action: "role.created", TargetType: "role", TargetID: r.ID,
			WorkspaceID: r.WorkspaceID}, map[string]any{"name": r.Name}}}
	})
	r, err := s.cfg.Store.CreateRole(rec, ids[0], *req.Name, desc, "")
	if !s.admRoleWriteFailed(c, "create role", err) {
		s.admCommitted(c)
		s.admRoleAnswer(c, http.StatusCreated, r)
	}
}

// admRoleWriteFailed answers a failed role write and reports whether it
// did: 422 for a malformed name, 409 for a taken one, 404 for a role (or,
// creating one, a workspace) gone meanwhile.
func (s *Server) admRoleWriteFailed(c *gin.Context, what string, err error) bool {
	notFound := "Role not found"
	if what == "create role" {
		notFound = "Workspace not found"
	}
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrInvalidRBAC):
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "A role with this name already exists in the workspace")
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, notFound)
	default:
		s.admInternal(c, what, err)
	}
	return true
}

// admRoleParam parses the {id} of a role route (422) and reads the role
// (404).
func (s *Server) admRoleParam(c *gin.Context) (store.RBACRole, bool) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return store.RBACRole{}, false
	}
	r, err := s.cfg.Store.Role(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Role not found")
		return store.RBACRole{}, false
	case err != nil:
		s.admInternal(c, "read role", err)
		return store.RBACRole{}, false
	}
	return r, true
}

// admGetRole is GET /admin/roles/{id}.
func (s *Server) admGetRole(c *gin.Context) {
	if r, ok := s.admRoleParam(c); ok {
		s.admRoleAnswer(c, http.StatusOK, r)
	}
}

// admUpdateRole is PATCH /admin/roles/{id} {name?, description?}.
func (s *Server) admUpdateRole(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	var req admRoleRequest
	if !bindLenient(c, &req) {
		return
	}
	before, ok := s.admRoleParam(c)
	if !ok {
		return
	}
	// Recorded from what the write changed, in its transaction (an update
	// to the stored values produces nothing): before may have been
	// overtaken by another change.
	changed := false
	rec := admRecordOf(c, func(ch store.RBACRoleChange) []act {
		changed = true
		return []act{{store.ActivityEntry{Action: "role.updated", TargetType: "role", TargetID: ch.Role.ID,
			WorkspaceID: ch.Role.WorkspaceID}, map[string]any{"name": ch.Role.Name, "previous_name": ch.Previous.Name}}}
	})
	r, err := s.cfg.Store.UpdateRole(rec, before.ID, store.RBACRoleUpdate{Name: req.Name, Description: req.Description})
	if s.admRoleWriteFailed(c, "update role", err) {
		return
	}
	if changed {
		s.admCommitted(c)
	}
	s.admRoleAnswer(c, http.StatusOK, r)
}

// admDeleteRole is DELETE /admin/roles/{id} → 204: the role, its actions
// and its assignments are gone.
func (s *Server) admDeleteRole(c *gin.Context) {
	r, ok := s.admRoleParam(c)
	if !ok {
		return
	}
	rec := admRecord(c, act{store.ActivityEntry{Action: "role.deleted", TargetType: "role", TargetID: r.ID,
		WorkspaceID: r.WorkspaceID}, map[string]any{"name": r.Name}})
	if s.admRoleWriteFailed(c, "delete role", s.cfg.Store.DeleteRole(rec, r.ID)) {
		return
	}
	s.admCommitted(c)
	c.Status(http.StatusNoContent)
}

// admRoleActions is GET /admin/roles/{id}/actions?page=&page_size=: the
// role's actions by service name, then action.
func (s *Server) admRoleActions(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	r, ok := s.admRoleParam(c)
	if !ok {
		return
	}
	as, err := s.cfg.Store.RoleActions(c.Request.Context(), r.ID)
	if err != nil {
		s.admInternal(c, "list role actions", err)
		return
	}
	out := make([]serviceActionJSON, len(as))
	for i, a := range as {
		out[i] = serviceActionOut(a)
	}
	c.JSON(http.StatusOK, admSlice(out, page, size))
}

// admAddRoleActions is POST /admin/roles/{id}/actions {service_action_ids}
// → 201 {"status": "ok"}: all or nothing; an unknown action is a 404.
func (s *Server) admAddRoleActions(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	var req struct {
		IDs *[]string `json:"service_action_ids"`
	}
	if !bindLenient(c, &req) {
		return
	}
	if req.IDs == nil {
		failDetail(c, http.StatusUnprocessableEntity, "service_action_ids: field required")
		return
	}
	if len(*req.IDs) > maxRoleActions {
		failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("service_action_ids: at most %d", maxRoleActions))
		return
	}
	ids := make([]string, len(*req.IDs))
	for i, v := range *req.IDs {
		id, err := uuid.Parse(v)
		if err != nil {
			failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("service_action_ids[%d]: %q is not a valid UUID", i, v))
			return
		}
		ids[i] = id.String()
	}
	r, ok := s.admRoleParam(c)
	if !ok {
		return
	}
	err := s.cfg.Store.AddRoleActions(admRecord(c, act{store.ActivityEntry{Action: "role.actions_added", TargetType: "role",
		TargetID: r.ID, WorkspaceID: r.WorkspaceID}, map[string]any{"service_action_ids": ids}}), r.ID, ids)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Service action not found")
		return
	case err != nil:
		s.admInternal(c, "add role actions", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusCreated, gin.H{"status": "ok"})
}

// admRemoveRoleAction is DELETE /admin/roles/{id}/actions/{action_id} →
// 204; 404 if the role does not grant it.
func (s *Server) admRemoveRoleAction(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "action_id")
	if !ok {
		return
	}
	r, ok := s.admRoleParam(c)
	if !ok {
		return
	}
	err := s.cfg.Store.RemoveRoleAction(admRecord(c, act{store.ActivityEntry{Action: "role.action_removed", TargetType: "role",
		TargetID: r.ID, WorkspaceID: r.WorkspaceID}, map[string]any{"service_action_id": ids[1]}}), r.ID, ids[1])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "The role does not grant this action")
		return
	case err != nil:
		s.admInternal(c, "remove role action", err)
		return
	}
	s.admCommitted(c)
	c.Status(http.StatusNoContent)
}
