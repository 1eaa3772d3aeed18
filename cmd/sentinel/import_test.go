package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/sqlite"
	"github.com/sentinel-auth/sentinel/tuple"
)

// runCLI runs the sentinel command in process and returns its output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRoot()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

// TestImport imports the original's database (newOriginal) into an
// embedded and a PostgreSQL store with `sentinel import`, and checks what
// came across: rows with their ids and times, system tuples, the original's
// check semantics answered by the engine, RBAC, working service keys, and
// that a dry run writes nothing and a second import is refused.
func TestImport(t *testing.T) {
	t.Parallel()
	from := newOriginal(t)
	targets := []struct {
		name string
		// flags selects the store; open opens it once the command is done.
		target func(t *testing.T) (flags []string, open func() (store.Store, error))
	}{
		{"sqlite", func(t *testing.T) ([]string, func() (store.Store, error)) {
			dir := t.TempDir()
			return []string{"--database-url=", "--data-dir", dir}, func() (store.Store, error) {
				return sqlite.Open(t.Context(), filepath.Join(dir, "sentinel.db"))
			}
		}},
		{"postgres", func(t *testing.T) ([]string, func() (store.Store, error)) {
			url := pgtest.URL(t)
			return []string{"--database-url", url}, func() (store.Store, error) { return postgres.Open(t.Context(), url) }
		}},
	}
	for _, tc := range targets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			flags, open := tc.target(t)
			imp := append(slices.Clone(flags), "import", "--from", from)

			out, err := runCLI(t, append(imp, "--dry-run")...)
			if err != nil || !strings.Contains(out, "dry run: nothing was written") {
				t.Fatalf("dry run: %v\n%s", err, out)
			}
			st, err := open()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.UserByID(t.Context(), anne); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("after a dry run, anne: %v", err)
			}
			if ts := systemTuples(t, st); len(ts) != 0 {
				t.Fatalf("a dry run wrote %d system tuples", len(ts))
			}

			out, err = runCLI(t, imp...)
			if err != nil {
				t.Fatalf("import: %v\n%s", err, out)
			}
			checkSummary(t, out)
			head := headOf(t, st)

			out, err = runCLI(t, imp...)
			if !errors.Is(err, store.ErrStoreNotEmpty) || !strings.Contains(err.Error(), "7 users") {
				t.Fatalf("second import: %v\n%s", err, out)
			}
			if h := headOf(t, st); h != head {
				t.Fatalf("a refused import moved the head from %d to %d", head, h)
			}

			checkImportedRows(t, st)
			checkImportedTuples(t, st)
			checkImportedDecisions(t, st)
		})
	}
}

