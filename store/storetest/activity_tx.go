package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// The activity attached to a write's context (store.WithActivity,
// store.WithActivityOf) commits with the write, or neither does.

// actorEntry is an entry by u with action, target and workspace.
func actorEntry(u store.User, action, targetType, targetID, workspaceID string) store.ActivityEntry {
	return store.ActivityEntry{Action: action, ActorType: store.ActorUser, ActorID: u.ID, ActorLabel: u.Email,
		TargetType: targetType, TargetID: targetID, WorkspaceID: workspaceID, Detail: []byte(`{"k":"v"}`)}
}

// activitySummary renders entries (newest first) as "action target_type
// target_id workspace_id actor_id" lines, the fields a write fills in.
func activitySummary(es []store.ActivityEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s %s %s %s %s", e.Action, e.TargetType, e.TargetID, e.WorkspaceID, e.ActorID)
	}
	return out
}

func testActivityInWrite(t *testing.T, s ActivityStore) {
	ctx := t.Context()
	owner := newUser(t, s, "act-owner", "owner@example.com", "Owner")

	// An entry completed from what the write produced: the new
	// workspace's id, known only inside the transaction.
	ws, err := s.CreateWorkspace(store.WithActivityOf(ctx, func(w store.Workspace) ([]store.ActivityEntry, error) {
		return []store.ActivityEntry{actorEntry(owner, "workspace.created", "workspace", w.ID, w.ID)}, nil
	}), "acme", "Acme", "", owner.ID)
	if err != nil {
		t.Fatalf("CreateWorkspace with activity: %v", err)
	}
	// Fixed entries, two for one write.
	name := "Acme Inc"
	if _, err := s.UpdateWorkspace(store.WithActivity(ctx,
		actorEntry(owner, "workspace.updated", "workspace", ws.ID, ws.ID),
		actorEntry(owner, "workspace.renamed", "workspace", ws.ID, ws.ID)), ws.ID, store.WorkspaceUpdate{Name: &name}); err != nil {
		t.Fatalf("UpdateWorkspace with activity: %v", err)
	}
	// A write that appends no changelog row records too.
	svc, err := s.CreateService(store.WithActivity(ctx, actorEntry(owner, "service.created", "service", "", "")), "notes")
	if err != nil {
		t.Fatalf("CreateService with activity: %v", err)
	}
	// A write with no activity attached records nothing.
	g := newGroup(t, s, ws, "team")

	// One context for two writes: recorded once, by the first.
	once := store.WithActivity(ctx, actorEntry(owner, "group.member_added", "group", g.ID, ws.ID))
	if _, err := s.AddGroupMember(once, g.ID, store.GroupMemberUser, owner.ID); err != nil {
		t.Fatalf("AddGroupMember: %v", err)
	}
	if err := s.RemoveGroupMember(once, g.ID, store.GroupMemberUser, owner.ID); err != nil {
		t.Fatalf("RemoveGroupMember with a recorded activity: %v", err)
	}

	// An update that changes nothing produces nothing: it records nothing
	// from WithActivityOf; the same update changing a value does.
	app, err := s.CreateClientApp(ctx, store.ClientAppSpec{Name: "console", RedirectURIs: []string{"https://c.example/cb"}})
	if err != nil {
		t.Fatalf("CreateClientApp: %v", err)
	}
	appUpdated := func(newName string) {
		t.Helper()
		_, err := s.UpdateClientApp(store.WithActivityOf(ctx, func(a store.ClientApp) ([]store.ActivityEntry, error) {
			return []store.ActivityEntry{actorEntry(owner, "client_app.updated", "client_app", a.ID+" "+a.Name, "")}, nil
		}), app.ID, store.ClientAppUpdate{Name: &newName})
		if err != nil {
			t.Fatalf("UpdateClientApp(%q) with activity: %v", newName, err)
		}
	}
	appUpdated("console")
	appUpdated("admin console")

	got, total := listActivityAll(t, s, store.ActivityFilter{})
	want := []string{
		"client_app.updated client_app " + app.ID + " admin console  " + owner.ID,
		"group.member_added group " + g.ID + " " + ws.ID + " " + owner.ID,
		"service.created service   " + owner.ID,
		"workspace.renamed workspace " + ws.ID + " " + ws.ID + " " + owner.ID,
		"workspace.updated workspace " + ws.ID + " " + ws.ID + " " + owner.ID,
		"workspace.created workspace " + ws.ID + " " + ws.ID + " " + owner.ID,
	}
	if total != len(want) || fmt.Sprint(activitySummary(got)) != fmt.Sprint(want) {
		t.Fatalf("activity log (%d):\n%q\nwant\n%q", total, activitySummary(got), want)
	}
	// Each entry is stored whole, and with its write.
	if e := got[len(got)-1]; e.ActorLabel != owner.Email || string(e.Detail) != `{"k":"v"}` || e.ID == "" || e.CreatedAt.IsZero() {
		t.Fatalf("stored entry %+v", e)
	}
	if w, err := s.Workspace(ctx, ws.ID); err != nil || w.Name != name {
		t.Fatalf("workspace after the writes: %+v, %v", w, err)
	}
	if _, err := s.ServiceByName(ctx, "notes"); err != nil || svc.Name != "notes" {
		t.Fatalf("service after the write: %v", err)
	}
}

