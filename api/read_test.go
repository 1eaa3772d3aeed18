package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sentinel-auth/sentinel/api"
	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/store"
)

// Tests of the read endpoints: /v1/check (contextual tuples, explain,
// decision ids), /v1/check/batch, /v1/list, /v1/list-users, /v1/expand.

// readEnv is a sqlite-backed server with docsModel and a few tuples.
type readEnv struct {
	*env
	key, rev, serviceID string
}

func startRead(t *testing.T, opts ...func(*app.Config)) readEnv {
	t.Helper()
	e := start(t, backends["sqlite"](t), opts...)
	key := e.createService("notes")
	e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	w := e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": []any{
		tk("doc:1", "viewer", "user:anne"),
		tk("doc:1", "viewer", "group:eng#member"),
		tk("group:eng", "member", "user:bob"),
		tk("doc:2", "viewer", "user:*"),
		tk("doc:1", "owner", "user:anne"),
	}}))
	svc, err := e.st.ServiceByName(context.Background(), "notes")
	if err != nil {
		t.Fatal(err)
	}
	return readEnv{env: e, key: key, rev: w.Body["revision"].(string), serviceID: svc.ID}
}

func (r readEnv) at() map[string]any { return map[string]any{"at_least": r.rev} }

func ctxTuples(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = tk(fmt.Sprintf("doc:c%d", i), "viewer", "user:anne")
	}
	return out
}

func batchOf(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"correlation_id": fmt.Sprint(i), "object": "doc:1", "relation": "viewer", "user": "user:anne"}
	}
	return out
}

