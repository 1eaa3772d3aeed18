package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// impIDs names the rows of impSmall.
type impIDs struct {
	u1, u2, u3 string // u1 owns w, u2 edits w, u3 owns v
	w, v       string // workspaces
	g, h       string // group g of w (∋ u2), group h of v
	r          string // a private resource of w owned by u1, shared with u2
}

// impSmall is a small valid snapshot written by hand.
func impSmall() (store.ImportSnapshot, impIDs) {
	ids := impIDs{
		u1: "10000000-0000-4000-8000-000000000001", u2: "10000000-0000-4000-8000-000000000002",
		u3: "10000000-0000-4000-8000-000000000003",
		w:  "20000000-0000-4000-8000-000000000001", v: "20000000-0000-4000-8000-000000000002",
		g: "30000000-0000-4000-8000-000000000001", h: "30000000-0000-4000-8000-000000000002",
		r: "40000000-0000-4000-8000-000000000001",
	}
	at := time.Date(2023, 3, 4, 5, 6, 7, 0, time.UTC)
	user := func(id, email string) store.User {
		return store.User{ID: id, Email: email, Name: email, Active: true, CreatedAt: at, UpdatedAt: at}
	}
	secret := "sk_" + strings.Repeat("c", 43)
	snap := store.ImportSnapshot{
		Users:      []store.User{user(ids.u1, "U1@example.com"), user(ids.u2, "u2@example.com"), user(ids.u3, "u3@example.com")},
		Identities: []store.Identity{{Provider: "google", Subject: "g-1", UserID: ids.u1}},
		Workspaces: []store.Workspace{
			{ID: ids.w, Slug: "w", Name: "W", CreatedBy: ids.u1, CreatedAt: at},
			{ID: ids.v, Slug: "v", Name: "V", CreatedBy: ids.u3, CreatedAt: at},
		},
		Memberships: []store.Membership{
			{WorkspaceID: ids.w, UserID: ids.u1, Role: store.RoleOwner, JoinedAt: at},
			{WorkspaceID: ids.w, UserID: ids.u2, Role: store.RoleEditor, JoinedAt: at},
			{WorkspaceID: ids.v, UserID: ids.u3, Role: store.RoleOwner, JoinedAt: at},
		},
		Groups: []store.Group{
			{ID: ids.g, WorkspaceID: ids.w, Name: "g", CreatedAt: at},
			{ID: ids.h, WorkspaceID: ids.v, Name: "h", CreatedAt: at},
		},
		GroupMembers: []store.ImportGroupMember{{GroupID: ids.g, Type: store.GroupMemberUser, MemberID: ids.u2, AddedAt: at}},
		Resources: []store.Resource{{ID: ids.r, Key: store.ResourceKey{Service: "notes", Type: "doc", ID: "50000000-0000-4000-8000-000000000001"},
			WorkspaceID: ids.w, OwnerID: ids.u1, Visibility: store.VisibilityPrivate, CreatedAt: at,
			Shares: []store.ResourceShare{{ID: "60000000-0000-4000-8000-000000000001", GranteeType: store.GranteeUser, GranteeID: ids.u2,
				Permission: store.ShareView, GrantedBy: ids.u1, GrantedAt: at}}}},
		Services: []store.ImportService{{Service: store.Service{ID: "70000000-0000-4000-8000-000000000001", Name: "notes", CreatedAt: at},
			Keys: []store.ImportKey{{Hash: impHash(secret), Prefix: secret[:7] + "****", CreatedAt: at}}}},
		Activity: []store.ActivityEntry{{ID: "80000000-0000-4000-8000-000000000001", Action: "workspace.created",
			ActorType: store.ActorUser, ActorID: ids.u1, WorkspaceID: ids.w, CreatedAt: at}},
	}
	return snap, ids
}