func testActivityInWriteRefused(t *testing.T, s ActivityStore) {
	ctx := t.Context()
	owner := newUser(t, s, "act-owner", "owner@example.com", "Owner")
	other := newUser(t, s, "act-other", "other@example.com", "Other")
	ws := newWorkspace(t, s, "acme", owner)
	svc := newService(t, s, "notes")
	m := newModel(t, s, svc.ID)
	appendActivityEntry(t, s, store.ActivityEntry{Action: "before", ActorType: store.ActorAdmin})

	invalid := actorEntry(owner, "workspace.updated", "workspace", ws.ID, ws.ID)
	invalid.ActorType = "robot"
	boom := errors.New("boom")
	// state is what a refused write must leave as it was: the workspace's
	// rows, every system tuple and the head revision (wsState), the
	// services, the current model and the activity log.
	state := func() string {
		t.Helper()
		svcs, err := s.ListServices(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cur, err := s.CurrentModel(ctx, svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := listActivityAll(t, s, store.ActivityFilter{})
		return fmt.Sprintf("%s\nservices %+v\nmodel %s\nactivity %q", wsState(t, s, ws.ID), svcs, cur.ID, activitySummary(entries))
	}
	before := state()

	withInvalid := store.WithActivity(ctx, invalid)
	wrongType := store.WithActivityOf(ctx, func(store.Group) ([]store.ActivityEntry, error) {
		return []store.ActivityEntry{actorEntry(owner, "x", "", "", "")}, nil
	})
	failing := store.WithActivityOf(ctx, func(store.Workspace) ([]store.ActivityEntry, error) { return nil, boom })
	name := "Renamed"
	cases := []struct {
		name  string
		write func() error
		want  error
	}{
		{"create workspace, invalid entry", func() error {
			_, err := s.CreateWorkspace(withInvalid, "other", "Other", "", owner.ID)
			return err
		}, store.ErrInvalidActivity},
		{"create workspace, entries of another type", func() error {
			_, err := s.CreateWorkspace(wrongType, "other", "Other", "", owner.ID)
			return err
		}, store.ErrInvalidActivity},
		{"create workspace, entries that fail to build", func() error {
			_, err := s.CreateWorkspace(failing, "other", "Other", "", owner.ID)
			return err
		}, boom},
		{"update workspace", func() error {
			_, err := s.UpdateWorkspace(withInvalid, ws.ID, store.WorkspaceUpdate{Name: &name})
			return err
		}, store.ErrInvalidActivity},
		{"add member", func() error {
			_, err := s.AddMember(withInvalid, ws.ID, other.ID, store.RoleEditor)
			return err
		}, store.ErrInvalidActivity},
		{"create group", func() error {
			_, err := s.CreateGroup(withInvalid, ws.ID, "team", "", owner.ID)
			return err
		}, store.ErrInvalidActivity},
		{"delete workspace", func() error { return s.DeleteWorkspace(withInvalid, ws.ID) }, store.ErrInvalidActivity},
		{"create service", func() error {
			_, err := s.CreateService(withInvalid, "billing")
			return err
		}, store.ErrInvalidActivity},
		{"write model", func() error {
			_, err := s.WriteModel(withInvalid, svc.ID, "model\n  schema 1.1\ntype user\n", `{"schema_version":"1.1"}`)
			return err
		}, store.ErrInvalidActivity},
	}
	for _, c := range cases {
		wantErrIs(t, c.name, c.write(), c.want)
		if after := state(); after != before {
			t.Fatalf("%s: refused, but the store changed:\nbefore %s\nafter  %s", c.name, before, after)
		}
	}
	if _, err := s.WorkspaceBySlug(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("workspace of a refused creation: %v", err)
	}
	if _, err := s.ServiceByName(ctx, "billing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("service of a refused creation: %v", err)
	}
	if cur, err := s.CurrentModel(ctx, svc.ID); err != nil || cur.ID != m.ID {
		t.Fatalf("current model after a refused write: %+v, %v", cur, err)
	}

	// The refusal is not sticky: the same write with a valid entry works.
	if _, err := s.UpdateWorkspace(store.WithActivity(ctx, actorEntry(owner, "workspace.updated", "workspace", ws.ID, ws.ID)),
		ws.ID, store.WorkspaceUpdate{Name: &name}); err != nil {
		t.Fatalf("UpdateWorkspace with a valid entry: %v", err)
	}
	if got, total := listActivityAll(t, s, store.ActivityFilter{}); total != 2 || got[0].Action != "workspace.updated" {
		t.Fatalf("activity after the valid write: %q", activitySummary(got))
	}
}
