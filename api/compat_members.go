package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's member routes under /workspaces/{id}/members (see
// compat_workspaces.go for the rules they share).
//
// Decisions where the original was silent or is improved on:
//   - Inviting an email no user has yet stores a pending invitation (the
//     original answered 400 "User not found"); it becomes a membership when
//     that user first signs in. The 201 answer then has user_id, name,
//     avatar_url and joined_at null and "status": "pending" (a member added
//     at once has "status": "active").
//   - Refusals keep the original's codes: an admin granting owner by invite
//     is a 400, by a role change a 403; changing or removing an owner
//     without being one, and demoting or removing the last owner, are 403s.
//   - A member may remove themselves (leave) whatever their role; removing
//     anyone else needs admin.
//   - As in the original, a role change or a removal (leaving included)
//     revokes every token of the member (store.RevokeUserTokens: all
//     kinds, in every workspace, since tokens are per user), so no token
//     keeps a stale wrole claim; the member signs in again. A PATCH
//     revokes even when the role was already the one asked for, so a
//     retry after a failed revocation revokes. The change is committed
//     before the revocation: if that then fails the answer is a 500 saying
//     so (the admin can revoke through the admin API), never a silent
//     success.

type wsMemberJSON struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	AvatarURL *string   `json:"avatar_url"`
	Role      string    `json:"role"`
	JoinedAt  time.Time `json:"joined_at"`
}

// wsMembersLimit is the original's cap on ?limit= (values are clamped to
// 1..50); without it every member is listed.
const wsMembersLimit = 50

// wsMembers is GET /workspaces/{id}/members?q=&limit= (any member): by
// join time; q keeps members whose name or email contains it.
func (s *Server) wsMembers(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	q := c.Query("q")
	if utf8.RuneCountInString(q) > 100 {
		failDetail(c, http.StatusUnprocessableEntity, "q must be at most 100 characters")
		return
	}
	limit := math.MaxInt32
	if v, set := c.GetQuery("limit"); set {
		n, err := strconv.Atoi(v)
		if err != nil {
			failDetail(c, http.StatusUnprocessableEntity, "limit must be an integer")
			return
		}
		limit = min(max(n, 1), wsMembersLimit)
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleViewer)
	if !ok {
		return
	}
	members, err := s.cfg.Store.ListMembers(c.Request.Context(), acc.wid, q, limit)
	if err != nil {
		s.wsInternal(c, "list members", err)
		return
	}
	out := make([]wsMemberJSON, len(members))
	for i, m := range members {
		out[i] = wsMemberJSON{UserID: m.UserID, Email: m.Email, Name: m.Name, AvatarURL: wsNullable(m.AvatarURL),
			Role: string(m.Role), JoinedAt: m.JoinedAt}
	}
	c.JSON(http.StatusOK, out)
}

// wsMemberOf joins a membership with its user for the answer.
func (s *Server) wsMemberOf(c *gin.Context, m store.Membership) (wsMemberJSON, bool) {
	u, err := s.cfg.Store.UserByID(c.Request.Context(), m.UserID)
	if err != nil {
		s.wsInternal(c, "read member", err)
		return wsMemberJSON{}, false
	}
	return wsMemberJSON{UserID: u.ID, Email: u.Email, Name: u.Name, AvatarURL: wsNullable(u.AvatarURL),
		Role: string(m.Role), JoinedAt: m.JoinedAt}, true
}

type wsInviteRequest struct {
	Email *string `json:"email"`
	Role  *string `json:"role"`
}

// wsInviteJSON is the answer to an invitation: the member added, or the
// invitation pending for an email no user has yet.
type wsInviteJSON struct {
	UserID    *string    `json:"user_id"`
	Email     string     `json:"email"`
	Name      *string    `json:"name"`
	AvatarURL *string    `json:"avatar_url"`
	Role      string     `json:"role"`
	JoinedAt  *time.Time `json:"joined_at"`
	Status    string     `json:"status"` // "active" or "pending"
	InvitedAt *time.Time `json:"invited_at,omitempty"`
}

// wsRole parses a role field (the original's pattern
// ^(owner|admin|editor|viewer)$); a bad one is a 422.
func wsRole(c *gin.Context, v string) (store.Role, bool) {
	r := store.Role(v)
	if !r.Valid() {
		failDetail(c, http.StatusUnprocessableEntity, "role must be one of owner, admin, editor, viewer")
		return "", false
	}
	return r, true
}

