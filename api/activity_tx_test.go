package api_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/sqlite"
)

// Every mutation's activity entry is written in the transaction of the
// change (api/activity_record.go): these tests drive a route of each
// family and find its entry, then make the activity log refuse inserts and
// check that the routes fail and keep nothing.

// refusable is a store whose activity log can be made to refuse every
// insert, the way a full disk or a broken connection would: refuse
// installs a trigger on activity_logs that raises an error, through a
// connection of its own.
type refusable struct {
	store.Store
	refuse func()
}

// openRefusable opens a fresh store of the engine ("sqlite", "postgres").
func openRefusable(t *testing.T, engine string) refusable {
	t.Helper()
	ctx := context.Background()
	var (
		st   store.Store
		exec func(stmts ...string) error
	)
	switch engine {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "sentinel.db")
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		st = s
		exec = func(stmts ...string) error {
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				return err
			}
			defer db.Close()
			for _, q := range stmts {
				if _, err := db.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}
		stmts := []string{`CREATE TRIGGER activity_refused BEFORE INSERT ON activity_logs
			BEGIN SELECT RAISE(ABORT, 'the activity log refuses inserts'); END`}
		return refusableOf(t, st, func() error { return exec(stmts...) })
	case "postgres":
		url := pgtest.URL(t)
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		st = s
		return refusableOf(t, st, func() error {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			for _, q := range []string{
				`CREATE FUNCTION activity_refused() RETURNS trigger LANGUAGE plpgsql AS
					$$ BEGIN RAISE EXCEPTION 'the activity log refuses inserts'; END $$`,
				`CREATE TRIGGER activity_refused BEFORE INSERT ON activity_logs
					FOR EACH ROW EXECUTE FUNCTION activity_refused()`,
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	}
	t.Fatalf("unknown engine %q", engine)
	return refusable{}
}

// refusableOf closes st when t ends and makes refuse fail t on an error.
func refusableOf(t *testing.T, st store.Store, install func() error) refusable {
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return refusable{Store: st, refuse: func() {
		t.Helper()
		if err := install(); err != nil {
			t.Fatalf("make the activity log refuse inserts: %v", err)
		}
	}}
}

// entryOf returns the newest entry with the action.
func entryOf(t *testing.T, st store.Store, action string) store.ActivityEntry {
	t.Helper()
	es, _, err := st.ListActivity(context.Background(), store.ActivityFilter{Action: action}, 1, 1)
	if err != nil || len(es) != 1 {
		t.Fatalf("no %s entry: %v", action, err)
	}
	return es[0]
}

// wantEntry fails unless e names the actor (type, id, label), target and
// workspace. A label "*" is not checked (a user's is the token's email,
// which the test tokens set variously).
func wantEntry(t *testing.T, e store.ActivityEntry, actorType store.ActorType, actorID, label, targetType, targetID, wid string) {
	t.Helper()
	if label == "*" {
		label = e.ActorLabel
	}
	got := fmt.Sprint(e.ActorType, "|", e.ActorID, "|", e.ActorLabel, "|", e.TargetType, "|", e.TargetID, "|", e.WorkspaceID)
	want := fmt.Sprint(actorType, "|", actorID, "|", label, "|", targetType, "|", targetID, "|", wid)
	if got != want {
		t.Errorf("%s: actor|id|label|target type|target|workspace = %s, want %s", e.Action, got, want)
	}
}

func TestActivityInTransactionPerFamily(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNative(t, open(t))
			st := n.st
			owner := n.user("owner")

			// Service and model admin (/v1/admin, /v1/model): the admin
			// credential, the service's key.
			created := n.must(201, n.do("POST", "/v1/admin/services", adminKey, map[string]any{"name": "billing"}))
			billing := created.Body["service"].(map[string]any)["id"].(string)
			wantEntry(t, entryOf(t, st, "service.created"), store.ActorAdmin, "", "admin credential", "service", billing, "")
			m := n.must(201, n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": docsModel}))
			wantEntry(t, entryOf(t, st, "model.written"), store.ActorService, "", "notes", "model", m.Body["id"].(string), "")

			// The original's workspace routes: the user of the token.
			r := n.must(201, n.do("POST", "/workspaces", n.noWorkspace(owner), map[string]any{"name": "Team", "slug": "team"}))
			wid := r.Body["id"].(string)
			n.wids = append(n.wids, wid)
			wantEntry(t, entryOf(t, st, "workspace.created"), store.ActorUser, owner.ID, "*", "workspace", wid, wid)

			// Native /v1 routes: a group made by the user, a resource
			// registered by the service.
			g := testenv.Must(t, 201, n.nat("POST", "/v1/workspaces/"+wid+"/groups", n.as(owner, wid), map[string]any{"name": "devs"}))
			wantEntry(t, entryOf(t, st, "group.created"), store.ActorUser, owner.ID, "*", "group", g.Body["id"].(string), wid)
			res := testenv.Must(t, 201, n.nat("POST", "/v1/resources", "", map[string]any{"resource_type": "doc",
				"resource_id": uuid.NewString(), "workspace_id": wid, "owner_id": owner.ID}))
			wantEntry(t, entryOf(t, st, "resource.registered"), store.ActorService, "", "notes", "resource_permission", res.Body["id"].(string), wid)

			// The original's permission routes (ACL): the service.
			vis := testenv.Must(t, 200, testenv.DoHeaders(t, "PATCH", n.srv.URL+"/permissions/"+res.Body["id"].(string)+"/visibility",
				map[string]string{"X-Service-Key": n.key}, map[string]any{"visibility": "private"}))
			if vis.Body["visibility"] != "private" {
				t.Fatalf("visibility answer %s", vis.Raw)
			}
			wantEntry(t, entryOf(t, st, "resource.visibility_changed"), store.ActorService, "", "notes", "resource_permission", res.Body["id"].(string), wid)

			// The /admin routes: the admin credential.
			app := n.must(201, n.adm("POST", "/admin/client-apps", map[string]any{"name": "console", "redirect_uris": []string{"https://c.example/cb"}}))
			wantEntry(t, entryOf(t, st, "client_app.created"), store.ActorAdmin, "", "admin credential", "client_app", app.Body["id"].(string), "")
			role := n.must(201, n.adm("POST", "/admin/workspaces/"+wid+"/roles", map[string]any{"name": "reviewers"}))
			wantEntry(t, entryOf(t, st, "role.created"), store.ActorAdmin, "", "admin credential", "role", role.Body["id"].(string), wid)
		})
	}
}