func headOf(t *testing.T, st store.Store) uint64 {
	t.Helper()
	h, err := st.HeadRevision(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// systemTuples returns every system tuple, sorted.
func systemTuples(t *testing.T, st store.Store) []string {
	t.Helper()
	var out []string
	cursor := ""
	for {
		ts, next, err := st.ReadTuples(t.Context(), store.SystemServiceID, store.TupleFilter{}, cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range ts {
			out = append(out, tp.String())
		}
		if cursor = next; cursor == "" {
			sort.Strings(out)
			return out
		}
	}
}

// checkSummary checks the counts the command printed: read, imported,
// skipped per table.
func checkSummary(t *testing.T, out string) {
	for _, row := range []string{
		"users 7 7 0", "identities 4 4 0", "workspaces 2 2 0", "workspace_memberships 7 7 0", "groups 3 3 0",
		"group_members 3 3 0", "resources 4 4 0", "resource_shares 4 2 2", "service_actions 3 3 0", "roles 2 2 0",
		"role_actions 3 3 0", "role_assignments 3 2 1", "services 2 2 0", "service_keys 2 2 0", "client_apps 1 1 0",
		"activity 3 3 0",
	} {
		re := regexp.MustCompile(`(?m)^` + strings.ReplaceAll(row, " ", `\s+`) + `\s*$`)
		if !re.MatchString(out) {
			t.Errorf("summary lacks %q:\n%s", row, out)
		}
	}
	for _, s := range []string{"resource_shares " + shareToGina, "resource_shares " + shareToOps,
		"role_assignments " + exporter + "/user/" + gina, `notes: name "Notes app", allowed origins [https://notes.example]`,
		"imported into the "} {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q:\n%s", s, out)
		}
	}
}

// checkImportedRows checks rows through the store's read methods: ids,
// times, flags, identities (GitHub's subject), apps and activity.
func checkImportedRows(t *testing.T, st store.Store) {
	ctx := t.Context()
	u, err := st.UserByID(ctx, anne)
	if err != nil || u.Email != "anne@example.com" || !u.Admin || !u.Active || !u.CreatedAt.Equal(origAt(0)) || !u.UpdatedAt.Equal(origAt(100)) {
		t.Fatalf("anne: %+v, %v", u, err)
	}
	if u, err := st.UserByID(ctx, fred); err != nil || u.Active {
		t.Fatalf("fred was inactive: %+v, %v", u, err)
	}
	ids, err := st.IdentitiesOf(ctx, bob)
	if err != nil || len(ids) != 1 || ids[0].Provider != "github" || ids[0].Subject != "github|583231" ||
		ids[0].Email != "bob@example.com" || !strings.Contains(string(ids[0].Claims), `"login"`) {
		t.Fatalf("bob's identity: %+v, %v", ids, err)
	}
	// Entra: the OpenID subject kept in the provider data, not the oid the
	// original stored; without provider data, the provider's user id.
	for user, want := range map[string]string{dave: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", erin: "108000000000000000005",
		anne: "108000000000000000001"} {
		if ids, err := st.IdentitiesOf(ctx, user); err != nil || len(ids) != 1 || ids[0].Subject != want {
			t.Fatalf("identity of %s: %+v, %v; want subject %s", user, ids, err, want)
		}
	}
	ws, err := st.Workspace(ctx, acme)
	if err != nil || ws.Slug != "acme" || ws.CreatedBy != anne || ws.Description != "Rockets" || !ws.CreatedAt.Equal(origAt(10)) {
		t.Fatalf("acme: %+v, %v", ws, err)
	}
	m, err := st.Membership(ctx, beta, dave)
	if err != nil || m.Role != store.RoleEditor || !m.JoinedAt.Equal(origAt(26)) {
		t.Fatalf("dave in beta: %+v, %v", m, err)
	}
	if gs, err := st.GroupsOfUser(ctx, acme, dave); err != nil || !slices.Equal(gs, []string{designers}) {
		t.Fatalf("dave's groups in acme: %v, %v", gs, err)
	}
	r, err := st.ResourceByID(ctx, reg2)
	if err != nil || r.Key.ID != doc2 || r.OwnerID != carl || r.Visibility != store.VisibilityPrivate || len(r.Shares) != 1 ||
		r.Shares[0].GranteeID != dave || r.Shares[0].GrantedBy != carl || !r.Shares[0].GrantedAt.Equal(origAt(41)) {
		t.Fatalf("doc2 (its share to gina is skipped): %+v, %v", r, err)
	}
	if roles, err := st.RolesOfUser(ctx, acme, dave); err != nil || len(roles) != 1 || roles[0].ID != exporter {
		t.Fatalf("dave's roles in acme: %+v, %v", roles, err)
	}
	lister, ok := st.(interface {
		ClientApps(context.Context) ([]store.ClientApp, error)
	})
	if !ok {
		t.Fatal("the store cannot list client apps")
	}
	apps, err := lister.ClientApps(ctx)
	want := []store.ClientApp{{ID: webApp, Name: "Web", RedirectURIs: []string{"https://app.example/callback", "http://localhost:3000/callback"},
		Active: true, CreatedBy: anne, CreatedAt: origAt(70), UpdatedAt: origAt(70)}}
	if err != nil || !reflect.DeepEqual(apps, want) {
		t.Fatalf("client apps: %+v, %v", apps, err)
	}
	es, _, err := st.ListActivity(ctx, store.ActivityFilter{To: origAt(1000)}, 1, 10)
	if err != nil || len(es) != 3 {
		t.Fatalf("activity: %+v, %v", es, err)
	}
	got := map[string]store.ActivityEntry{}
	for _, e := range es {
		got[e.ID] = e
	}
	if e := got[logWithActor]; e.ActorType != store.ActorUser || e.ActorID != anne || e.TargetID != acme || !e.CreatedAt.Equal(origAt(80)) {
		t.Fatalf("entry with an actor: %+v", e)
	}
	if e := got[origID(11, 2)]; e.ActorType != store.ActorService || e.ActorID != "" || e.ActorLabel != "notes" {
		t.Fatalf("entry without an actor: %+v", e)
	}
	if e := got[origID(11, 3)]; string(e.Detail) != `{"detail":["a","b"]}` {
		t.Fatalf("a detail that is no object is wrapped: %s", e.Detail)
	}
}

// checkImportedTuples checks system tuples of every kind of row, and the
// absence of those of skipped rows.
func checkImportedTuples(t *testing.T, st store.Store) {
	ts := systemTuples(t, st)
	doc := func(id string) string { return "resource:notes/doc/" + id }
	for _, want := range []string{
		"workspace:" + acme + "#admin@user:" + bob,
		"workspace:" + beta + "#editor@user:" + dave,
		"group:" + designers + "#workspace@workspace:" + acme,
		"group:" + designers + "#member@user:" + dave,
		doc(doc1) + "#visible_to@workspace:" + acme + "#member",
		doc(doc1) + "#editable_by@workspace:" + acme + "#editor",
		doc(doc2) + "#owner@user:" + carl,
		doc(doc2) + "#shared_viewer@user:" + dave,
		doc(doc3) + "#shared_editor@group:" + designers + "#member",
		"role:" + exporter + "#assignee@user:" + dave,
		"action:" + acme + "/" + exportAct + "#granted@role:" + exporter + "#assignee",
	} {
		if !slices.Contains(ts, want) {
			t.Errorf("missing system tuple %s", want)
		}
	}
	for _, tp := range ts {
		if strings.Contains(tp, gina) || strings.Contains(tp, doc(doc3)+"#shared_viewer") || strings.Contains(tp, doc(doc2)+"#visible_to") {
			t.Errorf("system tuple of a skipped row or of a private resource: %s", tp)
		}
	}
}

// checkImportedDecisions starts a server on the imported store and asks
// its engine the original's questions (COMPAT.md, "Check semantics"), its
// RBAC policy for users' actions, and its API with the imported keys.
func checkImportedDecisions(t *testing.T, st store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, st, app.Config{AdminKey: "sa_import_admin", Identity: apptest.Identity(t)})
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := a.Sync.WaitFor(wctx, headOf(t, st)); err != nil {
		t.Fatal(err)
	}

	// decide is the original's check: unregistered or another workspace
	// than the token's → deny (the API compares before asking the engine);
	// then the default model decides.
	decide := func(user, wid, docID, action string) bool {
		r, err := st.ResourceByKey(ctx, store.ResourceKey{Service: "notes", Type: "doc", ID: docID})
		if errors.Is(err, store.ErrNotFound) || err == nil && r.WorkspaceID != wid {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Engine.Check(ctx, store.SystemServiceID, engine.CheckRequest{
			Object: tuple.Object{Type: "resource", ID: "notes/doc/" + docID}, Relation: action,
			User: tuple.User{Type: "user", ID: user},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.Allowed
	}
	for _, c := range []struct {
		name                   string
		user, wid, doc, action string
		want                   bool
	}{
		{"owner", anne, acme, doc1, "edit", true},
		{"workspace admin edits a private resource", bob, acme, doc2, "edit", true},
		{"workspace visibility: a viewer views", dave, acme, doc1, "view", true},
		{"workspace visibility: a viewer does not edit", dave, acme, doc1, "edit", false},
		{"workspace visibility: an editor edits", carl, acme, doc1, "edit", true},
		{"private: a member without a share", fred, acme, doc2, "view", false},
		{"user share view", dave, acme, doc2, "view", true},
		{"user share view is not edit", dave, acme, doc2, "edit", false},
		{"group share edit", dave, acme, doc3, "edit", true},
		{"group share: not in the group", carl, acme, doc3, "view", false},
		{"another workspace than the token's", dave, acme, doc4, "view", false},
		{"editor in the resource's workspace", dave, beta, doc4, "edit", true},
		{"a skipped share grants nothing", gina, acme, doc2, "view", false},
		{"unregistered", anne, acme, origID(5, 9), "view", false},
	} {
		if got := decide(c.user, c.wid, c.doc, c.action); got != c.want {
			t.Errorf("%s: %s %s on %s in %s = %v, want %v", c.name, c.user, c.action, c.doc, c.wid, got, c.want)
		}
	}

	listed, err := a.Engine.PreparePolicy(ctx, map[string]string{policies.RBACModuleFile: policies.RBACModule}, policies.RBACActionsQuery)
	if err != nil {
		t.Fatal(err)
	}
	actions := func(service, wid, user string) []string {
		sas, err := st.ServiceActions(ctx, service)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, sa := range sas {
			names[sa.Action] = sa.ID
		}
		rs, err := listed.Eval(ctx, policies.RBACInput{Workspace: wid, User: user, Actions: names})
		if err != nil || len(rs) != 1 {
			t.Fatalf("RBAC actions of %s: %v, %v", user, rs, err)
		}
		out := []string{}
		for _, v := range rs[0].Expressions[0].Value.([]any) {
			out = append(out, v.(string))
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct {
		service, wid, user string
		want               []string
	}{
		{"notes", acme, dave, []string{"notes:export", "notes:share"}},
		{"docs", beta, dave, []string{"docs:print"}},
		{"notes", acme, gina, []string{}},
		{"notes", acme, carl, []string{}},
	} {
		if got := actions(c.service, c.wid, c.user); !slices.Equal(got, c.want) {
			t.Errorf("actions of %s in %s for %s = %v, want %v", c.user, c.wid, c.service, got, c.want)
		}
	}

	// The imported keys: the active app's authenticates, the inactive one's
	// does not, directly and through the API.
	auth := servicekey.NewAuthenticator(st, time.Minute)
	if svc, _, err := auth.Authenticate(ctx, notesKey); err != nil || svc.Name != "notes" || svc.ID != notesApp {
		t.Fatalf("the notes app's key: %+v, %v", svc, err)
	}
	if _, _, err := auth.Authenticate(ctx, legacyKey); !errors.Is(err, servicekey.ErrInvalid) {
		t.Fatalf("the inactive app's key: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	testenv.Must(t, 200, testenv.Do(t, "GET", srv.URL+"/v1/tuples", notesKey, nil))
	testenv.Must(t, 401, testenv.Do(t, "GET", srv.URL+"/v1/tuples", legacyKey, nil))
	other := "sk_" + strings.Repeat("x", 43)
	testenv.Must(t, 401, testenv.Do(t, "GET", srv.URL+"/v1/tuples", other, nil))
}

func TestImportOriginalSubject(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		provider, id, data, want string
	}{
		{"github", "583231", `{"login": "bob"}`, "github|583231"},
		{"github", "github|583231", ``, "github|583231"},
		{"github", "583231", `{"sub": "x"}`, "github|583231"}, // GitHub has no OpenID subject
		{"google", "1080", `{"sub": "1080"}`, "1080"},
		{"entra_id", "oid-1", `{"oid": "oid-1", "sub": "pairwise"}`, "pairwise"},
		{"entra_id", "oid-1", ``, "oid-1"},
		{"entra_id", "oid-1", `{"sub": 7}`, "oid-1"},
		{"entra_id", "oid-1", `not json`, "oid-1"},
	} {
		if got := originalSubject(c.provider, c.id, []byte(c.data)); got != c.want {
			t.Errorf("originalSubject(%s, %s, %s) = %s, want %s", c.provider, c.id, c.data, got, c.want)
		}
	}
}

func TestImportActivityDetail(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"":           "",
		"null":       "",
		`{"a": 1}`:   `{"a": 1}`,
		`["a", "b"]`: `{"detail":["a","b"]}`,
		`"text"`:     `{"detail":"text"}`,
		`not json`:   "",
	} {
		if got := string(activityDetail(raw)); got != want {
			t.Errorf("activityDetail(%q) = %q, want %q", raw, got, want)
		}
	}
}