// No read endpoint changes the store, whatever it answers — contextual
// tuples included.
func TestReadsChangeNothing(t *testing.T) {
	e := startRead(t)
	for _, consistency := range []any{nil, e.at(), map[string]any{"fully_consistent": true}} {
		for path, body := range readBodies(consistency) {
			before := e.snap(e.serviceID)
			r := e.do("POST", path, e.key, body)
			if r.Status >= 500 && r.Status != 503 {
				t.Logf("%s answered %d (engine not ready?): %.200s", path, r.Status, r.Raw)
			}
			if after := e.snap(e.serviceID); after != before {
				t.Errorf("%s changed the store: %+v -> %+v", path, before, after)
			}
			// The contextual tuple is not in the store afterwards.
			ts, _, err := e.st.ReadTuples(context.Background(), e.serviceID, store.TupleFilter{ObjectType: "doc", ObjectID: "7"}, "", 10)
			if err != nil || len(ts) != 0 {
				t.Fatalf("%s: contextual tuple stored: %v %v", path, ts, err)
			}
		}
	}
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCheckDecisionID(t *testing.T) {
	var logs syncBuffer
	e := startRead(t, func(c *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	seen := map[string]bool{}
	for range 3 {
		r := e.must(200, e.do("POST", "/v1/check", e.key, map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne", "consistency": e.at()}))
		id, _ := r.Body["decision_id"].(string)
		if !uuidRe.MatchString(id) || seen[id] {
			t.Fatalf("decision_id %q not a fresh UUID: %s", id, r.Raw)
		}
		seen[id] = true
		// Logged at debug with the question and the answer.
		want := fmt.Sprintf(`"msg":"decision","decision_id":%q,"service":%q,"object":"doc:1","relation":"viewer","user":"user:anne","allowed":true`, id, e.serviceID)
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("decision %s not logged as %s:\n%s", id, want, logs.String())
		}
		if r.Body["allowed"] != true || r.Body["revision"] == "" {
			t.Fatalf("check: %s", r.Raw)
		}
		if _, ok := r.Body["explanation"]; ok {
			t.Fatalf("explanation without explain: %s", r.Raw)
		}
	}
	// A repeated contextual tuple is dropped, not refused (as OpenFGA).
	repeated := []any{tk("doc:9", "viewer", "user:anne"), tk("doc:9", "viewer", "user:anne")}
	e.must(200, e.do("POST", "/v1/check", e.key, map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne",
		"contextual_tuples": repeated}))
}

func TestBatchCheck(t *testing.T) {
	e := startRead(t)
	// 100 checks, answered per correlation id.
	checks := make([]any, 0, 100)
	want := map[string]bool{}
	for i := range 100 {
		id, obj, user := fmt.Sprintf("c-%03d", i), "doc:1", "user:anne"
		switch i % 4 {
		case 1:
			user = "user:zoe"
		case 2:
			obj = "doc:2" // user:* grant
		case 3:
			obj, user = "doc:1", "group:eng#member"
		}
		want[id] = i%4 != 1
		checks = append(checks, map[string]any{"correlation_id": id, "object": obj, "relation": "viewer", "user": user})
	}
	for _, workers := range []int{1, 2, 4} {
		*api.BatchWorkers = workers
		r := e.must(200, e.do("POST", "/v1/check/batch", e.key, map[string]any{"checks": checks, "consistency": e.at()}))
		results := r.Body["results"].(map[string]any)
		if len(results) != 100 || r.Body["revision"] == "" {
			t.Fatalf("workers=%d: %d results: %.300s", workers, len(results), r.Raw)
		}
		for id, w := range want {
			res := results[id].(map[string]any)
			if res["allowed"] != w || !uuidRe.MatchString(fmt.Sprint(res["decision_id"])) {
				t.Errorf("workers=%d %s: %v, want allowed=%v", workers, id, res, w)
			}
		}
	}
	*api.BatchWorkers = 2

	// One malformed check gets its own error; the others are answered.
	r := e.must(200, e.do("POST", "/v1/check/batch", e.key, map[string]any{"checks": []any{
		map[string]any{"correlation_id": "ok", "object": "doc:1", "relation": "viewer", "user": "user:anne"},
		map[string]any{"correlation_id": "bad-user", "object": "doc:1", "relation": "viewer", "user": "anne"},
		map[string]any{"correlation_id": "bad-ctx", "object": "doc:1", "relation": "viewer", "user": "user:anne",
			"contextual_tuples": []any{tk("doc:1", "viewer", "")}},
		map[string]any{"correlation_id": "no", "object": "doc:1", "relation": "viewer", "user": "user:zoe"},
	}}))
	results := r.Body["results"].(map[string]any)
	if results["ok"].(map[string]any)["allowed"] != true || results["no"].(map[string]any)["allowed"] != false {
		t.Fatalf("good checks beside bad ones: %s", r.Raw)
	}
	for _, id := range []string{"bad-user", "bad-ctx"} {
		res := results[id].(map[string]any)
		errBody, _ := res["error"].(map[string]any)
		if errBody["code"] != "invalid_argument" || errBody["message"] == "" {
			t.Errorf("%s: %v", id, res)
		}
		if _, ok := res["allowed"]; ok {
			t.Errorf("%s: error and answer both: %v", id, res)
		}
	}
}

func TestListPageMechanics(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	for _, c := range []struct {
		after string
		size  int
		page  []string
		more  bool
	}{
		{"", 2, []string{"a", "b"}, true},
		{"b", 2, []string{"c", "d"}, true},
		{"d", 2, []string{"e"}, false},
		{"", 5, ids, false},
		{"", 100, ids, false},
		{"e", 3, []string{}, false},
		{"bb", 2, []string{"c", "d"}, true}, // an id deleted between pages
		{"0", 1, []string{"a"}, true},
		{"z", 1, []string{}, false},
	} {
		page, next := api.ListPage(ids, c.after, c.size)
		if !slices.Equal(page, c.page) || (next != "") != c.more {
			t.Errorf("after %q size %d: %v %q, want %v more=%v", c.after, c.size, page, next, c.page, c.more)
		}
		if next != "" {
			last, err := api.DecodeListToken(next)
			if err != nil || last != page[len(page)-1] {
				t.Errorf("token %q decodes to %q %v, want %q", next, last, err, page[len(page)-1])
			}
		}
	}
	if page, next := api.ListPage(nil, "", 10); len(page) != 0 || next != "" {
		t.Errorf("empty list: %v %q", page, next)
	}
	for _, id := range []string{"1", "a|b", "x/y.z", "ünï"} {
		if got, err := api.DecodeListToken(api.EncodeListToken(id)); err != nil || got != id {
			t.Errorf("token round trip %q: %q %v", id, got, err)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("%w: type %q is not defined", engine.ErrInvalidRequest, "folder"), 400, "invalid_argument"},
		{fmt.Errorf("check: %w", engine.ErrTooComplex), 422, "resolution_too_complex"},
		{engine.ErrNoModel, 400, "no_model"},
		{store.ErrNoModel, 400, "no_model"},
		{store.ErrNotFound, 404, "not_found"},
		{errors.New("boom"), 500, "internal"},
	} {
		if status, code := api.ErrorStatus(c.err); status != c.status || code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, status, code, c.status, c.code)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
