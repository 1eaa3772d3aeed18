package api_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/api"
	"github.com/sentinel-auth/sentinel/cache"
	"github.com/sentinel-auth/sentinel/identity/adminkey"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

func TestCompatAdminMiscActivity(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	began := time.Now().UTC().Add(-time.Minute)
	owner, bob := w.user("owner"), w.user("bob")
	team := w.createWorkspace(owner, "team")
	w.must(200, w.adm("PATCH", "/admin/users/"+bob.ID, map[string]any{"name": "Robert"}))
	w.must(201, w.adm("POST", "/admin/workspaces/"+team+"/members", map[string]any{"user_id": bob.ID}))

	all := items(t, w.must(200, w.adm("GET", "/admin/activity", nil)), 3, 1, 50)
	if got := field(all, "action"); !slices.Equal(got, []string{"member.added", "user.updated", "workspace.created"}) {
		t.Fatalf("activity %v", got)
	}
	wantKeys(t, "entry", all[0], "id", "action", "actor_id", "actor_type", "actor_label", "target_type", "target_id",
		"workspace_id", "detail", "created_at")
	if all[0]["actor_type"] != "admin" || all[0]["target_id"] != bob.ID || all[0]["workspace_id"] != team ||
		all[2]["actor_type"] != "user" || all[2]["actor_id"] != owner.ID {
		t.Fatalf("entries %v", all)
	}
	// Bounds well clear of the fixture's times (dates cover whole days).
	from, to := began.Format(time.RFC3339), time.Now().UTC().Add(time.Minute).Format(time.RFC3339)
	before := began.Add(-time.Hour).Format(time.RFC3339)
	tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
	yesterday := began.AddDate(0, 0, -2).Format(time.DateOnly)
	filters := []struct {
		query string
		want  []string
	}{
		{"action=user.updated", []string{"user.updated"}},
		{"target_type=user", []string{"member.added", "user.updated"}},
		{"workspace_id=" + team, []string{"member.added", "workspace.created"}},
		{"actor_id=" + owner.ID, []string{"workspace.created"}},
		{"from_date=" + from + "&to_date=" + to, []string{"member.added", "user.updated", "workspace.created"}},
		{"from_date=" + tomorrow, nil},
		{"to_date=" + yesterday, nil},
		{"to_date=" + before, nil},
		{"page=2&page_size=2", []string{"workspace.created"}},
	}
	for _, f := range filters {
		r := w.must(200, w.adm("GET", "/admin/activity?"+f.query, nil))
		total := len(f.want)
		page, size := 1, 50
		if strings.HasPrefix(f.query, "page=2") {
			total, page, size = 3, 2, 2
		}
		if got := field(items(t, r, total, page, size), "action"); !slices.Equal(got, f.want) {
			t.Errorf("activity?%s = %v, want %v", f.query, got, f.want)
		}
	}
	w.wantRefusals([]admRefusal{
		{"bad date", "GET", "/admin/activity?from_date=yesterday", nil, nil, 422, "from_date"},
		{"dates reversed", "GET", "/admin/activity?from_date=" + tomorrow + "&to_date=" + yesterday, nil, nil, 422, "after"},
		{"page size 101", "GET", "/admin/activity?page_size=101", nil, nil, 422, "page_size"},
		{"page 0", "GET", "/admin/activity?page=0", nil, nil, 422, "page"},
		{"no credential", "GET", "/admin/activity", map[string]string{}, nil, 401, "Not authenticated"},
	})
}

