package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// Routes the native API has and the original lacked: a workspace's
// pending invitations (made by inviting an email no user has yet), listed
// and withdrawn by its admins, and one group read alone. They follow the
// rules of the workspace routes (compat_workspaces.go): the token's wid is
// the path's workspace, the role is read from the store.

type wsInvitationJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	InvitedBy *string   `json:"invited_by"`
	CreatedAt time.Time `json:"created_at"`
}

// wsInvitations is GET /v1/workspaces/{id}/invitations (admin): the
// pending invitations, oldest first.
func (s *Server) wsInvitations(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleAdmin)
	if !ok {
		return
	}
	invs, err := s.cfg.Store.Invitations(c.Request.Context(), acc.wid)
	if err != nil {
		s.wsInternal(c, "list invitations", err)
		return
	}
	out := make([]wsInvitationJSON, len(invs))
	for i, inv := range invs {
		out[i] = wsInvitationJSON{ID: inv.ID, Email: inv.Email, Role: string(inv.Role),
			InvitedBy: wsNullable(inv.InvitedBy), CreatedAt: inv.CreatedAt}
	}
	c.JSON(http.StatusOK, out)
}

// wsWithdrawInvitation is DELETE /v1/workspaces/{id}/invitations/{email}
// (admin; an invitation to the owner role only by an owner, as only owners
// grant it): 204, or 404 if none is pending for the email.
func (s *Server) wsWithdrawInvitation(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return
	}
	email, ok := wsEmail(c, c.Param("email"))
	if !ok {
		return
	}
	acc, ok := s.wsAuthorize(c, ids[0], store.RoleAdmin)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	invs, err := s.cfg.Store.Invitations(ctx, acc.wid)
	if err != nil {
		s.wsInternal(c, "list invitations", err)
		return
	}
	var inv *store.Invitation
	for i := range invs {
		if invs[i].Email == email {
			inv = &invs[i]
		}
	}
	switch {
	case inv == nil:
		failDetail(c, http.StatusNotFound, "Invitation not found")
		return
	case inv.Role == store.RoleOwner && acc.role != store.RoleOwner:
		failDetail(c, http.StatusForbidden, "Only workspace owners can withdraw an invitation to the owner role")
		return
	}
	// The actor's role is checked again in the write (store.WithActingMember).
	need := store.RoleAdmin
	if inv.Role == store.RoleOwner {
		need = store.RoleOwner
	}
	rec := store.WithActingMember(wsRecord(c, acc.claims, store.ActivityEntry{Action: "invitation.withdrawn",
		TargetType: "invitation", TargetID: inv.ID, WorkspaceID: acc.wid}, map[string]any{"email": email, "role": string(inv.Role)}),
		acc.wid, acc.claims.Subject, need)
	err = s.cfg.Store.DeleteInvitation(rec, acc.wid, email)
	switch {
	case errors.Is(err, store.ErrInsufficientRole):
		failDetail(c, http.StatusForbidden, "Insufficient role")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Invitation not found")
		return
	case err != nil:
		s.wsInternal(c, "withdraw invitation", err)
		return
	}
	s.wsCommitted(c)
	c.Status(http.StatusNoContent)
}

// wsGroupGet is GET /v1/workspaces/{id}/groups/{gid} (any member).
func (s *Server) wsGroupGet(c *gin.Context) {
	ids, ok := wsPathIDs(c, "id", "gid")
	if !ok {
		return
	}
	if _, g, ok := s.wsGroupAccess(c, ids[0], ids[1], store.RoleViewer); ok {
		c.JSON(http.StatusOK, wsGroupOf(g))
	}
}