// TestActivityRefusedFailsTheWrite makes the activity log refuse inserts:
// each mutation then fails with a 5xx and leaves the data as it was.
func TestActivityRefusedFailsTheWrite(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			st := openRefusable(t, engine)
			n := startNative(t, st)
			ctx := context.Background()
			owner, other := n.user("owner"), n.user("other")
			wid := n.createWorkspace(owner, "team")
			g := testenv.Must(t, 201, n.nat("POST", "/v1/workspaces/"+wid+"/groups", n.as(owner, wid), map[string]any{"name": "devs"}))
			gid := g.Body["id"].(string)
			before, head := n.state(), n.head()
			_, entries, err := st.ListActivity(ctx, store.ActivityFilter{}, 1, 1)
			if err != nil {
				t.Fatal(err)
			}

			st.refuse()
			adminTok := n.as(owner, wid)
			cases := []struct {
				name string
				send func() testenv.Response
			}{
				{"create a workspace (original's route)", func() testenv.Response {
					return n.do("POST", "/workspaces", n.noWorkspace(owner), map[string]any{"name": "Other", "slug": "other"})
				}},
				{"rename a workspace (original's route)", func() testenv.Response {
					return n.do("PATCH", "/workspaces/"+wid, adminTok, map[string]any{"name": "Renamed"})
				}},
				{"add a member (native)", func() testenv.Response {
					return n.nat("POST", "/v1/workspaces/"+wid+"/members", adminTok, map[string]any{"email": other.Email, "role": "editor"})
				}},
				{"delete a group (native)", func() testenv.Response {
					return n.nat("DELETE", "/v1/workspaces/"+wid+"/groups/"+gid, adminTok, nil)
				}},
				{"create a role (admin)", func() testenv.Response {
					return n.adm("POST", "/admin/workspaces/"+wid+"/roles", map[string]any{"name": "reviewers"})
				}},
				{"create a client app (admin)", func() testenv.Response {
					return n.adm("POST", "/admin/client-apps", map[string]any{"name": "console", "redirect_uris": []string{}})
				}},
				{"create a service (service admin)", func() testenv.Response {
					return n.do("POST", "/v1/admin/services", adminKey, map[string]any{"name": "billing"})
				}},
				{"write a model (model admin)", func() testenv.Response {
					return n.do("PUT", "/v1/model", n.key, map[string]any{"dsl": docsModel})
				}},
				{"register a resource (permissions ACL)", func() testenv.Response {
					return testenv.DoHeaders(t, "POST", n.srv.URL+"/permissions/register", map[string]string{"X-Service-Key": n.key},
						map[string]any{"service_name": "notes", "resource_type": "doc", "resource_id": uuid.NewString(),
							"workspace_id": wid, "owner_id": owner.ID})
				}},
			}
			for _, c := range cases {
				if r := c.send(); r.Status < 500 {
					t.Errorf("%s with the activity log refusing: %d %s, want a 5xx", c.name, r.Status, r.Raw)
				}
				if after := n.state(); after != before {
					t.Fatalf("%s failed but changed the database:\n before %s\n after  %s", c.name, before, after)
				}
			}
			if got := n.head(); got != head {
				t.Errorf("head revision %d → %d after refused writes", head, got)
			}
			if _, total, err := st.ListActivity(ctx, store.ActivityFilter{}, 1, 1); err != nil || total != entries {
				t.Errorf("activity log: %d entries (%v), want %d", total, err, entries)
			}
			if roles, err := st.Roles(ctx, wid); err != nil || len(roles) != 0 {
				t.Errorf("roles after a refused creation: %+v, %v", roles, err)
			}
			if _, err := st.WorkspaceBySlug(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("workspace of a refused creation: %v", err)
			}
			if apps, err := st.ClientApps(ctx); err != nil || len(apps) != 0 {
				t.Errorf("client apps after a refused creation: %+v, %v", apps, err)
			}
			if _, err := st.ServiceByName(ctx, "billing"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("service of a refused creation: %v", err)
			}
			svc, err := st.ServiceByName(ctx, "notes")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CurrentModel(ctx, svc.ID); !errors.Is(err, store.ErrNoModel) {
				t.Errorf("model of a refused write: %v", err)
			}
			if rs, _, err := st.ListResources(ctx, store.ResourceFilter{Service: "notes"}, 1, 10); err != nil || len(rs) != 0 {
				t.Errorf("resources after a refused registration: %+v, %v", rs, err)
			}
		})
	}
}

// head is the store's changelog head.
func (w *wsEnv) head() uint64 {
	w.t.Helper()
	h, err := w.st.HeadRevision(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}