func TestCompatAdminMiscStats(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	ctx := context.Background()
	zero := w.must(200, w.adm("GET", "/admin/stats", nil))
	keys := []string{"total_users", "active_users", "admin_users", "total_workspaces", "total_memberships",
		"pending_invitations", "total_groups", "total_resources", "total_shares", "total_service_apps",
		"total_service_actions", "total_roles", "total_client_apps", "total_activity"}
	wantKeys(t, "stats", zero.Body, keys...)
	for _, k := range keys {
		if zero.Body[k] != float64(0) {
			t.Fatalf("stats of a new server: %s", zero.Raw)
		}
	}

	owner, bob, carl := w.user("owner"), w.user("bob"), w.user("carl")
	team := w.createWorkspace(owner, "team")
	w.addMember(team, bob, store.RoleViewer)
	if _, err := w.st.CreateGroup(ctx, team, "eng", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Invite(ctx, team, "zed@example.com", store.RoleViewer, ""); err != nil {
		t.Fatal(err)
	}
	w.createService("notes")
	w.must(200, w.adm("PATCH", "/admin/users/"+carl.ID, map[string]any{"is_active": false, "is_admin": true}))

	r := w.must(200, w.adm("GET", "/admin/stats", nil))
	want := map[string]float64{"total_users": 3, "active_users": 2, "admin_users": 1, "total_workspaces": 1,
		"total_memberships": 2, "pending_invitations": 1, "total_groups": 1, "total_service_apps": 1}
	for k, v := range want {
		if r.Body[k] != v {
			t.Errorf("stats %s = %v, want %v", k, r.Body[k], v)
		}
	}
	// Activity: the workspace's creation, the service's, the user's update.
	if r.Body["total_activity"] != float64(3) {
		t.Errorf("stats total_activity = %v, want 3: %s", r.Body["total_activity"], r.Raw)
	}
}

func TestCompatAdminMiscHealth(t *testing.T) {
	t.Parallel()
	// Through the app: no Redis configured.
	w := startWS(t, testenv.SQLiteStore(t))
	r := w.must(200, w.adm("GET", "/admin/health", nil))
	wantKeys(t, "health", r.Body, "status", "checks", "uptime_seconds", "version")
	checks, _ := r.Body["checks"].(map[string]any)
	if r.Body["status"] != "ok" || checks["database"] != "ok" || checks["redis"] != "not_configured" || len(checks) != 2 {
		t.Fatalf("health %s", r.Raw)
	}
	if up, ok := r.Body["uptime_seconds"].(float64); !ok || up < 0 || up != float64(int64(up)) {
		t.Fatalf("uptime_seconds %v", r.Body["uptime_seconds"])
	}
	if v, _ := r.Body["version"].(string); v == "" {
		t.Fatalf("version %q", v)
	}
	w.wantRefusals([]admRefusal{{"no credential", "GET", "/admin/health", map[string]string{}, nil, 401, "Not authenticated"}})

	// The server alone, with Redis and a store that fails.
	st := testenv.SQLiteStore(t)
	verifier, _, err := adminkey.Bootstrap(context.Background(), st, adminKey)
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := cache.Connect("redis://127.0.0.1:6379")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		testenv.Unavailable(t, "redis at 127.0.0.1:6379: %v", err)
	}
	realRedis := func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
	brokenRedis := func(context.Context) error { return errors.New("connection refused") }
	cases := []struct {
		name            string
		st              store.Store
		ping            func(context.Context) error
		status, db, rds string
	}{
		{"redis up", st, realRedis, "ok", "ok", "ok"},
		{"redis down", st, brokenRedis, "degraded", "ok", "error"},
		{"database down", downStore{st}, realRedis, "degraded", "error", "ok"},
	}
	for _, c := range cases {
		srv := httptest.NewServer(api.New(api.Config{Store: c.st, Admin: verifier, RedisPing: c.ping, Version: "1.2.3"}))
		r := admSend(t, "GET", srv.URL+"/admin/health", admHeaders, nil)
		srv.Close()
		checks, _ := r.Body["checks"].(map[string]any)
		if r.Status != 200 || r.Body["status"] != c.status || checks["database"] != c.db || checks["redis"] != c.rds ||
			r.Body["version"] != "1.2.3" {
			t.Errorf("%s: health %d %s, want status %s database %s redis %s", c.name, r.Status, r.Raw, c.status, c.db, c.rds)
		}
	}
}

// downStore is a store whose database does not answer pings.
type downStore struct{ store.Store }

func (downStore) Ping(context.Context) error { return errors.New("database is down") }
