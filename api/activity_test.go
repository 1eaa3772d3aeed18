package api_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/api"
	"github.com/sentinel-auth/sentinel/store"
)

// activityLog returns e's store as an activity log.
func (e *env) activityLog() api.ActivityLog {
	e.t.Helper()
	al, ok := e.st.(api.ActivityLog)
	if !ok {
		e.t.Fatalf("%T has no activity log", e.st)
	}
	return al
}

// activity lists GET /v1/admin/activity?query (200 required).
func (e *env) activity(query string) (items []map[string]any, total float64) {
	e.t.Helper()
	r := e.must(200, e.do("GET", "/v1/admin/activity?"+query, adminKey, nil))
	list, ok := r.Body["items"].([]any)
	if !ok {
		e.t.Fatalf("activity?%s: items is not a list: %s", query, r.Raw)
	}
	for _, it := range list {
		items = append(items, it.(map[string]any))
	}
	return items, r.Body["total"].(float64)
}

// field returns key of every item, as strings.
func activityField(items []map[string]any, key string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprint(it[key])
	}
	return out
}

func TestActivityRecordsMutations(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := start(t, open(t))
			ctx := context.Background()

			created := e.must(201, e.do("POST", "/v1/admin/services", adminKey, map[string]any{"name": "notes"}))
			svcID := created.Body["service"].(map[string]any)["id"].(string)
			firstKey := created.Body["key"].(map[string]any)["id"].(string)
			rotated := e.must(201, e.do("POST", "/v1/admin/services/notes/keys", adminKey, map[string]any{"grace": "1h"}))
			key := rotated.Body["secret"].(string)
			newKey := rotated.Body["key"].(map[string]any)["id"].(string)
			e.must(204, e.do("DELETE", "/v1/admin/services/notes/keys/"+firstKey, adminKey, nil))
			m := e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
			u, _, err := e.st.ProvisionUser(ctx, store.IdentitySighting{Provider: "google", Subject: "g-1", Email: "anne@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			e.must(200, e.do("PATCH", "/v1/admin/users/"+u.ID, adminKey, map[string]any{"is_active": false}))
			e.must(200, e.do("PATCH", "/v1/admin/users/"+u.ID, adminKey, map[string]any{"is_active": true}))

			// Refused mutations record nothing.
			e.must(409, e.do("POST", "/v1/admin/services", adminKey, map[string]any{"name": "notes"}))
			e.must(404, e.do("DELETE", "/v1/admin/services/notes/keys/00000000-0000-0000-0000-00000000000f", adminKey, nil))
			e.must(422, e.do("PUT", "/v1/model", key, map[string]any{"dsl": "model\n  schema 1.1\ntype"}))
			e.must(404, e.do("PATCH", "/v1/admin/users/00000000-0000-0000-0000-00000000000f", adminKey, map[string]any{"is_active": false}))

			items, total := e.activity("")
			want := []struct {
				action, actorType, label, targetType, targetID string
				detail                                         map[string]any
			}{
				{"user.activated", "admin", "admin credential", "user", u.ID, map[string]any{"is_active": true}},
				{"user.deactivated", "admin", "admin credential", "user", u.ID, map[string]any{"is_active": false}},
				{"model.written", "service", "notes", "model", m.Body["id"].(string),
					map[string]any{"service": "notes", "service_id": svcID, "version": float64(1), "directory": false}},
				{"service.key_revoked", "admin", "admin credential", "service", svcID,
					map[string]any{"name": "notes", "key_id": firstKey}},
				{"service.key_rotated", "admin", "admin credential", "service", svcID,
					map[string]any{"name": "notes", "key_id": newKey, "key_prefix": rotated.Body["key"].(map[string]any)["prefix"], "grace": "1h0m0s"}},
				// Recorded with the service's write, before the key's: the
				// key by its prefix only.
				{"service.created", "admin", "admin credential", "service", svcID,
					map[string]any{"name": "notes", "key_prefix": created.Body["key"].(map[string]any)["prefix"]}},
			}
			if int(total) != len(want) || len(items) != len(want) {
				t.Fatalf("%d entries (total %v), want %d: %v", len(items), total, len(want), activityField(items, "action"))
			}
			for i, w := range want {
				it := items[i]
				if it["action"] != w.action || it["actor_type"] != w.actorType || it["actor_id"] != "" ||
					it["actor_label"] != w.label || it["target_type"] != w.targetType || it["target_id"] != w.targetID ||
					it["workspace_id"] != "" || fmt.Sprint(it["detail"]) != fmt.Sprint(w.detail) {
					t.Errorf("entry %d = %v,\nwant %+v", i, it, w)
				}
				if _, err := time.Parse(time.RFC3339Nano, it["created_at"].(string)); err != nil {
					t.Errorf("entry %d: created_at %v: %v", i, it["created_at"], err)
				}
			}
		})
	}
}

