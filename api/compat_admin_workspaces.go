package api

import (
	"errors"
	"math"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's /admin/workspaces routes: every workspace, its members
// and groups, whoever owns them (see compat_admin_users.go for the rules
// they share). The admin credential may grant and take any role, owner
// included; the store still keeps one owner per workspace, refused as on
// the member routes (403 "Cannot demote/remove the last workspace owner").
// A role change or a removal revokes the member's tokens, as the original
// did, when the store can revoke per user.

// admWorkspaceJSON is a workspace with its sizes.
type admWorkspaceJSON struct {
	wsWorkspaceJSON
	MemberCount int `json:"member_count"`
	GroupCount  int `json:"group_count"`
}

func admWorkspaceOf(w store.WorkspaceSummary) admWorkspaceJSON {
	return admWorkspaceJSON{wsWorkspaceOf(w.Workspace), w.MemberCount, w.GroupCount}
}

// admMemberJSON is a member of a workspace: the member routes' shape and
// the workspace's id.
type admMemberJSON struct {
	WorkspaceID string `json:"workspace_id"`
	wsMemberJSON
}

// admMemberOf joins a membership with its user for the answer.
func (s *Server) admMemberOf(c *gin.Context, m store.Membership) (admMemberJSON, bool) {
	u, err := s.cfg.Store.UserByID(c.Request.Context(), m.UserID)
	if err != nil {
		s.admInternal(c, "read member", err)
		return admMemberJSON{}, false
	}
	return admMemberJSON{m.WorkspaceID, wsMemberJSON{UserID: u.ID, Email: u.Email, Name: u.Name,
		AvatarURL: wsNullable(u.AvatarURL), Role: string(m.Role), JoinedAt: m.JoinedAt}}, true
}

// admListWorkspaces is GET /admin/workspaces?search=&page=&page_size=:
// newest first; search keeps workspaces whose name or slug contains it.
func (s *Server) admListWorkspaces(c *gin.Context) {
	q, ok := admSearch(c)
	if !ok {
		return
	}
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	ws, total, err := s.cfg.Store.ListWorkspaces(c.Request.Context(), q, page, size)
	if err != nil {
		s.admInternal(c, "list workspaces", err)
		return
	}
	out := admPage[admWorkspaceJSON]{Items: make([]admWorkspaceJSON, len(ws)), Total: total, Page: page, PageSize: size}
	for i, w := range ws {
		out.Items[i] = admWorkspaceOf(w)
	}
	c.JSON(http.StatusOK, out)
}

// admWorkspaceParam parses the {id} of a workspace route (422) and checks
// that the workspace exists (404).
func (s *Server) admWorkspaceParam(c *gin.Context, names ...string) ([]string, bool) {
	ids, ok := wsPathIDs(c, append([]string{"id"}, names...)...)
	if !ok {
		return nil, false
	}
	_, err := s.cfg.Store.Workspace(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
		return nil, false
	case err != nil:
		s.admInternal(c, "read workspace", err)
		return nil, false
	}
	return ids, true
}

// admGetWorkspace is GET /admin/workspaces/{id}: the workspace with its
// member and group counts.
func (s *Server) admGetWorkspace(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	w, err := s.cfg.Store.WorkspaceSummary(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
	case err != nil:
		s.admInternal(c, "read workspace", err)
	default:
		c.JSON(http.StatusOK, admWorkspaceOf(w))
	}
}

// admListMembers is GET /admin/workspaces/{id}/members?search=&page=
// &page_size=: by join time; search keeps members whose name or email
// contains it.
func (s *Server) admListMembers(c *gin.Context) {
	q, ok := admSearch(c)
	if !ok {
		return
	}
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	ids, ok := s.admWorkspaceParam(c)
	if !ok {
		return
	}
	members, err := s.cfg.Store.ListMembers(c.Request.Context(), ids[0], q, math.MaxInt32)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
		return
	case err != nil:
		s.admInternal(c, "list members", err)
		return
	}
	all := make([]admMemberJSON, len(members))
	for i, m := range members {
		all[i] = admMemberJSON{ids[0], wsMemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name,
			AvatarURL: wsNullable(m.AvatarURL), Role: string(m.Role), JoinedAt: m.JoinedAt}}
	}
	c.JSON(http.StatusOK, admSlice(all, page, size))
}

type admAddMemberRequest struct {
	UserID *string `json:"user_id"`
	Role   *string `json:"role"`
}

// admAddMember is POST /admin/workspaces/{id}/members {user_id,
// role="viewer"} → 201 with the member.
func (s *Server) admAddMember(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	var req admAddMemberRequest
	if !bindLenient(c, &req) {
		return
	}
	uid, role, ok := admAddFields(c, "user_id", req.UserID, req.Role)
	if !ok {
		return
	}
	s.admAdd(c, ids[0], uid, role)
}

