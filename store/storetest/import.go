package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// ImportStore is what the import suite runs on.
type ImportStore interface {
	store.Store
	store.Importer
	ClientApps(ctx context.Context) ([]store.ClientApp, error)
}

// RunImport runs the import suite (store.Importer). open must return a new,
// empty store for each call and release it when t ends. The central case
// builds a data set with the store's own methods in one store, reads it
// back as a snapshot, imports that into another, and requires the same
// rows and the same system tuples: an import writes what the methods
// would.
func RunImport(t *testing.T, open func(t *testing.T) ImportStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) ImportStore)
	}{
		{"SameAsMethods", testImportSameAsMethods},
		{"DryRun", testImportDryRun},
		{"Skips", testImportSkips},
		{"Strict", testImportStrict},
		{"Invalid", testImportInvalid},
		{"NotEmpty", testImportNotEmpty},
		{"FailureWritesNothing", testImportFailureWritesNothing},
		{"ReusedService", testImportReusedService},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// impHash is the stored form of a service key secret.
func impHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// impSource is a data set built with the store's own methods: two
// workspaces with members of every role, nested groups, resources with a
// parent, private and workspace visibility, user and group shares, custom
// roles assigned to a user and a group, a service with a live and a
// revoked key, and activity entries.
type impSource struct {
	users      []store.User
	workspaces []store.Workspace
	hashes     map[string]string // key prefix → hash
}

func newImpSource(t *testing.T, s ImportStore) *impSource {
	t.Helper()
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("source: %s: %v", what, err)
		}
	}
	src := &impSource{hashes: map[string]string{}}
	var u [6]store.User
	for i, name := range []string{"anne", "bob", "carl", "dave", "erin", "fred"} {
		u[i], _ = provision(t, s, sighting("google", "g-"+name, name+"@example.com"))
	}
	must("SetUserAdmin", s.SetUserAdmin(ctx, u[0].ID, true))
	must("SetUserActive", s.SetUserActive(ctx, u[5].ID, false))
	anne, bob, carl, dave, erin := u[0], u[1], u[2], u[3], u[4]
	src.users = u[:]

	acme, err := s.CreateWorkspace(ctx, "acme", "Acme", "Rockets", anne.ID)
	must("CreateWorkspace", err)
	other, err := s.CreateWorkspace(ctx, "other", "Other", "", erin.ID)
	must("CreateWorkspace", err)
	src.workspaces = []store.Workspace{acme, other}
	for _, m := range []struct {
		ws   store.Workspace
		u    store.User
		role store.Role
	}{{acme, bob, store.RoleAdmin}, {acme, carl, store.RoleEditor}, {acme, dave, store.RoleViewer}, {other, dave, store.RoleEditor}} {
		_, err := s.AddMember(ctx, m.ws.ID, m.u.ID, m.role)
		must("AddMember", err)
	}
	eng, err := s.CreateGroup(ctx, acme.ID, "eng", "Engineers", anne.ID)
	must("CreateGroup", err)
	core, err := s.CreateGroup(ctx, acme.ID, "core", "", anne.ID)
	must("CreateGroup", err)
	ops, err := s.CreateGroup(ctx, other.ID, "ops", "", erin.ID)
	must("CreateGroup", err)
	for _, gm := range []struct {
		g   store.Group
		typ store.GroupMemberType
		id  string
	}{{eng, store.GroupMemberUser, carl.ID}, {core, store.GroupMemberUser, dave.ID}, {eng, store.GroupMemberGroup, core.ID}, {ops, store.GroupMemberUser, dave.ID}} {
		_, err := s.AddGroupMember(ctx, gm.g.ID, gm.typ, gm.id)
		must("AddGroupMember", err)
	}

	reg := func(typ, rid string, ws store.Workspace, owner store.User, v store.Visibility, parent string) store.Resource {
		r, _, err := s.RegisterResource(ctx, store.ResourceRegistration{Key: store.ResourceKey{Service: "notes", Type: typ, ID: rid},
			WorkspaceID: ws.ID, OwnerID: owner.ID, Visibility: v, ParentID: parent})
		must("RegisterResource", err)
		return r
	}
	folder := reg("folder", "00000000-0000-4000-8000-000000000001", acme, carl, store.VisibilityPrivate, "")
	reg("doc", "00000000-0000-4000-8000-000000000002", acme, carl, store.VisibilityWorkspace, folder.ID)
	private := reg("doc", "00000000-0000-4000-8000-000000000003", acme, dave, store.VisibilityPrivate, "")
	reg("doc", "00000000-0000-4000-8000-000000000004", other, erin, store.VisibilityWorkspace, "")
	for _, g := range []store.ResourceGrant{
		{GranteeType: store.GranteeUser, GranteeID: bob.ID, Permission: store.ShareView, GrantedBy: dave.ID},
		{GranteeType: store.GranteeGroup, GranteeID: eng.ID, Permission: store.ShareEdit, GrantedBy: dave.ID},
	} {
		_, err := s.ShareResource(ctx, private.ID, g)
		must("ShareResource", err)
	}
	_, err = s.ShareResource(ctx, folder.ID, store.ResourceGrant{GranteeType: store.GranteeUser, GranteeID: dave.ID,
		Permission: store.ShareEdit, GrantedBy: carl.ID})
	must("ShareResource", err)

	desc := "Export notes"
	actions, err := s.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export", Description: &desc}, {Action: "notes:share"}})
	must("RegisterActions", err)
	exporter, err := s.CreateRole(ctx, acme.ID, "exporter", "May export", anne.ID)
	must("CreateRole", err)
	_, err = s.CreateRole(ctx, other.ID, "unused", "", erin.ID)
	must("CreateRole", err)
	must("AddRoleActions", s.AddRoleActions(ctx, exporter.ID, []string{actions[0].ID, actions[1].ID}))
	must("AssignRole", s.AssignRole(ctx, exporter.ID, store.Assignee{Type: store.AssigneeUser, ID: bob.ID}, anne.ID))
	must("AssignRole", s.AssignRole(ctx, exporter.ID, store.Assignee{Type: store.AssigneeGroup, ID: core.ID}, anne.ID))

	svc, err := s.CreateService(ctx, "notes")
	must("CreateService", err)
	for _, secret := range []string{"sk_" + strings.Repeat("a", 43), "sk_" + strings.Repeat("b", 43)} {
		k, err := s.CreateKey(ctx, svc.ID, impHash(secret), secret[:7]+"****", nil)
		must("CreateKey", err)
		src.hashes[k.Prefix] = impHash(secret)
		if strings.HasPrefix(secret, "sk_b") {
			must("RevokeKey", s.RevokeKey(ctx, svc.ID, k.ID))
		}
	}
	must("TouchKey", s.TouchKey(ctx, firstKey(t, s, svc.ID).ID, time.Now()))

	for _, e := range []store.ActivityEntry{
		{Action: "workspace.created", ActorType: store.ActorUser, ActorID: anne.ID, TargetType: "workspace", TargetID: acme.ID,
			WorkspaceID: acme.ID, Detail: []byte(`{"slug":"acme"}`)},
		{Action: "service.created", ActorType: store.ActorAdmin, TargetType: "service", TargetID: svc.ID},
	} {
		_, err := s.AppendActivity(ctx, e)
		must("AppendActivity", err)
	}
	return src
}

