package storetest

import (
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

func testInvitations(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", anne)
	ids := []string{ws.ID, other.ID}

	// A known email: added at once.
	h0 := head(t, s)
	res, err := s.Invite(ctx, ws.ID, " BOB@example.com", store.RoleEditor, anne.ID)
	if err != nil || res.Invitation != nil || res.Member == nil || res.Member.UserID != bob.ID || res.Member.Role != store.RoleEditor {
		t.Fatalf("Invite(known email) = %+v, %v", res, err)
	}
	editor := sf("workspace:%s#editor@user:%s", ws.ID, bob.ID)
	equalStrings(t, "changes of Invite(known email)", sysChanges(t, s, h0), []string{"write " + editor})
	before := wsState(t, s, ids...)
	_, err = s.Invite(ctx, ws.ID, "bob@example.com", store.RoleViewer, anne.ID)
	unchanged(t, s, before, "Invite of a member", err, store.ErrAlreadyExists, ids...)

	// An unknown email: a pending invitation, no tuple.
	res, err = s.Invite(ctx, ws.ID, "Dave@Example.com", store.RoleEditor, anne.ID)
	if err != nil || res.Member != nil || res.Invitation == nil {
		t.Fatalf("Invite(unknown email) = %+v, %v", res, err)
	}
	inv := *res.Invitation
	want := store.Invitation{ID: inv.ID, WorkspaceID: ws.ID, Email: "dave@example.com", Role: store.RoleEditor,
		InvitedBy: anne.ID, CreatedAt: inv.CreatedAt}
	if inv != want || inv.CreatedAt.IsZero() {
		t.Fatalf("invitation = %+v, want %+v", inv, want)
	}
	equalStrings(t, "changes after a pending invitation", sysChanges(t, s, h0), []string{"write " + editor})
	// Inviting again updates the role and inviter, keeping the invitation.
	res, err = s.Invite(ctx, ws.ID, "dave@example.com", store.RoleAdmin, "")
	want.Role, want.InvitedBy = store.RoleAdmin, ""
	if err != nil || res.Invitation == nil || *res.Invitation != want {
		t.Fatalf("Invite again = %+v, %v; want %+v", res, err, want)
	}
	if invs, err := s.Invitations(ctx, ws.ID); err != nil || len(invs) != 1 || invs[0] != want {
		t.Fatalf("Invitations = %+v, %v", invs, err)
	}
	if _, err := s.Invite(ctx, other.ID, "dave@example.com", store.RoleViewer, anne.ID); err != nil {
		t.Fatal(err)
	}

	before = wsState(t, s, ids...)
	_, err = s.Invite(ctx, ws.ID, "erin@example.com", "root", anne.ID)
	unchanged(t, s, before, "Invite with an invalid role", err, store.ErrInvalidRole, ids...)
	_, err = s.Invite(ctx, ws.ID, "  ", store.RoleViewer, anne.ID)
	unchanged(t, s, before, "Invite without email", err, store.ErrInvalidWorkspaceInput, ids...)
	_, err = s.Invite(ctx, uuid.NewString(), "erin@example.com", store.RoleViewer, anne.ID)
	unchanged(t, s, before, "Invite to an unknown workspace", err, store.ErrNotFound, ids...)

	// Dave signs in: both invitations become memberships.
	dave := newUser(t, s, "dave", "DAVE@example.com", "Dave")
	before = wsState(t, s, ids...)
	_, err = s.AcceptInvitations(ctx, dave.ID, "bob@example.com")
	unchanged(t, s, before, "AcceptInvitations with another user's email", err, store.ErrInvalidWorkspaceInput, ids...)
	_, err = s.AcceptInvitations(ctx, uuid.NewString(), "dave@example.com")
	unchanged(t, s, before, "AcceptInvitations of an unknown user", err, store.ErrNotFound, ids...)
	h1 := head(t, s)
	ms, err := s.AcceptInvitations(ctx, dave.ID, "Dave@example.com")
	if err != nil || len(ms) != 2 {
		t.Fatalf("AcceptInvitations = %+v, %v", ms, err)
	}
	got := map[string]store.Role{}
	for _, m := range ms {
		if m.UserID != dave.ID {
			t.Fatalf("membership of another user: %+v", m)
		}
		got[m.WorkspaceID] = m.Role
	}
	if got[ws.ID] != store.RoleAdmin || got[other.ID] != store.RoleViewer {
		t.Fatalf("accepted roles %v", got)
	}
	equalStrings(t, "changes of AcceptInvitations", sorted(sysChanges(t, s, h1)...), sorted(
		"write "+sf("workspace:%s#admin@user:%s", ws.ID, dave.ID),
		"write "+sf("workspace:%s#viewer@user:%s", other.ID, dave.ID)))
	for _, id := range ids {
		if invs, err := s.Invitations(ctx, id); err != nil || len(invs) != 0 {
			t.Fatalf("invitations left after accepting: %+v, %v", invs, err)
		}
	}
	before = wsState(t, s, ids...)
	if ms, err := s.AcceptInvitations(ctx, dave.ID, "dave@example.com"); err != nil || len(ms) != 0 {
		t.Fatalf("AcceptInvitations again = %+v, %v", ms, err)
	}
	unchanged(t, s, before, "AcceptInvitations again", nil, nil, ids...)

	// A user added directly keeps their membership; the invitation goes.
	if _, err := s.Invite(ctx, ws.ID, "erin@example.com", store.RoleOwner, anne.ID); err != nil {
		t.Fatal(err)
	}
	erin := newUser(t, s, "erin", "erin@example.com", "Erin")
	addMember(t, s, ws, erin, store.RoleViewer)
	if invs, err := s.Invitations(ctx, ws.ID); err != nil || len(invs) != 0 {
		t.Fatalf("invitation left after AddMember: %+v, %v", invs, err)
	}
	if m, err := s.Membership(ctx, ws.ID, erin.ID); err != nil || m.Role != store.RoleViewer {
		t.Fatalf("Membership = %+v, %v", m, err)
	}

	// Withdrawn invitations.
	if _, err := s.Invite(ctx, ws.ID, "fred@example.com", store.RoleViewer, anne.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteInvitation(ctx, ws.ID, "Fred@example.com"); err != nil {
		t.Fatalf("DeleteInvitation: %v", err)
	}
	before = wsState(t, s, ids...)
	err = s.DeleteInvitation(ctx, ws.ID, "fred@example.com")
	unchanged(t, s, before, "DeleteInvitation again", err, store.ErrNotFound, ids...)
	fred := newUser(t, s, "fred", "fred@example.com", "Fred")
	if ms, err := s.AcceptInvitations(ctx, fred.ID, fred.Email); err != nil || len(ms) != 0 {
		t.Fatalf("AcceptInvitations after withdrawal = %+v, %v", ms, err)
	}
}
