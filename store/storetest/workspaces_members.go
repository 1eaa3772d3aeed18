package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
)

func testMembers(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)
	owner := sf("workspace:%s#owner@user:%s", ws.ID, anne.ID)

	h0 := head(t, s)
	m, err := s.AddMember(ctx, ws.ID, bob.ID, store.RoleEditor)
	if err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	if m.WorkspaceID != ws.ID || m.UserID != bob.ID || m.Role != store.RoleEditor || m.JoinedAt.IsZero() {
		t.Fatalf("AddMember = %+v", m)
	}
	if got, err := s.Membership(ctx, ws.ID, bob.ID); err != nil || got != m {
		t.Fatalf("Membership = %+v, %v; want %+v", got, err, m)
	}
	editor := sf("workspace:%s#editor@user:%s", ws.ID, bob.ID)
	equalStrings(t, "tuples after AddMember", sysTuples(t, s), sorted(owner, editor))
	equalStrings(t, "changes of AddMember", sysChanges(t, s, h0), []string{"write " + editor})

	before := wsState(t, s, ws.ID)
	_, err = s.AddMember(ctx, ws.ID, bob.ID, store.RoleViewer)
	unchanged(t, s, before, "AddMember of a member", err, store.ErrAlreadyExists, ws.ID)
	carl := newUser(t, s, "carl", "carl@example.com", "Carl")
	before = wsState(t, s, ws.ID)
	_, err = s.AddMember(ctx, ws.ID, carl.ID, "superuser")
	unchanged(t, s, before, "AddMember with an invalid role", err, store.ErrInvalidRole, ws.ID)
	_, err = s.AddMember(ctx, ws.ID, uuid.NewString(), store.RoleViewer)
	unchanged(t, s, before, "AddMember of an unknown user", err, store.ErrNotFound, ws.ID)
	_, err = s.AddMember(ctx, uuid.NewString(), carl.ID, store.RoleViewer)
	unchanged(t, s, before, "AddMember to an unknown workspace", err, store.ErrNotFound, ws.ID)
	_, err = s.Membership(ctx, ws.ID, carl.ID)
	wantErrIs(t, "Membership of a non-member", err, store.ErrNotMember)
	_, err = s.Membership(ctx, uuid.NewString(), anne.ID)
	wantErrIs(t, "Membership in an unknown workspace", err, store.ErrNotMember)

	// SetRole swaps the tuple.
	h1 := head(t, s)
	m, err = s.SetRole(ctx, ws.ID, bob.ID, store.RoleAdmin)
	if err != nil || m.Role != store.RoleAdmin || m.UserID != bob.ID {
		t.Fatalf("SetRole = %+v, %v", m, err)
	}
	admin := sf("workspace:%s#admin@user:%s", ws.ID, bob.ID)
	equalStrings(t, "tuples after SetRole", sysTuples(t, s), sorted(owner, admin))
	equalStrings(t, "changes of SetRole", sysChanges(t, s, h1), []string{"delete " + editor, "write " + admin})
	before = wsState(t, s, ws.ID)
	if _, err := s.SetRole(ctx, ws.ID, bob.ID, store.RoleAdmin); err != nil {
		t.Fatalf("SetRole to the same role: %v", err)
	}
	unchanged(t, s, before, "SetRole to the same role", nil, nil, ws.ID)
	_, err = s.SetRole(ctx, ws.ID, carl.ID, store.RoleAdmin)
	unchanged(t, s, before, "SetRole of a non-member", err, store.ErrNotMember, ws.ID)
	_, err = s.SetRole(ctx, ws.ID, bob.ID, "")
	unchanged(t, s, before, "SetRole to an invalid role", err, store.ErrInvalidRole, ws.ID)

	// RemoveMember drops the tuple.
	h2 := head(t, s)
	if err := s.RemoveMember(ctx, ws.ID, bob.ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	equalStrings(t, "tuples after RemoveMember", sysTuples(t, s), []string{owner})
	equalStrings(t, "changes of RemoveMember", sysChanges(t, s, h2), []string{"delete " + admin})
	if mine, err := s.WorkspacesOf(ctx, bob.ID); err != nil || len(mine) != 0 {
		t.Fatalf("WorkspacesOf(removed) = %+v, %v", mine, err)
	}
	before = wsState(t, s, ws.ID)
	err = s.RemoveMember(ctx, ws.ID, bob.ID)
	unchanged(t, s, before, "RemoveMember of a non-member", err, store.ErrNotMember, ws.ID)
}