// wsEmail checks an invitation's email loosely (one @ with text on both
// sides, no spaces, at most 320 characters) and lower-cases it.
func wsEmail(c *gin.Context, v string) (string, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	local, domain, ok := strings.Cut(v, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(v, " \t\r\n") ||
		strings.Contains(domain, "@") || len(v) > 320 {
		failDetail(c, http.StatusUnprocessableEntity, "email must be an email address")
		return "", false
	}
	return v, true
}

// wsInvite is POST /workspaces/{id}/members/invite {email, role="viewer"}
// (admin; only owners grant owner).
func (s *Server) wsInvite(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	var req wsInviteRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.Email == nil {
		failDetail(c, http.StatusUnprocessableEntity, "email is required")
		return
	}
	email, ok := wsEmail(c, *req.Email)
	if !ok {
		return
	}
	role := store.RoleViewer
	if req.Role != nil {
		if role, ok = wsRole(c, *req.Role); !ok {
			return
		}
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleAdmin)
	if !ok {
		return
	}
	if role == store.RoleOwner && acc.role != store.RoleOwner {
		failDetail(c, http.StatusBadRequest, "Only workspace owners can grant the owner role")
		return
	}
	// The inviter's role is checked again in the write (store.WithActingMember).
	need := store.RoleAdmin
	if role == store.RoleOwner {
		need = store.RoleOwner
	}
	rec := recordOf(store.WithActingMember(c.Request.Context(), acc.wid, acc.claims.Subject, need), wsBy(acc.claims),
		func(res store.InviteResult) []act { return []act{wsInviteAct(acc.wid, email, role, res)} })
	res, err := s.cfg.Store.Invite(rec, acc.wid, email, role, acc.claims.Subject)
	switch {
	case errors.Is(err, store.ErrInsufficientRole):
		failDetail(c, http.StatusForbidden, "Insufficient role")
		return
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "User is already a member of this workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Workspace not found")
		return
	case err != nil:
		s.wsInternal(c, "invite", err)
		return
	}
	var out wsInviteJSON
	if res.Member != nil {
		m, ok := s.wsMemberOf(c, *res.Member)
		if !ok {
			return
		}
		out = wsInviteJSON{UserID: &m.UserID, Email: m.Email, Name: &m.Name, AvatarURL: m.AvatarURL,
			Role: m.Role, JoinedAt: &m.JoinedAt, Status: "active"}
	} else {
		inv := res.Invitation
		out = wsInviteJSON{Email: inv.Email, Role: string(inv.Role), Status: "pending", InvitedAt: &inv.CreatedAt}
	}
	s.wsCommitted(c)
	c.JSON(http.StatusCreated, out)
}

// wsInviteAct is the entry of an invitation to the workspace: the member
// added at once (status active) or the invitation stored (pending).
func wsInviteAct(wid, email string, role store.Role, res store.InviteResult) act {
	e := store.ActivityEntry{Action: "member.invited", WorkspaceID: wid, TargetType: "invitation"}
	status := "pending"
	if res.Member != nil {
		e.TargetType, e.TargetID, status = "user", res.Member.UserID, "active"
	} else if res.Invitation != nil {
		e.TargetID = res.Invitation.ID
	}
	return act{e, map[string]any{"email": email, "role": string(role), "status": status}}
}

type wsRoleRequest struct {
	Role *string `json:"role"`
}

// bindRole reads the {role} body of both PATCH …/members/{user_id} routes
// (the workspace admin's and the /admin one): role is required and must be
// one of the four; a refusal is a 422 written here.
func bindRole(c *gin.Context) (store.Role, bool) {
	var req wsRoleRequest
	if !bindLenient(c, &req) {
		return "", false
	}
	if req.Role == nil {
		failDetail(c, http.StatusUnprocessableEntity, "role is required")
		return "", false
	}
	return wsRole(c, *req.Role)
}

// wsSetRole is PATCH /workspaces/{id}/members/{user_id} {role} (admin;
// only owners grant owner or change an owner's role; the last owner stays).
func (s *Server) wsSetRole(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "user_id")
	if !ok {
		return
	}
	role, ok := bindRole(c)
	if !ok {
		return
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleAdmin)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	target, err := s.cfg.Store.Membership(ctx, acc.wid, ids[1])
	switch {
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusNotFound, "Membership not found")
		return
	case err != nil:
		s.wsInternal(c, "read membership", err)
		return
	case role == store.RoleOwner && acc.role != store.RoleOwner:
		failDetail(c, http.StatusForbidden, "Only workspace owners can grant the owner role")
		return
	case target.Role == store.RoleOwner && acc.role != store.RoleOwner:
		failDetail(c, http.StatusForbidden, "Only workspace owners can change another owner's role")
		return
	}
	// Recorded from what the write changed, in its transaction: not from
	// target, which another change may have overtaken. The same role
	// again changes nothing and records nothing.
	// The checks above are made again in the write, against the roles as
	// they are then (store.WithActingMember): a change committed in between
	// (the actor demoted, the member made an owner) must not slip through.
	rec := recordOf(store.WithActingMember(ctx, acc.wid, acc.claims.Subject, store.RoleAdmin), wsBy(acc.claims),
		func(ch store.RoleChange) []act { return []act{roleChangedAct(ch)} })
	m, err := s.cfg.Store.SetRole(rec, acc.wid, ids[1], role)
	switch {
	case errors.Is(err, store.ErrInsufficientRole):
		failDetail(c, http.StatusForbidden, "Insufficient role")
		return
	case errors.Is(err, store.ErrOwnerOnly) && role == store.RoleOwner:
		failDetail(c, http.StatusForbidden, "Only workspace owners can grant the owner role")
		return
	case errors.Is(err, store.ErrOwnerOnly):
		failDetail(c, http.StatusForbidden, "Only workspace owners can change another owner's role")
		return
	case errors.Is(err, store.ErrLastOwner):
		failDetail(c, http.StatusForbidden, "Cannot demote the last workspace owner")
		return
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusNotFound, "Membership not found")
		return
	case err != nil:
		s.wsInternal(c, "set role", err)
		return
	}
	revoked := s.wsRevokeTokens(c, m.UserID)
	s.wsCommitted(c) // the change and the revocation, for the member's next request here
	if !revoked {
		failDetail(c, http.StatusInternalServerError, "The role was changed but the member's tokens could not be revoked")
		return
	}
	out, ok := s.wsMemberOf(c, m)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, out)
}

