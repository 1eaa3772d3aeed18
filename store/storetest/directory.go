package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// RunDirectory runs the conformance tests of DirectoryStore. open must
// return a new, empty store for each call and release it when t ends.
func RunDirectory(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ListUsers", testDirectoryListUsers},
		{"BadPages", testDirectoryBadPages},
		{"UpdateUser", testDirectoryUpdateUser},
		{"SetUsersActive", testDirectorySetUsersActive},
		{"Workspaces", testDirectoryWorkspaces},
		{"Stats", testDirectoryStats},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func dirBool(b bool) *bool { return &b }

// dirUsers provisions users named by their subjects, with the name given
// (email <subject>@example.com).
func dirUsers(t testing.TB, s store.Store, names map[string]string) map[string]store.User {
	t.Helper()
	out := map[string]store.User{}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, sub := range keys {
		si := sighting("google", sub, sub+"@example.com")
		si.Name = names[sub]
		out[sub], _ = provision(t, s, si)
	}
	return out
}

// newestFirst orders users as ListUsers does.
func newestFirst(us []store.User) []string {
	us = slices.Clone(us)
	slices.SortFunc(us, func(a, b store.User) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

func userIDs(us []store.User) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

// testDirectoryListUsers: search by name or email ignoring case, LIKE
// wildcards taken literally, pages newest first with a stable total.
func testDirectoryListUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	us := dirUsers(t, s, map[string]string{
		"anne": "Anne Smith", "bob": "Bob Stone", "carl": "Carl 100% Real", "dora": "Dora_Smith", "eve": "Eve",
	})
	all := []store.User{us["anne"], us["bob"], us["carl"], us["dora"], us["eve"]}
	pick := func(subs ...string) []store.User {
		out := make([]store.User, len(subs))
		for i, sub := range subs {
			out[i] = us[sub]
		}
		return out
	}
	cases := []struct {
		search string
		want   []store.User
	}{
		{"", all},
		{"   ", all},
		{"smith", pick("anne", "dora")},
		{"SMITH", pick("anne", "dora")},
		{"BOB@EXAMPLE", pick("bob")},
		{"example.com", all},
		{"100%", pick("carl")},
		{"%", pick("carl")},
		{"_", pick("dora")},
		{"nobody", nil},
	}
	for _, c := range cases {
		got, total, err := s.ListUsers(ctx, c.search, 1, 100)
		wantErrIs(t, "ListUsers "+c.search, err, nil)
		if want := newestFirst(c.want); !slices.Equal(userIDs(got), want) || total != len(want) {
			t.Fatalf("ListUsers(%q) = %v (total %d), want %v", c.search, userIDs(got), total, want)
		}
	}
	// Users come back whole.
	got, _, _ := s.ListUsers(ctx, "anne", 1, 1)
	if len(got) != 1 || !reflect.DeepEqual(got[0], userOf(t, s, us["anne"].ID)) {
		t.Fatalf("ListUsers returned %+v, want %+v", got, userOf(t, s, us["anne"].ID))
	}

	// Pages of two: 2, 2, 1, then empty; together every user once.
	want := newestFirst(all)
	var seen []string
	for page := 1; page <= 4; page++ {
		got, total, err := s.ListUsers(ctx, "", page, 2)
		wantErrIs(t, fmt.Sprintf("ListUsers page %d", page), err, nil)
		if total != 5 {
			t.Fatalf("page %d: total %d, want 5", page, total)
		}
		if wantN := min(max(5-2*(page-1), 0), 2); len(got) != wantN {
			t.Fatalf("page %d: %d users, want %d", page, len(got), wantN)
		}
		seen = append(seen, userIDs(got)...)
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("pages = %v, want %v", seen, want)
	}
}

// testDirectoryBadPages: a bad page or page size is ErrInvalidPage.
func testDirectoryBadPages(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, p := range [][2]int{{0, 10}, {-1, 10}, {1, 0}, {1, store.MaxDirectoryPageSize + 1}, {1 << 62, 1000}} {
		_, _, err := s.ListUsers(ctx, "", p[0], p[1])
		wantErrIs(t, fmt.Sprintf("ListUsers page %d size %d", p[0], p[1]), err, store.ErrInvalidPage)
		_, _, err = s.ListWorkspaces(ctx, "", p[0], p[1])
		wantErrIs(t, fmt.Sprintf("ListWorkspaces page %d size %d", p[0], p[1]), err, store.ErrInvalidPage)
	}
}

// testDirectoryUpdateUser: each field alone and together, one OpUser change
// per write, none without one; an unknown user writes nothing.
func testDirectoryUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	us := dirUsers(t, s, map[string]string{"anne": "Anne", "bob": "Bob"})
	anne, bob := us["anne"], us["bob"]
	steps := []struct {
		name   string
		u      store.UserAdminUpdate
		want   func(u *store.User)
		change bool
	}{
		{"name", store.UserAdminUpdate{Name: profileStr("Anne B.")}, func(u *store.User) { u.Name = "Anne B." }, true},
		{"deactivate", store.UserAdminUpdate{Active: dirBool(false)}, func(u *store.User) { u.Active = false }, true},
		{"admin", store.UserAdminUpdate{Admin: dirBool(true)}, func(u *store.User) { u.Admin = true }, true},
		{"all", store.UserAdminUpdate{Name: profileStr("A"), Active: dirBool(true), Admin: dirBool(false)},
			func(u *store.User) { u.Name, u.Active, u.Admin = "A", true, false }, true},
		{"nothing", store.UserAdminUpdate{}, func(*store.User) {}, false},
	}
	want := anne
	for _, st := range steps {
		rev := head(t, s)
		got, err := s.UpdateUser(ctx, anne.ID, st.u)
		wantErrIs(t, st.name, err, nil)
		stored := userOf(t, s, anne.ID)
		if !reflect.DeepEqual(got, stored) {
			t.Fatalf("%s: returned %+v, stored %+v", st.name, got, stored)
		}
		st.want(&want)
		want.UpdatedAt = stored.UpdatedAt
		if !reflect.DeepEqual(stored, want) {
			t.Fatalf("%s: stored %+v, want %+v", st.name, stored, want)
		}
		cs := allChanges(t, s, "", rev)
		if st.change != (len(cs) == 1) || len(cs) > 1 || (st.change && (cs[0].Op != store.OpUser || cs[0].UserID != anne.ID)) {
			t.Fatalf("%s: changes %+v, want one OpUser change: %v", st.name, cs, st.change)
		}
	}
	if got := userOf(t, s, bob.ID); !reflect.DeepEqual(got, bob) {
		t.Fatalf("another user changed: %+v, want %+v", got, bob)
	}
	rev := head(t, s)
	_, err := s.UpdateUser(ctx, "00000000-0000-4000-8000-000000000000", store.UserAdminUpdate{Active: dirBool(false)})
	wantErrIs(t, "UpdateUser of an unknown user", err, store.ErrNotFound)
	if h := head(t, s); h != rev {
		t.Fatalf("a failed update appended changes: head %d, was %d", h, rev)
	}
}

// testDirectorySetUsersActive: all listed users or none.
func testDirectorySetUsersActive(t *testing.T, s store.Store) {
	ctx := t.Context()
	us := dirUsers(t, s, map[string]string{"anne": "Anne", "bob": "Bob", "carl": "Carl"})
	anne, bob, carl := us["anne"], us["bob"], us["carl"]
	active := func() []bool {
		return []bool{userOf(t, s, anne.ID).Active, userOf(t, s, bob.ID).Active, userOf(t, s, carl.ID).Active}
	}

	rev := head(t, s)
	err := s.SetUsersActive(ctx, []string{anne.ID, bob.ID, "00000000-0000-4000-8000-000000000000"}, false)
	wantErrIs(t, "SetUsersActive with an unknown id", err, store.ErrNotFound)
	if got := active(); !slices.Equal(got, []bool{true, true, true}) || head(t, s) != rev {
		t.Fatalf("a failed bulk change wrote: active %v, head %d (was %d)", got, head(t, s), rev)
	}

	wantErrIs(t, "SetUsersActive deactivate", s.SetUsersActive(ctx, []string{bob.ID, anne.ID, bob.ID}, false), nil)
	if got := active(); !slices.Equal(got, []bool{false, false, true}) {
		t.Fatalf("after deactivating anne and bob: active %v", got)
	}
	var changed []string
	for _, c := range allChanges(t, s, "", rev) {
		if c.Op != store.OpUser {
			t.Fatalf("unexpected change %+v", c)
		}
		changed = append(changed, c.UserID)
	}
	slices.Sort(changed)
	if want := []string{min(anne.ID, bob.ID), max(anne.ID, bob.ID)}; !slices.Equal(changed, want) {
		t.Fatalf("OpUser changes of %v, want %v", changed, want)
	}

	wantErrIs(t, "SetUsersActive activate", s.SetUsersActive(ctx, []string{anne.ID}, true), nil)
	if got := active(); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("after activating anne: active %v", got)
	}
	rev = head(t, s)
	wantErrIs(t, "SetUsersActive of nobody", s.SetUsersActive(ctx, nil, false), nil)
	if head(t, s) != rev {
		t.Fatal("SetUsersActive of nobody appended changes")
	}
}

