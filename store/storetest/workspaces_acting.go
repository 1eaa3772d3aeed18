package storetest

import (
	"context"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// testActingMember: a member change made with store.WithActingMember is
// judged by the actor's role as it is in the write's transaction: an actor
// without the role, or no longer a member, changes nothing
// (ErrInsufficientRole); only an owner changes an owner, grants the owner
// role or removes an owner (ErrOwnerOnly); a qualified actor's change goes
// through, and so does a member leaving.
func testActingMember(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne") // owner
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")     // admin
	carl := newUser(t, s, "carl", "carl@example.com", "Carl") // viewer
	dora := newUser(t, s, "dora", "dora@example.com", "Dora") // second owner
	stranger := newUser(t, s, "zed", "zed@example.com", "Zed")
	ws := newWorkspace(t, s, "acme", anne)
	for _, m := range []struct {
		u    store.User
		role store.Role
	}{{bob, store.RoleAdmin}, {carl, store.RoleViewer}, {dora, store.RoleOwner}} {
		if _, err := s.AddMember(ctx, ws.ID, m.u.ID, m.role); err != nil {
			t.Fatal(err)
		}
	}
	as := func(u store.User, atLeast store.Role) context.Context {
		return store.WithActingMember(ctx, ws.ID, u.ID, atLeast)
	}

	before := wsState(t, s, ws.ID)
	_, err := s.SetRole(as(bob, store.RoleAdmin), ws.ID, dora.ID, store.RoleViewer)
	unchanged(t, s, before, "an admin demoting an owner", err, store.ErrOwnerOnly, ws.ID)
	_, err = s.SetRole(as(bob, store.RoleAdmin), ws.ID, carl.ID, store.RoleOwner)
	unchanged(t, s, before, "an admin granting the owner role", err, store.ErrOwnerOnly, ws.ID)
	err = s.RemoveMember(as(bob, store.RoleAdmin), ws.ID, dora.ID)
	unchanged(t, s, before, "an admin removing an owner", err, store.ErrOwnerOnly, ws.ID)
	_, err = s.SetRole(as(carl, store.RoleAdmin), ws.ID, bob.ID, store.RoleEditor)
	unchanged(t, s, before, "a viewer changing a role", err, store.ErrInsufficientRole, ws.ID)
	_, err = s.Invite(as(bob, store.RoleOwner), ws.ID, "eve@example.com", store.RoleOwner, bob.ID)
	unchanged(t, s, before, "an admin inviting an owner", err, store.ErrInsufficientRole, ws.ID)
	_, err = s.SetRole(as(stranger, store.RoleAdmin), ws.ID, carl.ID, store.RoleEditor)
	unchanged(t, s, before, "a non-member changing a role", err, store.ErrInsufficientRole, ws.ID)

	// The actor demoted since their last request: refused.
	if _, err := s.SetRole(ctx, ws.ID, bob.ID, store.RoleEditor); err != nil {
		t.Fatal(err)
	}
	before = wsState(t, s, ws.ID)
	_, err = s.SetRole(as(bob, store.RoleAdmin), ws.ID, carl.ID, store.RoleEditor)
	unchanged(t, s, before, "a demoted admin changing a role", err, store.ErrInsufficientRole, ws.ID)

	// Qualified actors.
	if m, err := s.SetRole(as(anne, store.RoleAdmin), ws.ID, dora.ID, store.RoleAdmin); err != nil || m.Role != store.RoleAdmin {
		t.Fatalf("an owner demoting an owner: %+v, %v", m, err)
	}
	if m, err := s.SetRole(as(dora, store.RoleAdmin), ws.ID, carl.ID, store.RoleEditor); err != nil || m.Role != store.RoleEditor {
		t.Fatalf("an admin changing an editor: %+v, %v", m, err)
	}
	if err := s.RemoveMember(as(carl, store.RoleViewer), ws.ID, carl.ID); err != nil {
		t.Fatalf("a member leaving: %v", err)
	}
	_, err = s.Membership(ctx, ws.ID, carl.ID)
	wantErrIs(t, "Membership after leaving", err, store.ErrNotMember)
}