// roleChangedAct is the entry of a member's role change, by either PATCH
// …/members/{user_id} route.
func roleChangedAct(ch store.RoleChange) act {
	return act{store.ActivityEntry{Action: "member.role_changed", TargetType: "user", TargetID: ch.Membership.UserID,
		WorkspaceID: ch.Membership.WorkspaceID},
		map[string]any{"role": string(ch.Membership.Role), "previous_role": string(ch.Previous)}}
}

// wsRemoveMember is DELETE /workspaces/{id}/members/{user_id}: an admin
// removes a member, or a member leaves. Only owners remove an owner; the
// last owner stays. The member's group memberships, shares and role
// assignments in the workspace go too.
func (s *Server) wsRemoveMember(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "user_id")
	if !ok {
		return
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleViewer)
	if !ok {
		return
	}
	self := ids[1] == acc.claims.Subject
	if !self && !acc.role.AtLeast(store.RoleAdmin) {
		failDetail(c, http.StatusForbidden, "Insufficient role")
		return
	}
	ctx := c.Request.Context()
	target, err := s.cfg.Store.Membership(ctx, acc.wid, ids[1])
	switch {
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusNotFound, "Membership not found")
		return
	case err != nil:
		s.wsInternal(c, "read membership", err)
		return
	case target.Role == store.RoleOwner && acc.role != store.RoleOwner:
		failDetail(c, http.StatusForbidden, "Only workspace owners can remove another owner")
		return
	}
	// The checks above are made again in the write (store.WithActingMember).
	need := store.RoleAdmin
	if self {
		need = store.RoleViewer
	}
	// Recorded with the role the write removed, not the one read above.
	rec := store.WithActingMember(recordOf(ctx, wsBy(acc.claims), func(m store.Membership) []act {
		return []act{{store.ActivityEntry{Action: "member.removed", TargetType: "user", TargetID: ids[1], WorkspaceID: acc.wid},
			map[string]any{"role": string(m.Role), "left": self}}}
	}), acc.wid, acc.claims.Subject, need)
	err = s.cfg.Store.RemoveMember(rec, acc.wid, ids[1])
	switch {
	case errors.Is(err, store.ErrInsufficientRole):
		failDetail(c, http.StatusForbidden, "Insufficient role")
		return
	case errors.Is(err, store.ErrOwnerOnly):
		failDetail(c, http.StatusForbidden, "Only workspace owners can remove another owner")
		return
	case errors.Is(err, store.ErrLastOwner):
		failDetail(c, http.StatusForbidden, "Cannot remove the last workspace owner")
		return
	case errors.Is(err, store.ErrNotMember):
		failDetail(c, http.StatusNotFound, "Membership not found")
		return
	case err != nil:
		s.wsInternal(c, "remove member", err)
		return
	}
	revoked := s.wsRevokeTokens(c, ids[1])
	s.wsCommitted(c)
	if !revoked {
		failDetail(c, http.StatusInternalServerError, "The member was removed but their tokens could not be revoked")
		return
	}
	c.Status(http.StatusNoContent)
}

// wsRevokeTokens revokes every token of the user whose membership just
// changed (committed already, so the request's cancellation does not stop
// it) and reports whether it did; a failure is logged. Callers settle
// afterwards so the caller's next request on this replica sees it.
func (s *Server) wsRevokeTokens(c *gin.Context, userID string) bool {
	err := s.cfg.Store.RevokeUserTokens(context.WithoutCancel(c.Request.Context()), userID, time.Now())
	if err != nil {
		s.log.Error("revoke the tokens of a member whose role changed or who was removed", "user_id", userID, "err", err)
		return false
	}
	return true
}
