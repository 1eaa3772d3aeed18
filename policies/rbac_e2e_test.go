package policies_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sort"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/sentinel-auth/sentinel/datasync"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/sqlite"
)

// rbacWorld is the read path in process with the RBAC policy prepared on
// the engine: a SQLite store whose rows are written through the store's
// own methods (workspaces, groups, roles), datasync carrying their system
// tuples into the engine, and the system service's model = the default
// model + the RBAC fragment.
type rbacWorld struct {
	t                      *testing.T
	st                     *sqlite.Store
	sync                   *datasync.Syncer
	allowed, roles, listed *engine.Policy
	actions                map[string]string // notes' action name → id
}

func newRBACWorld(t *testing.T) *rbacWorld {
	t.Helper()
	ctx := t.Context()
	st := testenv.SQLiteStore(t)
	eng, err := engine.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sync := datasync.New(st, eng, datasync.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := sync.Start(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := policies.DefaultWithRBAC()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteModel(ctx, store.SystemServiceID, m.DSL(), m.JSON()); err != nil {
		t.Fatal(err)
	}
	w := &rbacWorld{t: t, st: st, sync: sync}
	modules := map[string]string{policies.RBACModuleFile: policies.RBACModule}
	for q, p := range map[string]**engine.Policy{
		policies.RBACAllowedQuery: &w.allowed, policies.RBACRolesQuery: &w.roles, policies.RBACActionsQuery: &w.listed,
	} {
		if *p, err = eng.PreparePolicy(ctx, modules, q); err != nil {
			t.Fatal(err)
		}
	}
	w.caughtUp()
	if err := sync.ModelErrors()[store.SystemServiceID]; err != nil {
		t.Fatalf("the engine did not load the default model with RBAC: %v", err)
	}
	return w
}

// caughtUp waits until the engine has applied every committed write.
func (w *rbacWorld) caughtUp() {
	w.t.Helper()
	rev, err := w.st.HeadRevision(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(w.t.Context(), syncTimeout)
	defer cancel()
	if err := w.sync.WaitFor(ctx, rev); err != nil {
		w.t.Fatalf("datasync: %v", err)
	}
}

// must fails the test on an error of a store call.
func (w *rbacWorld) must(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

func (w *rbacWorld) input(wid, uid, action string) policies.RBACInput {
	return policies.RBACInput{Workspace: wid, User: uid, Action: action, Actions: w.actions}
}

// eval runs a prepared RBAC query after the engine has caught up.
func (w *rbacWorld) eval(p *engine.Policy, in policies.RBACInput) rego.ResultSet {
	w.t.Helper()
	w.caughtUp()
	rs, err := p.Eval(w.t.Context(), in)
	if err != nil {
		w.t.Fatalf("evaluate RBAC policy for %+v: %v", in, err)
	}
	return rs
}

// check is check-action: allowed, and the ids of the granting roles.
func (w *rbacWorld) check(wid, uid, action string) (bool, []string) {
	w.t.Helper()
	in := w.input(wid, uid, action)
	rs := w.eval(w.allowed, in)
	if len(rs) != 1 {
		w.t.Fatalf("allowed for %+v: %d results, want exactly one (it has a default)", in, len(rs))
	}
	allowed, ok := rs[0].Expressions[0].Value.(bool)
	if !ok {
		w.t.Fatalf("allowed for %+v is %v, not a boolean", in, rs[0].Expressions[0].Value)
	}
	return allowed, w.strings(w.roles, in)
}

// userActions is the user's action list in the workspace.
func (w *rbacWorld) userActions(wid, uid string) []string {
	w.t.Helper()
	return w.strings(w.listed, w.input(wid, uid, ""))
}

// strings evaluates a query whose value is a set of strings, sorted.
func (w *rbacWorld) strings(p *engine.Policy, in policies.RBACInput) []string {
	w.t.Helper()
	rs := w.eval(p, in)
	if len(rs) != 1 {
		w.t.Fatalf("query for %+v: %d results, want one", in, len(rs))
	}
	vals, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		w.t.Fatalf("query for %+v: %v is not a set", in, rs[0].Expressions[0].Value)
	}
	out := []string{}
	for _, v := range vals {
		out = append(out, v.(string))
	}
	sort.Strings(out)
	return out
}

// TestRBACEndToEnd writes workspaces, groups, actions, roles and
// assignments through the store, lets datasync carry their tuples into the
// engine, and asks the RBAC policy.
func TestRBACEndToEnd(t *testing.T) {
	t.Parallel()
	w := newRBACWorld(t)
	ctx := t.Context()
	st := w.st
	user := func(name string) store.User {
		u, _, err := st.ProvisionUser(ctx, store.IdentitySighting{Provider: "test", Subject: name, Email: name + "@example.com"})
		w.must("provision "+name, err)
		return u
	}
	anne, bob, cara, dan, erin := user("anne"), user("bob"), user("cara"), user("dan"), user("erin")

	// acme: anne owner; bob, cara, dan viewers. Groups eng ⊃ core ∋ cara,
	// and ops ∋ dan. other: erin owner, bob viewer.
	acme, err := st.CreateWorkspace(ctx, "acme", "Acme", "", anne.ID)
	w.must("CreateWorkspace", err)
	other, err := st.CreateWorkspace(ctx, "other", "Other", "", erin.ID)
	w.must("CreateWorkspace", err)
	for _, m := range []struct {
		ws store.Workspace
		u  store.User
	}{{acme, bob}, {acme, cara}, {acme, dan}, {other, bob}} {
		_, err := st.AddMember(ctx, m.ws.ID, m.u.ID, store.RoleViewer)
		w.must("AddMember", err)
	}
	group := func(ws store.Workspace, name string) store.Group {
		g, err := st.CreateGroup(ctx, ws.ID, name, "", anne.ID)
		w.must("CreateGroup "+name, err)
		return g
	}
	eng, core, ops := group(acme, "eng"), group(acme, "core"), group(acme, "ops")
	_, err = st.AddGroupMember(ctx, eng.ID, store.GroupMemberGroup, core.ID)
	w.must("nest core in eng", err)
	_, err = st.AddGroupMember(ctx, core.ID, store.GroupMemberUser, cara.ID)
	w.must("add cara to core", err)
	_, err = st.AddGroupMember(ctx, ops.ID, store.GroupMemberUser, dan.ID)
	w.must("add dan to ops", err)

	notes, err := st.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}, {Action: "notes:share"}, {Action: "notes:print"}})
	w.must("RegisterActions", err)
	w.actions = map[string]string{}
	for _, a := range notes {
		w.actions[a.Action] = a.ID
	}
	exportID, shareID, printID := notes[0].ID, notes[1].ID, notes[2].ID

	role := func(ws store.Workspace, name string, actions ...string) store.RBACRole {
		r, err := st.CreateRole(ctx, ws.ID, name, "", anne.ID)
		w.must("CreateRole "+name, err)
		w.must("AddRoleActions "+name, st.AddRoleActions(ctx, r.ID, actions))
		return r
	}
	exporter := role(acme, "Exporter", exportID)
	sharer := role(acme, "Sharer", shareID, exportID)
	role(acme, "Printer", printID) // assigned to nobody
	remote := role(other, "Remote printer", printID, shareID)
	w.must("assign exporter to bob", st.AssignRole(ctx, exporter.ID, store.Assignee{Type: store.AssigneeUser, ID: bob.ID}, anne.ID))
	w.must("assign sharer to eng", st.AssignRole(ctx, sharer.ID, store.Assignee{Type: store.AssigneeGroup, ID: eng.ID}, anne.ID))
	w.must("assign remote to bob", st.AssignRole(ctx, remote.ID, store.Assignee{Type: store.AssigneeUser, ID: bob.ID}, erin.ID))

	for _, c := range []struct {
		name      string
		ws        store.Workspace
		user      store.User
		action    string
		want      bool
		wantRoles []string
	}{
		{"direct role", acme, bob, "notes:export", true, []string{exporter.ID}},
		{"direct role without the action", acme, bob, "notes:share", false, nil},
		{"role of another workspace", acme, bob, "notes:print", false, nil},
		{"that role in its own workspace", other, bob, "notes:print", true, []string{remote.ID}},
		{"role through a nested group", acme, cara, "notes:share", true, []string{sharer.ID}},
		{"group without roles", acme, dan, "notes:export", false, nil},
		{"unassigned role", acme, anne, "notes:print", false, nil},
		{"workspace owner without roles", acme, anne, "notes:export", false, nil},
		{"not a member", other, cara, "notes:share", false, nil},
		{"unregistered action", acme, bob, "notes:delete", false, nil},
	} {
		allowed, roles := w.check(c.ws.ID, c.user.ID, c.action)
		if allowed != c.want || !slices.Equal(roles, sortedIDs(c.wantRoles...)) {
			t.Errorf("%s: check-action(%s, %s) = %v, roles %v; want %v, %v", c.name, c.user.Email, c.action, allowed, roles, c.want, c.wantRoles)
		}
	}
	for _, c := range []struct {
		ws   store.Workspace
		user store.User
		want []string
	}{
		{acme, bob, []string{"notes:export"}},
		{acme, cara, []string{"notes:export", "notes:share"}},
		{other, bob, []string{"notes:print", "notes:share"}},
		{acme, anne, []string{}},
		{acme, dan, []string{}},
		{other, cara, []string{}},
	} {
		if got := w.userActions(c.ws.ID, c.user.ID); !slices.Equal(got, c.want) {
			t.Errorf("actions of %s in %s = %v, want %v", c.user.Email, c.ws.Slug, got, c.want)
		}
	}

	// The policy and the store's RolesOfUser agree on who holds what.
	for _, u := range []store.User{anne, bob, cara, dan} {
		held, err := st.RolesOfUser(ctx, acme.ID, u.ID)
		w.must("RolesOfUser", err)
		var fromStore []string
		for _, r := range held {
			acts, err := st.RoleActions(ctx, r.ID)
			w.must("RoleActions", err)
			if slices.ContainsFunc(acts, func(a store.ServiceAction) bool { return a.ID == exportID }) {
				fromStore = append(fromStore, r.ID)
			}
		}
		if _, roles := w.check(acme.ID, u.ID, "notes:export"); !slices.Equal(roles, sortedIDs(fromStore...)) {
			t.Errorf("%s: the policy's roles granting export %v, the store's %v", u.Email, roles, fromStore)
		}
	}

	// Every change reaches the decision through datasync.
	steps := []struct {
		name   string
		change func() error
		ws     store.Workspace
		user   store.User
		action string
		want   bool
	}{
		{"dan joins core", func() error {
			_, err := st.AddGroupMember(ctx, core.ID, store.GroupMemberUser, dan.ID)
			return err
		}, acme, dan, "notes:share", true},
		{"core leaves eng", func() error {
			return st.RemoveGroupMember(ctx, eng.ID, store.GroupMemberGroup, core.ID)
		}, acme, cara, "notes:share", false},
		{"sharer loses share", func() error { return st.RemoveRoleAction(ctx, sharer.ID, shareID) }, acme, dan, "notes:share", false},
		{"exporter unassigned from bob", func() error {
			return st.UnassignRole(ctx, exporter.ID, store.Assignee{Type: store.AssigneeUser, ID: bob.ID})
		}, acme, bob, "notes:export", false},
		{"exporter given to ops", func() error {
			return st.AssignRole(ctx, exporter.ID, store.Assignee{Type: store.AssigneeGroup, ID: ops.ID}, anne.ID)
		}, acme, dan, "notes:export", true},
		{"dan leaves acme", func() error { return st.RemoveMember(ctx, acme.ID, dan.ID) }, acme, dan, "notes:export", false},
		{"bob leaves other", func() error { return st.RemoveMember(ctx, other.ID, bob.ID) }, other, bob, "notes:print", false},
		{"bob returns to other, with the remote role", func() error {
			_, err := st.AddMember(ctx, other.ID, bob.ID, store.RoleViewer)
			if err == nil {
				err = st.AssignRole(ctx, remote.ID, store.Assignee{Type: store.AssigneeUser, ID: bob.ID}, erin.ID)
			}
			return err
		}, other, bob, "notes:print", true},
		{"the remote role is deleted", func() error { return st.DeleteRole(ctx, remote.ID) }, other, bob, "notes:print", false},
		{"exporter given to cara", func() error {
			return st.AssignRole(ctx, exporter.ID, store.Assignee{Type: store.AssigneeUser, ID: cara.ID}, anne.ID)
		}, acme, cara, "notes:export", true},
		{"notes' actions are purged", func() error {
			_, err := st.DeleteServiceActions(ctx, "notes")
			return err
		}, acme, cara, "notes:export", false},
	}
	for _, s := range steps {
		w.must(s.name, s.change())
		if allowed, _ := w.check(s.ws.ID, s.user.ID, s.action); allowed != s.want {
			t.Errorf("after %q: check-action(%s, %s) = %v, want %v", s.name, s.user.Email, s.action, allowed, s.want)
		}
	}
}

// sortedIDs returns ids sorted, never nil.
func sortedIDs(ids ...string) []string {
	out := append([]string{}, ids...)
	sort.Strings(out)
	return out
}