// admSetRole is PATCH /admin/workspaces/{id}/members/{user_id} {role}.
func (s *Server) admSetRole(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "user_id")
	if !ok {
		return
	}
	role, ok := bindRole(c)
	if !ok {
		return
	}
	if ids, ok = s.admWorkspaceParam(c, "user_id"); !ok {
		return
	}
	ctx := c.Request.Context()
	// Whether the role changed is what the write did, in its transaction
	// (the entry's build runs there): a role read before it may have been
	// overtaken by another change, and a change made here must be
	// recorded and revoke the member's tokens. The same role again
	// changes nothing, records nothing and revokes nothing.
	changed := false
	m, err := s.cfg.Store.SetRole(admRecordOf(c, func(ch store.RoleChange) []act {
		changed = true
		return []act{roleChangedAct(ch)}
	}), ids[0], ids[1], role)
	switch {
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusNotFound, "Membership not found")
		return
	case errors.Is(err, store.ErrLastOwner):
		failDetail(c, http.StatusForbidden, "Cannot demote the last workspace owner")
		return
	case err != nil:
		s.admInternal(c, "set role", err)
		return
	}
	if changed {
		s.admRevoke(ctx, ids[1])
		s.admCommitted(c)
	}
	out, ok := s.admMemberOf(c, m)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, out)
}

// admRemoveMember is DELETE /admin/workspaces/{id}/members/{user_id} →
// 204; the member's group memberships, shares and role assignments in the
// workspace go too.
func (s *Server) admRemoveMember(c *gin.Context) {
	ids, ok := s.admWorkspaceParam(c, "user_id")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	// Recorded with the role the write removed.
	err := s.cfg.Store.RemoveMember(admRecordOf(c, func(m store.Membership) []act {
		return []act{{store.ActivityEntry{Action: "member.removed", TargetType: "user", TargetID: ids[1], WorkspaceID: ids[0]},
			map[string]any{"role": string(m.Role)}}}
	}), ids[0], ids[1])
	switch {
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusNotFound, "Membership not found")
		return
	case errors.Is(err, store.ErrLastOwner):
		failDetail(c, http.StatusForbidden, "Cannot remove the last workspace owner")
		return
	case err != nil:
		s.admInternal(c, "remove member", err)
		return
	}
	s.admRevoke(ctx, ids[1])
	s.admCommitted(c)
	c.Status(http.StatusNoContent)
}

// admListGroups is GET /admin/workspaces/{id}/groups?page=&page_size=: by
// name.
func (s *Server) admListGroups(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	ids, ok := s.admWorkspaceParam(c)
	if !ok {
		return
	}
	groups, err := s.cfg.Store.GroupsOf(c.Request.Context(), ids[0])
	if err != nil {
		s.admInternal(c, "list groups", err)
		return
	}
	all := make([]wsGroupJSON, len(groups))
	for i, g := range groups {
		all[i] = wsGroupOf(g)
	}
	c.JSON(http.StatusOK, admSlice(all, page, size))
}

// admGroupParam parses {id} and {gid} and reads the group, which must be
// in the workspace (404 otherwise).
func (s *Server) admGroupParam(c *gin.Context) (store.Group, bool) {
	ids, ok := s.admWorkspaceParam(c, "gid")
	if !ok {
		return store.Group{}, false
	}
	return s.wsGroupIn(c, ids[0], ids[1])
}

// admGetGroup is GET /admin/workspaces/{id}/groups/{gid}.
func (s *Server) admGetGroup(c *gin.Context) {
	if g, ok := s.admGroupParam(c); ok {
		c.JSON(http.StatusOK, wsGroupOf(g))
	}
}

// admGroupMembers is GET /admin/workspaces/{id}/groups/{gid}/members
// ?page=&page_size=: the direct members, oldest first, in the shapes of the
// group routes (users {user_id, email, name, added_at}, nested groups
// {group_id, name, added_at}).
func (s *Server) admGroupMembers(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	g, ok := s.admGroupParam(c)
	if !ok {
		return
	}
	members, err := s.cfg.Store.ListGroupMembers(c.Request.Context(), g.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Group not found")
		return
	case err != nil:
		s.admInternal(c, "list group members", err)
		return
	}
	all := make([]any, len(members))
	for i, m := range members {
		if m.Type == store.GroupMemberGroup {
			all[i] = wsGroupGroupJSON{GroupID: m.ID, Name: m.Name, AddedAt: m.AddedAt}
		} else {
			all[i] = wsGroupUserJSON{UserID: m.ID, Email: m.Email, Name: m.Name, AddedAt: m.AddedAt}
		}
	}
	c.JSON(http.StatusOK, admSlice(all, page, size))
}