// firstKey returns the service's oldest key.
func firstKey(t testing.TB, s store.Store, serviceID string) store.Key {
	t.Helper()
	ks, err := s.ListKeys(t.Context(), serviceID)
	if err != nil || len(ks) == 0 {
		t.Fatalf("ListKeys: %v, %d keys", err, len(ks))
	}
	return ks[0]
}

// snapshot reads the source store back as an import snapshot (ids and
// times as stored), with two client apps the methods cannot make.
func (src *impSource) snapshot(t *testing.T, s ImportStore) store.ImportSnapshot {
	t.Helper()
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("snapshot: %s: %v", what, err)
		}
	}
	var snap store.ImportSnapshot
	for _, u := range src.users {
		snap.Users = append(snap.Users, userOf(t, s, u.ID))
		snap.Identities = append(snap.Identities, identities(t, s, u.ID)...)
	}
	for _, ws := range src.workspaces {
		got, err := s.Workspace(ctx, ws.ID)
		must("Workspace", err)
		snap.Workspaces = append(snap.Workspaces, got)
		members, err := s.ListMembers(ctx, ws.ID, "", 1000)
		must("ListMembers", err)
		for _, m := range members {
			snap.Memberships = append(snap.Memberships, store.Membership{WorkspaceID: ws.ID, UserID: m.UserID, Role: m.Role, JoinedAt: m.JoinedAt})
		}
		groups, err := s.GroupsOf(ctx, ws.ID)
		must("GroupsOf", err)
		snap.Groups = append(snap.Groups, groups...)
		for _, g := range groups {
			gms, err := s.ListGroupMembers(ctx, g.ID)
			must("ListGroupMembers", err)
			for _, gm := range gms {
				snap.GroupMembers = append(snap.GroupMembers, store.ImportGroupMember{GroupID: g.ID, Type: gm.Type, MemberID: gm.ID, AddedAt: gm.AddedAt})
			}
		}
		roles, err := s.Roles(ctx, ws.ID)
		must("Roles", err)
		snap.Roles = append(snap.Roles, roles...)
		for _, r := range roles {
			as, err := s.RoleActions(ctx, r.ID)
			must("RoleActions", err)
			for _, a := range as {
				snap.RoleActions = append(snap.RoleActions, store.ImportRoleAction{RoleID: r.ID, ServiceActionID: a.ID})
			}
			held, err := s.RoleAssignments(ctx, r.ID)
			must("RoleAssignments", err)
			snap.RoleAssignments = append(snap.RoleAssignments, held...)
		}
	}
	rs, _, err := s.ListResources(ctx, store.ResourceFilter{}, 1, 1000)
	must("ListResources", err)
	// Parents first, as Import requires.
	slices.SortStableFunc(rs, func(a, b store.Resource) int { return strings.Compare(a.ParentID, b.ParentID) })
	snap.Resources = rs
	snap.ServiceActions, err = s.ServiceActions(ctx, "notes")
	must("ServiceActions", err)
	svcs, err := s.ListServices(ctx)
	must("ListServices", err)
	for _, svc := range svcs {
		is := store.ImportService{Service: svc}
		ks, err := s.ListKeys(ctx, svc.ID)
		must("ListKeys", err)
		for _, k := range ks {
			is.Keys = append(is.Keys, store.ImportKey{Hash: src.hashes[k.Prefix], Prefix: k.Prefix, CreatedAt: k.CreatedAt,
				LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt})
		}
		snap.Services = append(snap.Services, is)
	}
	snap.Activity, _, err = s.ListActivity(ctx, store.ActivityFilter{}, 1, store.MaxActivityPageSize)
	must("ListActivity", err)
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	snap.ClientApps = []store.ClientApp{
		{ID: "7d2c7a4e-8f5b-4c0e-9a55-1f2b3c4d5e6f", Name: "web", RedirectURIs: []string{"https://app.example/cb", "http://localhost:3000/cb"},
			Active: true, CreatedBy: src.users[0].ID, CreatedAt: at, UpdatedAt: at.Add(time.Hour)},
		{ID: "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b", Name: "old", Active: false, CreatedAt: at, UpdatedAt: at},
	}
	return snap
}

