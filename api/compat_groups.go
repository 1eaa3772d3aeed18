package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's group routes under /workspaces/{id}/groups (see
// compat_workspaces.go for the rules they share): reading needs any role,
// writing admin. A group of another workspace is a 404, as in the
// original.
//
// Nested groups are an addition: POST and DELETE
// /workspaces/{id}/groups/{gid}/groups/{hid} make group hid a member of
// gid (its members are then members of gid). GET …/{gid}/members lists the
// direct members: users as the original's {user_id, email, name,
// added_at}, nested groups as {group_id, name, added_at}; a workspace that
// never nests groups sees exactly the original's list.
//
// Status codes the original left to chance (its unhandled errors were
// 500s): a taken group name, a member added twice and a nesting that would
// form a cycle are 409s; adding a user who is not a member of the
// workspace is a 400.

type wsGroupJSON struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedBy   *string   `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func wsGroupOf(g store.Group) wsGroupJSON {
	return wsGroupJSON{ID: g.ID, WorkspaceID: g.WorkspaceID, Name: g.Name, Description: wsNullable(g.Description),
		CreatedBy: wsNullable(g.CreatedBy), CreatedAt: g.CreatedAt}
}

type wsGroupUserJSON struct {
	UserID  string    `json:"user_id"`
	Email   string    `json:"email"`
	Name    string    `json:"name"`
	AddedAt time.Time `json:"added_at"`
}

type wsGroupGroupJSON struct {
	GroupID string    `json:"group_id"`
	Name    string    `json:"name"`
	AddedAt time.Time `json:"added_at"`
}

// wsGroupAccess authorizes the caller on workspace wid at role min or
// above, then finds group gid in that workspace; it answers 403/404 itself.
func (s *Server) wsGroupAccess(c *gin.Context, wid, gid string, min store.Role) (wsAccess, store.Group, bool) {
	acc, ok := s.wsAuthorize(c, wid, min)
	if !ok {
		return wsAccess{}, store.Group{}, false
	}
	g, ok := s.wsGroupIn(c, acc.wid, gid)
	return acc, g, ok
}

// wsGroupIn returns the group if it belongs to the workspace, and answers
// 404 otherwise.
func (s *Server) wsGroupIn(c *gin.Context, wid, gid string) (store.Group, bool) {
	g, err := s.cfg.Store.Group(c.Request.Context(), gid)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && g.WorkspaceID != wid):
		failDetail(c, http.StatusNotFound, "Group not found")
		return store.Group{}, false
	case err != nil:
		s.wsInternal(c, "read group", err)
		return store.Group{}, false
	}
	return g, true
}

type wsGroupRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// wsGroupCreate is POST /workspaces/{id}/groups {name, description?}.
func (s *Server) wsGroupCreate(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	var req wsGroupRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.Name == nil {
		failDetail(c, http.StatusUnprocessableEntity, "name is required")
		return
	}
	name, ok := wsName(c, "name", *req.Name)
	if !ok {
		return
	}
	desc := ""
	if req.Description != nil {
		desc = strings.TrimSpace(*req.Description)
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleAdmin)
	if !ok {
		return
	}
	rec := recordOf(c.Request.Context(), wsBy(acc.claims), func(g store.Group) []act {
		return []act{{store.ActivityEntry{Action: "group.created", TargetType: "group", TargetID: g.ID,
			WorkspaceID: acc.wid}, map[string]any{"name": g.Name}}}
	})
	g, err := s.cfg.Store.CreateGroup(rec, acc.wid, name, desc, acc.claims.Subject)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "A group with this name already exists in this workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
		return
	case err != nil:
		s.wsInternal(c, "create group", err)
		return
	}
	s.wsCommitted(c)
	c.JSON(http.StatusCreated, wsGroupOf(g))
}

// wsGroupList is GET /workspaces/{id}/groups, oldest first (the
// original's order).
func (s *Server) wsGroupList(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleViewer)
	if !ok {
		return
	}
	groups, err := s.cfg.Store.GroupsOf(c.Request.Context(), acc.wid)
	if err != nil {
		s.wsInternal(c, "list groups", err)
		return
	}
	slices.SortStableFunc(groups, func(a, b store.Group) int {
		if d := a.CreatedAt.Compare(b.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]wsGroupJSON, len(groups))
	for i, g := range groups {
		out[i] = wsGroupOf(g)
	}
	c.JSON(http.StatusOK, out)
}

// wsGroupUpdate is PATCH /workspaces/{id}/groups/{gid} {name?, description?}.
func (s *Server) wsGroupUpdate(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "gid")
	if !ok {
		return
	}
	var req wsGroupRequest
	if !bindLenient(c, &req) {
		return
	}
	name, desc, detail, ok := wsNameFields(c, req.Name, req.Description)
	if !ok {
		return
	}
	u := store.GroupUpdate{Name: name, Description: desc}
	acc, g, ok := s.wsGroupAccess(c, ids[0], ids[1], store.RoleAdmin)
	if !ok {
		return
	}
	if len(detail) == 0 {
		c.JSON(http.StatusOK, wsGroupOf(g))
		return
	}
	g, err := s.cfg.Store.UpdateGroup(wsRecord(c, acc.claims, store.ActivityEntry{Action: "group.updated",
		TargetType: "group", TargetID: g.ID, WorkspaceID: acc.wid}, detail), g.ID, u)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "A group with this name already exists in this workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Group not found")
		return
	case err != nil:
		s.wsInternal(c, "update group", err)
		return
	}
	s.wsCommitted(c)
	c.JSON(http.StatusOK, wsGroupOf(g))
}

// wsGroupDelete is DELETE /workspaces/{id}/groups/{gid}: the group goes with
// its memberships, its place in other groups and the shares and roles
// given to it.
func (s *Server) wsGroupDelete(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "gid")
	if !ok {
		return
	}
	acc, g, ok := s.wsGroupAccess(c, ids[0], ids[1], store.RoleAdmin)
	if !ok {
		return
	}
	err := s.cfg.Store.DeleteGroup(wsRecord(c, acc.claims, store.ActivityEntry{Action: "group.deleted",
		TargetType: "group", TargetID: g.ID, WorkspaceID: acc.wid}, map[string]any{"name": g.Name}), g.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Group not found")
		return
	case err != nil:
		s.wsInternal(c, "delete group", err)
		return
	}
	s.wsCommitted(c)
	c.Status(http.StatusNoContent)
}

// wsGroupMembers is GET /workspaces/{id}/groups/{gid}/members: the direct
// members, oldest first.
func (s *Server) wsGroupMembers(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "gid")
	if !ok {
		return
	}
	_, _, ok = s.wsGroupAccess(c, ids[0], ids[1], store.RoleViewer)
	if !ok {
		return
	}
	members, err := s.cfg.Store.ListGroupMembers(c.Request.Context(), ids[1])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Group not found")
		return
	case err != nil:
		s.wsInternal(c, "list group members", err)
		return
	}
	out := make([]any, len(members))
	for i, m := range members {
		if m.Type == store.GroupMemberGroup {
			out[i] = wsGroupGroupJSON{GroupID: m.ID, Name: m.Name, AddedAt: m.AddedAt}
		} else {
			out[i] = wsGroupUserJSON{UserID: m.ID, Email: m.Email, Name: m.Name, AddedAt: m.AddedAt}
		}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) wsGroupAddUser(c *gin.Context)    { s.wsGroupAdd(c, store.GroupMemberUser, "uid") }
func (s *Server) wsGroupAddGroup(c *gin.Context)   { s.wsGroupAdd(c, store.GroupMemberGroup, "hid") }
func (s *Server) wsGroupRemoveUser(c *gin.Context) { s.wsGroupRemove(c, store.GroupMemberUser, "uid") }
func (s *Server) wsGroupRemoveGroup(c *gin.Context) {
	s.wsGroupRemove(c, store.GroupMemberGroup, "hid")
}

// wsGroupAdd adds the user (a member of the workspace) or the group (of the
// workspace, not containing this one) named by the path parameter param:
// 201 {"status": "ok"}, as the original answers.
func (s *Server) wsGroupAdd(c *gin.Context, typ store.GroupMemberType, param string) {
	ids, ok := wsPathIDs(c, "id", "gid", param)
	if !ok {
		return
	}
	acc, _, ok := s.wsGroupAccess(c, ids[0], ids[1], store.RoleAdmin)
	if !ok {
		return
	}
	_, err := s.cfg.Store.AddGroupMember(wsRecord(c, acc.claims, store.ActivityEntry{Action: "group.member_added",
		TargetType: "group", TargetID: ids[1], WorkspaceID: acc.wid}, map[string]any{"member_type": string(typ), "member_id": ids[2]}),
		ids[1], typ, ids[2])
	switch {
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusBadRequest, "User is not a member of this workspace")
		return
	case errors.Is(err, store.ErrGroupCycle):
		failDetail(c, http.StatusConflict, "Adding this group would create a cycle")
		return
	case errors.Is(err, store.ErrAlreadyExists) && typ == store.GroupMemberUser:
		failDetail(c, http.StatusConflict, "User is already a member of this group")
		return
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "Group is already a member of this group")
		return
	case errors.Is(err, store.ErrNotFound) && typ == store.GroupMemberUser:
		failDetail(c, http.StatusBadRequest, "User is not a member of this workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Group not found")
		return
	case err != nil:
		s.wsInternal(c, "add group member", err)
		return
	}
	s.wsCommitted(c)
	c.JSON(http.StatusCreated, gin.H{"status": "ok"})
}

// wsGroupRemove removes a direct member of the group: 204, or 404 if it is
// not one.
func (s *Server) wsGroupRemove(c *gin.Context, typ store.GroupMemberType, param string) {
	ids, ok := wsPathIDs(c, "id", "gid", param)
	if !ok {
		return
	}
	acc, _, ok := s.wsGroupAccess(c, ids[0], ids[1], store.RoleAdmin)
	if !ok {
		return
	}
	err := s.cfg.Store.RemoveGroupMember(wsRecord(c, acc.claims, store.ActivityEntry{Action: "group.member_removed",
		TargetType: "group", TargetID: ids[1], WorkspaceID: acc.wid}, map[string]any{"member_type": string(typ), "member_id": ids[2]}),
		ids[1], typ, ids[2])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Group membership not found")
		return
	case err != nil:
		s.wsInternal(c, "remove group member", err)
		return
	}
	s.wsCommitted(c)
	c.Status(http.StatusNoContent)
}