func testImportSkips(t *testing.T, open func(t *testing.T) ImportStore) {
	ctx := t.Context()
	snap, ids := impSmall()
	const (
		ghost   = "90000000-0000-4000-8000-000000000001" // in no table
		x       = "20000000-0000-4000-8000-00000000000a" // creator missing, u2 owns it
		y       = "20000000-0000-4000-8000-00000000000b" // creator missing, no member
		yGroup  = "30000000-0000-4000-8000-00000000000b"
		role    = "a0000000-0000-4000-8000-000000000001"
		action  = "b0000000-0000-4000-8000-000000000001"
		badRes  = "40000000-0000-4000-8000-00000000000b"
		farRes  = "40000000-0000-4000-8000-00000000000c"
		toU3    = "60000000-0000-4000-8000-000000000003"
		toH     = "60000000-0000-4000-8000-00000000000f"
		badSvc  = "70000000-0000-4000-8000-00000000000b"
		badNote = "80000000-0000-4000-8000-00000000000b"
	)
	at := snap.Users[0].CreatedAt
	snap.Identities = append(snap.Identities, store.Identity{Provider: "github", Subject: "github|9", UserID: ghost})
	snap.Workspaces = append(snap.Workspaces,
		store.Workspace{ID: x, Slug: "x", Name: "X", CreatedBy: ghost, CreatedAt: at},
		store.Workspace{ID: y, Slug: "y", Name: "Y", CreatedBy: ghost, CreatedAt: at})
	snap.Memberships = append(snap.Memberships,
		store.Membership{WorkspaceID: ids.w, UserID: ids.u3, Role: "guest", JoinedAt: at},
		store.Membership{WorkspaceID: x, UserID: ids.u2, Role: store.RoleOwner, JoinedAt: at})
	snap.Groups = append(snap.Groups, store.Group{ID: yGroup, WorkspaceID: y, Name: "lost", CreatedAt: at})
	snap.GroupMembers = append(snap.GroupMembers,
		store.ImportGroupMember{GroupID: ids.g, Type: store.GroupMemberUser, MemberID: ids.u3, AddedAt: at},
		store.ImportGroupMember{GroupID: ids.g, Type: store.GroupMemberGroup, MemberID: ids.h, AddedAt: at})
	snap.Resources[0].Shares = append(snap.Resources[0].Shares,
		store.ResourceShare{ID: toU3, GranteeType: store.GranteeUser, GranteeID: ids.u3, Permission: store.ShareEdit, GrantedAt: at},
		store.ResourceShare{ID: toH, GranteeType: store.GranteeGroup, GranteeID: ids.h, Permission: store.ShareView, GrantedAt: at})
	snap.Resources = append(snap.Resources,
		store.Resource{ID: badRes, Key: store.ResourceKey{Service: "Bad Name", Type: "doc", ID: ghost}, WorkspaceID: ids.w, OwnerID: ids.u1},
		store.Resource{ID: farRes, Key: store.ResourceKey{Service: "notes", Type: "doc", ID: ghost}, WorkspaceID: ghost, OwnerID: ids.u1})
	snap.Roles = []store.RBACRole{{ID: role, WorkspaceID: ids.w, Name: "exporter", CreatedAt: at}}
	snap.RoleActions = []store.ImportRoleAction{{RoleID: role, ServiceActionID: action}}
	snap.RoleAssignments = []store.RoleAssignment{
		{RoleID: role, Assignee: store.Assignee{Type: store.AssigneeUser, ID: ids.u2}, AssignedAt: at},
		{RoleID: role, Assignee: store.Assignee{Type: store.AssigneeUser, ID: ids.u3}, AssignedAt: at},
	}
	snap.Services[0].Keys = append(snap.Services[0].Keys, store.ImportKey{Hash: "not-a-hash", Prefix: "sk_zzzz****"})
	snap.Services = append(snap.Services, store.ImportService{Service: store.Service{ID: badSvc, Name: "Bad Name"}})
	snap.Activity = append(snap.Activity, store.ActivityEntry{ID: badNote, Action: "x", ActorType: "robot"})

	s := open(t)
	rep, err := s.Import(ctx, snap, store.ImportOptions{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	var got []string
	for _, sk := range rep.Skipped {
		if sk.Reason == "" {
			t.Errorf("skip %+v has no reason", sk)
		}
		got = append(got, sk.Table+" "+sk.ID)
	}
	slices.Sort(got)
	equalStrings(t, "skipped rows", got, sorted(
		"identities github|github|9",
		"workspaces "+y,
		"workspace_memberships "+ids.w+"/"+ids.u3,
		"groups "+yGroup,
		"group_members "+ids.g+"/user/"+ids.u3,
		"group_members "+ids.g+"/group/"+ids.h,
		"resource_shares "+toU3,
		"resource_shares "+toH,
		"resources "+badRes,
		"resources "+farRes,
		"role_actions "+role+"/"+action,
		"role_assignments "+role+"/user/"+ids.u3,
		"services "+badSvc,
		"service_keys sk_zzzz****",
		"activity "+badNote,
	))

	// The rows kept, and only their tuples.
	ws, err := s.Workspace(ctx, x)
	if err != nil || ws.CreatedBy != ids.u2 {
		t.Fatalf("workspace x: %+v, %v; want created by its owner %s", ws, err, ids.u2)
	}
	if _, err := s.Workspace(ctx, y); err == nil {
		t.Fatal("workspace y was imported")
	}
	rObj := "resource:notes/doc/50000000-0000-4000-8000-000000000001"
	equalStrings(t, "system tuples", sysTuples(t, s), sorted(
		"workspace:"+ids.w+"#owner@user:"+ids.u1,
		"workspace:"+ids.w+"#editor@user:"+ids.u2,
		"workspace:"+ids.v+"#owner@user:"+ids.u3,
		"workspace:"+x+"#owner@user:"+ids.u2,
		"group:"+ids.g+"#workspace@workspace:"+ids.w,
		"group:"+ids.h+"#workspace@workspace:"+ids.v,
		"group:"+ids.g+"#member@user:"+ids.u2,
		rObj+"#workspace@workspace:"+ids.w,
		rObj+"#owner@user:"+ids.u1,
		rObj+"#shared_viewer@user:"+ids.u2,
		"role:"+role+"#workspace@workspace:"+ids.w,
		"role:"+role+"#assignee@user:"+ids.u2,
	))
	u1, err := s.UserByEmail(ctx, "u1@example.com")
	if err != nil || u1.ID != ids.u1 {
		t.Fatalf("emails are stored lower-cased: %+v, %v", u1, err)
	}
	if idents := identities(t, s, ids.u1); len(idents) != 1 || idents[0].Email != "u1@example.com" || string(idents[0].Claims) != "{}" {
		t.Fatalf("identity defaults (the user's email, {} claims): %+v", idents)
	}
}