// impRows renders every row a snapshot's data set has, as the store's read
// methods return them (not the changelog or the tuples).
func impRows(t testing.TB, s ImportStore, src *impSource) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	for _, u := range src.users {
		got, err := s.UserByID(ctx, u.ID)
		fmt.Fprintf(&b, "user %+v %v\n", got, err)
		ids, err := s.IdentitiesOf(ctx, u.ID)
		fmt.Fprintf(&b, "identities %+v %v\n", ids, err)
	}
	var wids []string
	for _, ws := range src.workspaces {
		wids = append(wids, ws.ID)
		roles, err := s.Roles(ctx, ws.ID)
		fmt.Fprintf(&b, "roles %+v %v\n", roles, err)
		for _, r := range roles {
			as, err := s.RoleActions(ctx, r.ID)
			fmt.Fprintf(&b, "role %s actions %+v %v\n", r.Name, as, err)
			held, err := s.RoleAssignments(ctx, r.ID)
			fmt.Fprintf(&b, "role %s assignments %+v %v\n", r.Name, held, err)
		}
	}
	b.WriteString(wsRows(t, s, wids...))
	rs, total, err := s.ListResources(ctx, store.ResourceFilter{}, 1, 1000)
	fmt.Fprintf(&b, "resources %d %+v %v\n", total, rs, err)
	as, err := s.ServiceActions(ctx, "notes")
	fmt.Fprintf(&b, "actions %+v %v\n", as, err)
	svc, err := s.ServiceByName(ctx, "notes")
	fmt.Fprintf(&b, "service %+v %v\n", svc, err)
	if err == nil {
		ks, err := s.ListKeys(ctx, svc.ID)
		for i := range ks {
			ks[i].ID = "" // new ids: the import keeps the hash, not the id
		}
		slices.SortFunc(ks, func(a, b store.Key) int { return strings.Compare(a.Prefix, b.Prefix) })
		fmt.Fprintf(&b, "keys %+v %v\n", ks, err)
	}
	es, _, err := s.ListActivity(ctx, store.ActivityFilter{}, 1, store.MaxActivityPageSize)
	es = slices.DeleteFunc(es, func(e store.ActivityEntry) bool { return e.Action == store.ImportedAction })
	fmt.Fprintf(&b, "activity %+v %v\n", es, err)
	return b.String()
}