func TestActivityList(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := start(t, open(t))
			al := e.activityLog()

			// Empty: items is [], not null.
			r := e.must(200, e.do("GET", "/v1/admin/activity", adminKey, nil))
			if r.Raw != `{"items":[],"total":0,"page":1,"page_size":50}` {
				t.Fatalf("empty log = %s", r.Raw)
			}

			day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			rows := []struct {
				action, target, ws, actor string
				at                        time.Time
			}{
				{"member.added", "user", "w1", "u1", day.Add(9 * time.Hour)},                   // 0
				{"member.added", "user", "w2", "u1", day.Add(12 * time.Hour)},                  // 1
				{"group.created", "group", "w1", "u2", day.Add(23*time.Hour + 59*time.Minute)}, // 2
				{"member.removed", "user", "w1", "u2", day.Add(24 * time.Hour)},                // 3: March 2nd
				{"service.created", "service", "", "", day.Add(-time.Microsecond)},             // 4: Feb 29th
			}
			ids := make([]string, len(rows))
			for i, r := range rows {
				en := store.ActivityEntry{Action: r.action, ActorType: store.ActorAdmin, TargetType: r.target,
					TargetID: fmt.Sprint("t", i), WorkspaceID: r.ws, Detail: []byte(`{"i":` + fmt.Sprint(i) + `}`), CreatedAt: r.at}
				if r.actor != "" {
					en.ActorType, en.ActorID = store.ActorUser, r.actor
				}
				got, err := al.AppendActivity(context.Background(), en)
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = got.ID
			}
			cases := []struct {
				query string
				want  []int // rows, newest first
			}{
				{"", []int{3, 2, 1, 0, 4}},
				{"action=member.added", []int{1, 0}},
				{"target_type=user", []int{3, 1, 0}},
				{"workspace_id=w1", []int{3, 2, 0}},
				{"actor_id=u2", []int{3, 2}},
				{"action=member.added&workspace_id=w1&actor_id=u1", []int{0}},
				{"action=nothing", nil},
				// A date covers its whole day (UTC), both ends inclusive.
				{"from_date=2024-03-01&to_date=2024-03-01", []int{2, 1, 0}},
				{"from_date=2024-03-02", []int{3}},
				{"to_date=2024-02-29", []int{4}},
				{"from_date=2024-03-01T12:00:00Z", []int{3, 2, 1}},
				{"to_date=2024-03-01T12:00:00Z", []int{1, 0, 4}},
				{"from_date=2024-03-01T09:00:00.000001Z", []int{3, 2, 1}},
				{"from_date=2024-03-01T13:00:00%2B01:00&to_date=2024-03-01T12:00:00", []int{1}},
				{"from_date=2024-03-01T13:00:00+01:00", []int{3, 2, 1}}, // "+" unescaped: a space
				{"from_date=2024-03-01%2023:00:00", []int{3, 2}},
				{"workspace_id=w1&page_size=2", []int{3, 2}},
				{"workspace_id=w1&page_size=2&page=2", []int{0}},
				{"workspace_id=w1&page_size=2&page=3", nil},
				{"page=1&page_size=100", []int{3, 2, 1, 0, 4}},
			}
			for _, c := range cases {
				want := []string{}
				for _, i := range c.want {
					want = append(want, ids[i])
				}
				items, total := e.activity(c.query)
				if got := activityField(items, "id"); !slices.Equal(got, want) {
					t.Errorf("?%s: %v, want %v", c.query, got, want)
				}
				q, _ := url.ParseQuery(c.query)
				if !q.Has("page") && !q.Has("page_size") && int(total) != len(want) {
					t.Errorf("?%s: total %v, want %d", c.query, total, len(want))
				}
			}

			// The page fields echo the request; total counts every match.
			r = e.must(200, e.do("GET", "/v1/admin/activity?workspace_id=w1&page=2&page_size=2", adminKey, nil))
			if r.Body["total"] != 3.0 || r.Body["page"] != 2.0 || r.Body["page_size"] != 2.0 {
				t.Fatalf("page 2 = %s", r.Raw)
			}
			it := r.Body["items"].([]any)[0].(map[string]any)
			if it["actor_id"] != "u1" || it["actor_type"] != "user" || fmt.Sprint(it["detail"]) != "map[i:0]" ||
				it["created_at"] != "2024-03-01T09:00:00Z" || it["target_id"] != "t0" {
				t.Fatalf("item = %v", it)
			}
		})
	}
}

func TestActivityBadQuery(t *testing.T) {
	t.Parallel()
	e := start(t, backends["sqlite"](t))
	key := e.createService("notes")
	for _, q := range []string{
		"page=0", "page=-1", "page=x", "page=1.5", "page=", "page=99999999999999999999",
		"page=9223372036854775807",
		"page_size=0", "page_size=101", "page_size=abc", "page_size=-3",
		"from_date=yesterday", "from_date=2024-13-01", "to_date=2024-02-30", "to_date=1709251200",
		"from_date=2024-03-01T10:00:00Z&to_date=2024-03-01T09:59:59Z", "from_date=2024-03-02&to_date=2024-03-01",
	} {
		r := e.do("GET", "/v1/admin/activity?"+q, adminKey, nil)
		if r.Status != 400 || errCode(r) != "invalid_argument" {
			t.Errorf("?%s: %d %s, want 400 invalid_argument", q, r.Status, r.Raw)
		}
	}
	for _, k := range []string{"", key, "sa_wrong"} {
		if r := e.do("GET", "/v1/admin/activity", k, nil); r.Status != 401 {
			t.Errorf("credential %q: %d %s, want 401", k, r.Status, r.Raw)
		}
	}
}