// testDirectoryWorkspaces: search by name or slug, sizes, one summary.
func testDirectoryWorkspaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	us := dirUsers(t, s, map[string]string{"anne": "Anne", "bob": "Bob", "carl": "Carl"})
	mk := func(slug, name string) store.Workspace {
		w, err := s.CreateWorkspace(ctx, slug, name, "about "+slug, us["anne"].ID)
		if err != nil {
			t.Fatalf("CreateWorkspace %s: %v", slug, err)
		}
		return w
	}
	acme, beta, empty := mk("acme", "Acme Corp"), mk("beta-labs", "Beta"), mk("gamma", "Gamma Team")
	for _, sub := range []string{"bob", "carl"} {
		if _, err := s.AddMember(ctx, acme.ID, us[sub].ID, store.RoleViewer); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddMember(ctx, beta.ID, us["bob"].ID, store.RoleEditor); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"eng", "ops"} {
		if _, err := s.CreateGroup(ctx, acme.ID, name, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveMember(ctx, empty.ID, us["anne"].ID); err == nil {
		t.Fatal("removed the last owner")
	}
	sum := func(w store.Workspace, members, groups int) store.WorkspaceSummary {
		return store.WorkspaceSummary{Workspace: w, MemberCount: members, GroupCount: groups}
	}
	wantAcme, wantBeta, wantGamma := sum(acme, 3, 2), sum(beta, 2, 0), sum(empty, 1, 0)
	newest := func(ws ...store.WorkspaceSummary) []store.WorkspaceSummary {
		ws = slices.Clone(ws)
		slices.SortFunc(ws, func(a, b store.WorkspaceSummary) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		return ws
	}
	cases := []struct {
		search string
		want   []store.WorkspaceSummary
	}{
		{"", newest(wantAcme, wantBeta, wantGamma)},
		{"ACME", []store.WorkspaceSummary{wantAcme}},
		{"labs", []store.WorkspaceSummary{wantBeta}},
		{"team", []store.WorkspaceSummary{wantGamma}},
		{"a", newest(wantAcme, wantBeta, wantGamma)},
		{"%", nil},
	}
	for _, c := range cases {
		got, total, err := s.ListWorkspaces(ctx, c.search, 1, 10)
		wantErrIs(t, "ListWorkspaces "+c.search, err, nil)
		if total != len(c.want) || !reflect.DeepEqual(got, c.want) {
			t.Fatalf("ListWorkspaces(%q) = %+v (total %d), want %+v", c.search, got, total, c.want)
		}
	}
	got, total, err := s.ListWorkspaces(ctx, "", 2, 2)
	wantErrIs(t, "ListWorkspaces page 2", err, nil)
	if total != 3 || len(got) != 1 || got[0].ID != newest(wantAcme, wantBeta, wantGamma)[2].ID {
		t.Fatalf("ListWorkspaces page 2 of 2 = %+v (total %d)", got, total)
	}

	one, err := s.WorkspaceSummary(ctx, acme.ID)
	wantErrIs(t, "WorkspaceSummary", err, nil)
	if !reflect.DeepEqual(one, wantAcme) {
		t.Fatalf("WorkspaceSummary = %+v, want %+v", one, wantAcme)
	}
	_, err = s.WorkspaceSummary(ctx, "00000000-0000-4000-8000-000000000000")
	wantErrIs(t, "WorkspaceSummary of an unknown workspace", err, store.ErrNotFound)
}

// testDirectoryStats: an empty store counts nothing (the system service is
// not a service); then each count moves with its table.
func testDirectoryStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	st, err := s.Stats(ctx)
	wantErrIs(t, "Stats of an empty store", err, nil)
	if st != (store.Stats{}) {
		t.Fatalf("Stats of an empty store = %+v", st)
	}

	us := dirUsers(t, s, map[string]string{"anne": "Anne", "bob": "Bob", "carl": "Carl"})
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("deactivate", s.SetUserActive(ctx, us["carl"].ID, false))
	must("admin", s.SetUserAdmin(ctx, us["bob"].ID, true))
	w, err := s.CreateWorkspace(ctx, "acme", "Acme", "", us["anne"].ID)
	must("workspace", err)
	_, err = s.AddMember(ctx, w.ID, us["bob"].ID, store.RoleEditor)
	must("member", err)
	_, err = s.Invite(ctx, w.ID, "zed@example.com", store.RoleViewer, "")
	must("invite", err)
	_, err = s.CreateGroup(ctx, w.ID, "eng", "", "")
	must("group", err)
	newService(t, s, "notes")
	res, _, err := s.RegisterResource(ctx, store.ResourceRegistration{
		Key: store.ResourceKey{Service: "notes", Type: "doc", ID: "00000000-0000-4000-8000-0000000000d1"}, WorkspaceID: w.ID,
		OwnerID: us["anne"].ID})
	must("resource", err)
	_, err = s.ShareResource(ctx, res.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: us["bob"].ID,
		Permission: store.ShareView, GrantedBy: us["anne"].ID})
	must("share", err)
	_, err = s.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}, {Action: "notes:read"}})
	must("actions", err)
	_, err = s.CreateRole(ctx, w.ID, "exporter", "", "")
	must("role", err)
	_, err = s.AppendActivity(ctx, store.ActivityEntry{Action: "test.done", ActorType: store.ActorAdmin})
	must("activity", err)

	st, err = s.Stats(ctx)
	wantErrIs(t, "Stats", err, nil)
	want := store.Stats{Users: 3, ActiveUsers: 2, AdminUsers: 1, Workspaces: 1, Memberships: 2, PendingInvitations: 1,
		Groups: 1, Resources: 1, Shares: 1, Services: 1, ServiceActions: 2, Roles: 1, ClientApps: 0, ActivityEntries: 1}
	if st != want {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
}