func testListMembers(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne Ärger")
	bob := newUser(t, s, "bob", "Bob.Builder@Example.com", "Bob")
	carl := newUser(t, s, "carl", "carl@other.org", "Carl 100%_done")
	outsider := newUser(t, s, "dora", "dora@example.com", "Dora")
	ws := newWorkspace(t, s, "acme", anne)
	addMember(t, s, ws, bob, store.RoleViewer)
	addMember(t, s, ws, carl, store.RoleEditor)
	newWorkspace(t, s, "other", outsider)

	all, err := s.ListMembers(ctx, ws.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Member{
		{UserID: anne.ID, Email: "anne@example.com", Name: "Anne Ärger", AvatarURL: anne.AvatarURL, Role: store.RoleOwner},
		{UserID: bob.ID, Email: "bob.builder@example.com", Name: "Bob", AvatarURL: bob.AvatarURL, Role: store.RoleViewer},
		{UserID: carl.ID, Email: "carl@other.org", Name: "Carl 100%_done", AvatarURL: carl.AvatarURL, Role: store.RoleEditor},
	}
	if len(all) != len(want) {
		t.Fatalf("ListMembers = %+v", all)
	}
	for i := range all {
		if all[i].JoinedAt.IsZero() {
			t.Fatalf("member %d has no joined_at", i)
		}
		want[i].JoinedAt = all[i].JoinedAt
		if all[i] != want[i] {
			t.Fatalf("member %d = %+v, want %+v", i, all[i], want[i])
		}
	}
	cases := []struct {
		q     string
		limit int
		want  []string
	}{
		{"", 2, []string{anne.ID, bob.ID}},
		{"ANNE", 0, []string{anne.ID}},
		{"example.COM", 0, []string{anne.ID, bob.ID}},
		{"builder", 0, []string{bob.ID}},
		{"  bob  ", 0, []string{bob.ID}},
		{"%", 0, []string{carl.ID}}, // LIKE wildcards match themselves
		{"0%_d", 0, []string{carl.ID}},
		{"_", 0, []string{carl.ID}},
		{"dora", 0, nil}, // not a member
		{"zzz", 0, nil},
	}
	for _, c := range cases {
		got, err := s.ListMembers(ctx, ws.ID, c.q, c.limit)
		if err != nil {
			t.Fatalf("ListMembers(%q): %v", c.q, err)
		}
		var ids []string
		for _, m := range got {
			ids = append(ids, m.UserID)
		}
		equalStrings(t, "ListMembers q="+c.q, ids, c.want)
	}
	_, err = s.ListMembers(ctx, uuid.NewString(), "", 0)
	wantErrIs(t, "ListMembers of an unknown workspace", err, store.ErrNotFound)
}

func testLastOwner(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)

	before := wsState(t, s, ws.ID)
	_, err := s.SetRole(ctx, ws.ID, anne.ID, store.RoleAdmin)
	unchanged(t, s, before, "demote the only owner", err, store.ErrLastOwner, ws.ID)
	err = s.RemoveMember(ctx, ws.ID, anne.ID)
	unchanged(t, s, before, "remove the only owner", err, store.ErrLastOwner, ws.ID)

	addMember(t, s, ws, bob, store.RoleOwner)
	if _, err := s.SetRole(ctx, ws.ID, anne.ID, store.RoleViewer); err != nil {
		t.Fatalf("demote one of two owners: %v", err)
	}
	before = wsState(t, s, ws.ID)
	err = s.RemoveMember(ctx, ws.ID, bob.ID)
	unchanged(t, s, before, "remove the remaining owner", err, store.ErrLastOwner, ws.ID)
	_, err = s.SetRole(ctx, ws.ID, bob.ID, store.RoleEditor)
	unchanged(t, s, before, "demote the remaining owner", err, store.ErrLastOwner, ws.ID)
	if _, err := s.SetRole(ctx, ws.ID, anne.ID, store.RoleOwner); err != nil {
		t.Fatalf("promote to owner: %v", err)
	}
	if err := s.RemoveMember(ctx, ws.ID, bob.ID); err != nil {
		t.Fatalf("remove one of two owners: %v", err)
	}
	equalStrings(t, "tuples", sysTuples(t, s), []string{sf("workspace:%s#owner@user:%s", ws.ID, anne.ID)})
}

// testLastOwnerConcurrent races two owners who each remove (or demote) the
// other: exactly one may win, or the workspace would be left ownerless.
func testLastOwnerConcurrent(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ops := map[string]func(wid, uid string) error{
		"remove": func(wid, uid string) error { return s.RemoveMember(ctx, wid, uid) },
		"demote": func(wid, uid string) error { _, err := s.SetRole(ctx, wid, uid, store.RoleAdmin); return err },
	}
	for name, op := range ops {
		for round := range 10 {
			ws := newWorkspace(t, s, sf("%s-%d", name, round), anne)
			addMember(t, s, ws, bob, store.RoleOwner)
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, victim := range []string{bob.ID, anne.ID} {
				wg.Go(func() {
					<-start
					errs[i] = op(ws.ID, victim)
				})
			}
			close(start)
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrLastOwner):
					t.Fatalf("%s round %d: unexpected error %v", name, round, err)
				}
			}
			if won != 1 {
				t.Fatalf("%s round %d: %d of the two racing requests succeeded (errors %v), want exactly 1", name, round, won, errs)
			}
			owners := 0
			members, err := s.ListMembers(ctx, ws.ID, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range members {
				if m.Role == store.RoleOwner {
					owners++
				}
			}
			tuples := allTuples(t, s, store.SystemServiceID, store.TupleFilter{ObjectType: "workspace", ObjectID: ws.ID, Relation: "owner"})
			if owners != 1 || len(tuples) != 1 {
				t.Fatalf("%s round %d: %d owner rows and %d owner tuples, want 1 and 1", name, round, owners, len(tuples))
			}
		}
	}
}

func testRemoveMemberCascade(t *testing.T, s WorkspaceStore) {
	ctx := t.Context()
	anne := newUser(t, s, "anne", "anne@example.com", "Anne")
	bob := newUser(t, s, "bob", "bob@example.com", "Bob")
	ws := newWorkspace(t, s, "acme", anne)
	other := newWorkspace(t, s, "other", anne)
	addMember(t, s, ws, bob, store.RoleEditor)
	addMember(t, s, other, bob, store.RoleEditor)
	g, h, x := newGroup(t, s, ws, "eng"), newGroup(t, s, ws, "ops"), newGroup(t, s, other, "eng")
	addGroupMember(t, s, g, store.GroupMemberUser, bob.ID)
	addGroupMember(t, s, g, store.GroupMemberUser, anne.ID)
	addGroupMember(t, s, h, store.GroupMemberUser, bob.ID)
	addGroupMember(t, s, x, store.GroupMemberUser, bob.ID)
	systemModel(t, s)
	r1, r2, r3 := "resource:notes/doc/"+uuid.NewString(), "resource:notes/doc/"+uuid.NewString(), "resource:notes/doc/"+uuid.NewString()
	mustWrite(t, s, store.SystemServiceID, tups(
		sf("%s#workspace@workspace:%s", r1, ws.ID), sf("%s#owner@user:%s", r1, bob.ID),
		sf("%s#shared_viewer@user:%s", r1, bob.ID), sf("%s#shared_viewer@user:%s", r1, anne.ID),
		sf("%s#workspace@workspace:%s", r2, ws.ID), sf("%s#shared_editor@user:%s", r2, bob.ID),
		sf("%s#shared_viewer@group:%s#member", r2, g.ID),
		sf("%s#workspace@workspace:%s", r3, other.ID), sf("%s#shared_viewer@user:%s", r3, bob.ID),
	)...)
	tuplesBefore := sysTuples(t, s)
	gone := []string{
		sf("workspace:%s#editor@user:%s", ws.ID, bob.ID),
		sf("group:%s#member@user:%s", g.ID, bob.ID), sf("group:%s#member@user:%s", h.ID, bob.ID),
		sf("%s#shared_viewer@user:%s", r1, bob.ID), sf("%s#shared_editor@user:%s", r2, bob.ID),
	}
	h0 := head(t, s)
	if err := s.RemoveMember(ctx, ws.ID, bob.ID); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	var wantChanges []string
	for _, x := range gone {
		wantChanges = append(wantChanges, "delete "+x)
	}
	equalStrings(t, "changes", sorted(sysChanges(t, s, h0)...), sorted(wantChanges...))
	wantTuples := slices.DeleteFunc(slices.Clone(tuplesBefore), func(x string) bool { return slices.Contains(gone, x) })
	equalStrings(t, "tuples (the owner tuple and other workspaces' stay)", sysTuples(t, s), wantTuples)
	if gs, err := s.GroupsOfUser(ctx, ws.ID, bob.ID); err != nil || len(gs) != 0 {
		t.Fatalf("GroupsOfUser after removal: %v, %v", gs, err)
	}
	if gs, err := s.GroupsOfUser(ctx, other.ID, bob.ID); err != nil || !slices.Equal(gs, []string{x.ID}) {
		t.Fatalf("GroupsOfUser in the other workspace: %v, %v", gs, err)
	}
	members, err := s.ListGroupMembers(ctx, g.ID)
	if err != nil || len(members) != 1 || members[0].ID != anne.ID {
		t.Fatalf("ListGroupMembers after removal: %+v, %v", members, err)
	}
}
