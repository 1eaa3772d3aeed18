package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

const adminKey = "sa_test_admin_key"

const docsModel = `model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type doc
  relations
    define owner: [user]
    define viewer: [user, user:*, group#member]
`

func init() { gin.SetMode(gin.TestMode) }

// backends opens a fresh store of each kind.
var backends = map[string]func(t *testing.T) store.Store{
	"sqlite":   func(t *testing.T) store.Store { return testenv.SQLiteStore(t) },
	"postgres": func(t *testing.T) store.Store { return testenv.PostgresStore(t) },
}

type env struct {
	t   *testing.T
	srv *httptest.Server
	st  store.Store
}

func start(t *testing.T, st store.Store, opts ...func(*app.Config)) *env {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// A write waits for this replica to apply it for up to the consistency
	// timeout, so the writer reads its own write without a token. The
	// default second is too short for a model's compilation under -race on
	// CI's two busy cores (TestBadInputChangesNothing once read "no_model"
	// right after its PUT /v1/model): tests wait up to ten; a test of the
	// bound itself sets its own.
	cfg := app.Config{AdminKey: adminKey, Identity: apptest.Identity(t), ConsistencyTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.New(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st}
}

func (e *env) do(method, path, key string, body any) testenv.Response {
	e.t.Helper()
	return testenv.Do(e.t, method, e.srv.URL+path, key, body)
}

func (e *env) must(status int, r testenv.Response) testenv.Response {
	e.t.Helper()
	return testenv.Must(e.t, status, r)
}

// createService returns the new service's key.
func (e *env) createService(name string) string {
	e.t.Helper()
	r := e.must(201, e.do("POST", "/v1/admin/services", adminKey, map[string]any{"name": name}))
	return r.Body["secret"].(string)
}

func errCode(r testenv.Response) string { return r.Code() }

var tk = testenv.Tuple

func TestWalkthrough(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := start(t, open(t))
			key := e.createService("notes")

			m := e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
			if m.Body["version"].(float64) != 1 || m.Body["id"] == "" {
				t.Fatalf("model response %s", m.Raw)
			}
			got := e.must(200, e.do("GET", "/v1/model", key, nil))
			if got.Body["id"] != m.Body["id"] || !strings.Contains(got.Body["dsl"].(string), "define viewer") {
				t.Fatalf("GET /v1/model = %s", got.Raw)
			}

			w := e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": []any{
				tk("doc:1", "viewer", "user:anne"),
				tk("doc:1", "viewer", "group:eng#member"),
				tk("group:eng", "member", "user:bob"),
				tk("doc:2", "viewer", "user:*"),
			}}))
			rev := w.Body["revision"].(string)

			checks := []struct {
				obj, rel, user string
				want           bool
			}{
				{"doc:1", "viewer", "user:anne", true},
				{"doc:1", "viewer", "user:carl", false},
				{"doc:1", "viewer", "group:eng#member", true},
				{"doc:2", "viewer", "user:carl", true},
				{"doc:1", "owner", "user:anne", false},
			}
			for _, c := range checks {
				r := e.must(200, e.do("POST", "/v1/check", key, map[string]any{
					"object": c.obj, "relation": c.rel, "user": c.user,
					"consistency": map[string]any{"at_least": rev}}))
				if r.Body["allowed"] != c.want {
					t.Errorf("check %s#%s@%s = %v, want %v", c.obj, c.rel, c.user, r.Body["allowed"], c.want)
				}
			}

			// Delete, then the check flips.
			d := e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"deletes": []any{tk("doc:1", "viewer", "user:anne")}}))
			r := e.must(200, e.do("POST", "/v1/check", key, map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne",
				"consistency": map[string]any{"at_least": d.Body["revision"]}}))
			if r.Body["allowed"] != false {
				t.Fatalf("check after delete = %s", r.Raw)
			}

			tuples := e.must(200, e.do("GET", "/v1/tuples?object=doc:1", key, nil))
			if n := len(tuples.Body["tuples"].([]any)); n != 1 {
				t.Fatalf("GET /v1/tuples?object=doc:1 returned %d tuples: %s", n, tuples.Raw)
			}
			ch := e.must(200, e.do("GET", "/v1/changes", key, nil))
			ops := []string{}
			for _, c := range ch.Body["changes"].([]any) {
				ops = append(ops, c.(map[string]any)["operation"].(string))
			}
			if strings.Join(ops, ",") != "model,write,write,write,write,delete" {
				t.Fatalf("changes ops = %v", ops)
			}
			next := e.must(200, e.do("GET", "/v1/changes?after="+ch.Body["continuation_token"].(string), key, nil))
			if len(next.Body["changes"].([]any)) != 0 || next.Body["continuation_token"] != ch.Body["continuation_token"] {
				t.Fatalf("changes after the last = %s", next.Raw)
			}
			ready := e.must(200, e.do("GET", "/readyz", "", nil))
			if ready.Body["ready"] != true {
				t.Fatalf("readyz = %s", ready.Raw)
			}
		})
	}
}

// snapshot is what a refused request must leave untouched.
type snapshot struct {
	head   uint64
	tuples int
}

func (e *env) snap(serviceID string) snapshot {
	e.t.Helper()
	ctx := context.Background()
	head, err := e.st.HeadRevision(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	n, cursor := 0, ""
	for {
		ts, next, err := e.st.ReadTuples(ctx, serviceID, store.TupleFilter{}, cursor, 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		n += len(ts)
		if next == "" {
			break
		}
		cursor = next
	}
	return snapshot{head: head, tuples: n}
}

func TestBadInputChangesNothing(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := start(t, open(t))
			key := e.createService("notes")
			other := e.createService("billing")
			e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
			e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": []any{tk("doc:1", "viewer", "user:anne")}}))
			svc, err := e.st.ServiceByName(context.Background(), "notes")
			if err != nil {
				t.Fatal(err)
			}
			revoked := e.must(201, e.do("POST", "/v1/admin/services/notes/keys", adminKey, map[string]any{"grace": "1h"}))
			e.must(204, e.do("DELETE", "/v1/admin/services/notes/keys/"+revoked.Body["key"].(map[string]any)["id"].(string), adminKey, nil))

			many := make([]any, 101)
			for i := range many {
				many[i] = tk(fmt.Sprintf("doc:%d", i+100), "viewer", "user:anne")
			}
			huge := `{"writes":[{"object":"doc:1","relation":"viewer","user":"user:` + strings.Repeat("a", 10<<20) + `"}]}`
			write := func(ws ...any) map[string]any { return map[string]any{"writes": ws} }
			cases := []struct {
				name   string
				key    string
				body   any
				status int
				code   string
			}{
				{"malformed json", key, `{"writes": [`, 400, "invalid_argument"},
				{"unknown field", key, `{"writez": []}`, 400, "invalid_argument"},
				{"empty body", key, ``, 400, "invalid_argument"},
				{"nothing to do", key, `{}`, 400, "invalid_argument"},
				{"unknown type", key, write(tk("folder:1", "viewer", "user:anne")), 400, "invalid_argument"},
				{"unknown relation", key, write(tk("doc:1", "editor", "user:anne")), 400, "invalid_argument"},
				{"type restriction", key, write(tk("doc:1", "owner", "group:eng#member")), 400, "invalid_argument"},
				{"wildcard not allowed", key, write(tk("doc:1", "owner", "user:*")), 400, "invalid_argument"},
				{"malformed user", key, write(tk("doc:1", "viewer", "anne")), 400, "invalid_argument"},
				{"valid then invalid", key, write(tk("doc:9", "viewer", "user:zoe"), tk("doc:9", "nope", "user:zoe")), 400, "invalid_argument"},
				{"repeated tuple", key, write(tk("doc:9", "viewer", "user:zoe"), tk("doc:9", "viewer", "user:zoe")), 400, "invalid_argument"},
				{"101 tuples", key, map[string]any{"writes": many}, 400, "invalid_argument"},
				{"10 MB body", key, huge, 413, "request_too_large"},
				{"duplicate write", key, write(tk("doc:9", "viewer", "user:zoe"), tk("doc:1", "viewer", "user:anne")), 409, "conflict"},
				{"missing delete", key, map[string]any{"writes": []any{tk("doc:9", "viewer", "user:zoe")}, "deletes": []any{tk("doc:1", "viewer", "user:nobody")}}, 409, "conflict"},
				{"bad on_duplicate", key, map[string]any{"writes": []any{tk("doc:9", "viewer", "user:zoe")}, "on_duplicate": "skip"}, 400, "invalid_argument"},
				{"no key", "", write(tk("doc:9", "viewer", "user:zoe")), 401, "unauthenticated"},
				{"garbage key", "sk_nope", write(tk("doc:9", "viewer", "user:zoe")), 401, "unauthenticated"},
				{"revoked key", revoked.Body["secret"].(string), write(tk("doc:9", "viewer", "user:zoe")), 401, "unauthenticated"},
				{"admin key is not a service key", adminKey, write(tk("doc:9", "viewer", "user:zoe")), 401, "unauthenticated"},
			}
			for _, c := range cases {
				before := e.snap(svc.ID)
				r := e.do("POST", "/v1/tuples", c.key, c.body)
				if r.Status != c.status || errCode(r) != c.code {
					t.Errorf("%s: got %d %s, want %d %s: %.300s", c.name, r.Status, errCode(r), c.status, c.code, r.Raw)
				}
				if msg, _ := r.Body["error"].(map[string]any)["message"].(string); msg == "" {
					t.Errorf("%s: no error message: %.300s", c.name, r.Raw)
				}
				if after := e.snap(svc.ID); after != before {
					t.Errorf("%s: store changed: %+v -> %+v", c.name, before, after)
				}
			}

			// Another service's key sees and changes nothing of this one.
			e.must(201, e.do("PUT", "/v1/model", other, map[string]any{"dsl": docsModel}))
			before := e.snap(svc.ID)
			if r := e.must(200, e.do("GET", "/v1/tuples", other, nil)); len(r.Body["tuples"].([]any)) != 0 {
				t.Fatalf("other service reads notes' tuples: %s", r.Raw)
			}
			if r := e.must(200, e.do("POST", "/v1/check", other, tk("doc:1", "viewer", "user:anne"))); r.Body["allowed"] != false {
				t.Fatalf("other service's check sees notes' tuple: %s", r.Raw)
			}
			if r := e.do("POST", "/v1/tuples", other, map[string]any{"deletes": []any{tk("doc:1", "viewer", "user:anne")}}); r.Status != 409 {
				t.Fatalf("other service deleting notes' tuple: %d %s", r.Status, r.Raw)
			}
			if r := e.must(200, e.do("GET", "/v1/changes", other, nil)); len(r.Body["changes"].([]any)) != 1 {
				t.Fatalf("other service's changes should hold only its model: %s", r.Raw)
			}
			if after := e.snap(svc.ID); after.tuples != before.tuples {
				t.Fatalf("other service changed notes' tuples")
			}
		})
	}
}

func TestModelErrors(t *testing.T) {
	e := start(t, backends["sqlite"](t))
	key := e.createService("notes")
	r := e.must(422, e.do("PUT", "/v1/model", key, map[string]any{"dsl": "model\n  schema 1.1\ntype user\n  relations\n    define viewer: [usr]\n"}))
	if errCode(r) != "invalid_model" || !strings.Contains(r.Raw, "usr") {
		t.Fatalf("undefined type: %s", r.Raw)
	}
	r = e.must(422, e.do("PUT", "/v1/model", key, map[string]any{"dsl": "model\n  schema 1.1\ntype user\n  relations\n    define viewer [user]\n"}))
	if line := r.Body["error"].(map[string]any)["line"]; line == nil {
		t.Fatalf("syntax error without a line: %s", r.Raw)
	}
	e.must(400, e.do("PUT", "/v1/model", key, map[string]any{}))
	e.must(400, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel, "json": map[string]any{}}))
	e.must(404, e.do("GET", "/v1/model", key, nil))
	// Writes need a model.
	r = e.must(400, e.do("POST", "/v1/tuples", key, map[string]any{"writes": []any{tk("doc:1", "viewer", "user:anne")}}))
	if errCode(r) != "no_model" {
		t.Fatalf("write without model: %s", r.Raw)
	}
	// JSON form round-trips.
	m := e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	m2 := e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"json": m.Body["json"]}))
	if m2.Body["version"].(float64) != 2 {
		t.Fatalf("second version: %s", m2.Raw)
	}
}

func TestCheckErrors(t *testing.T) {
	e := start(t, backends["sqlite"](t), func(c *app.Config) { c.ConsistencyTimeout = time.Second })
	key := e.createService("notes")
	r := e.must(400, e.do("POST", "/v1/check", key, tk("doc:1", "viewer", "user:anne")))
	if errCode(r) != "no_model" {
		t.Fatalf("check without model: %s", r.Raw)
	}
	m := e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	at := map[string]any{"at_least": m.Body["revision"]}
	for _, c := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{"object": "folder:1", "relation": "viewer", "user": "user:anne", "consistency": at}, 400},
		{map[string]any{"object": "doc:1", "relation": "editor", "user": "user:anne", "consistency": at}, 400},
		{map[string]any{"object": "doc:1", "relation": "viewer", "user": "anne", "consistency": at}, 400},
		{map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne", "consistency": map[string]any{"at_least": "garbage"}}, 400},
		{map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne", "consistency": map[string]any{"fully_consistent": true}}, 200},
	} {
		if r := e.do("POST", "/v1/check", key, c.body); r.Status != c.status {
			t.Errorf("check %v: %d, want %d: %s", c.body, r.Status, c.status, r.Raw)
		}
	}
	// A revision far in the future is refused after the bounded wait.
	future := map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne",
		"consistency": map[string]any{"at_least": "AeCEPQ"}}
	if r := e.do("POST", "/v1/check", key, future); r.Status != 503 || errCode(r) != "consistency_timeout" {
		t.Fatalf("future revision: %d %s", r.Status, r.Raw)
	}
}

// TestCheckCancelledByClient: a check whose client has gone away is
// answered 499 "cancelled", not a 500 "internal" logged as a failure.
func TestCheckCancelledByClient(t *testing.T) {
	e := start(t, backends["sqlite"](t))
	key := e.createService("notes")
	e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": []any{tk("doc:1", "viewer", "user:anne")}}))
	body, err := json.Marshal(tk("doc:1", "viewer", "user:anne"))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(ctx context.Context) (int, string) {
		req := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(body)).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		e.srv.Config.Handler.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if status, got := serve(context.Background()); status != 200 || !strings.Contains(got, `"allowed":true`) {
		t.Fatalf("live check: %d %s", status, got)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	status, got := serve(gone)
	if status != 499 || !strings.Contains(got, `"code":"cancelled"`) {
		t.Fatalf("cancelled check: %d %s, want 499 cancelled", status, got)
	}
}

func TestReadTuplesPaging(t *testing.T) {
	e := start(t, backends["sqlite"](t))
	key := e.createService("notes")
	e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	var writes []any
	for i := 0; i < 25; i++ {
		writes = append(writes, tk(fmt.Sprintf("doc:%d", i), "viewer", "user:anne"))
	}
	writes = append(writes, tk("group:eng", "member", "user:anne"))
	e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": writes}))

	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		r := e.must(200, e.do("GET", "/v1/tuples?object=doc&page_size=10&continuation_token="+cursor, key, nil))
		pages++
		for _, x := range r.Body["tuples"].([]any) {
			obj := x.(map[string]any)["object"].(string)
			if seen[obj] {
				t.Fatalf("%s returned twice", obj)
			}
			seen[obj] = true
		}
		if cursor = r.Body["continuation_token"].(string); cursor == "" {
			break
		}
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("paged %d docs in %d pages, want 25 in 3", len(seen), pages)
	}
	for _, q := range []string{"continuation_token=garbage", "page_size=0", "page_size=1001", "object=doc:*", "user=anne:", "relation=a%23b"} {
		if r := e.do("GET", "/v1/tuples?"+q, key, nil); r.Status != 400 {
			t.Errorf("GET /v1/tuples?%s: %d, want 400: %s", q, r.Status, r.Raw)
		}
	}
	if r := e.must(200, e.do("GET", "/v1/tuples?user=user:anne&relation=member", key, nil)); len(r.Body["tuples"].([]any)) != 1 {
		t.Fatalf("filter by user and relation: %s", r.Raw)
	}
	if r := e.do("GET", "/v1/changes?after=garbage", key, nil); r.Status != 400 {
		t.Fatalf("bad after: %d", r.Status)
	}
}

func TestAdminAPI(t *testing.T) {
	e := start(t, backends["sqlite"](t))
	for _, c := range []struct {
		method, path, key string
		body              any
		status            int
	}{
		{"POST", "/v1/admin/services", "", map[string]any{"name": "x"}, 401},
		{"POST", "/v1/admin/services", "wrong", map[string]any{"name": "x"}, 401},
		{"POST", "/v1/admin/services", adminKey, map[string]any{"name": "Bad Name"}, 400},
		{"POST", "/v1/admin/services", adminKey, map[string]any{"name": ""}, 400},
		{"POST", "/v1/admin/services", adminKey, map[string]any{"name": "notes"}, 201},
		{"POST", "/v1/admin/services", adminKey, map[string]any{"name": "notes"}, 409},
		{"GET", "/v1/admin/services/nope/keys", adminKey, nil, 404},
		{"POST", "/v1/admin/services/notes/keys", adminKey, map[string]any{"grace": "-1h"}, 400},
		{"POST", "/v1/admin/services/notes/keys", adminKey, map[string]any{"grace": "soon"}, 400},
		{"POST", "/v1/admin/services/nope/keys", adminKey, nil, 404},
		{"POST", "/v1/admin/services/notes/keys", adminKey, nil, 201},
		{"DELETE", "/v1/admin/services/notes/keys/nope", adminKey, nil, 404},
		{"GET", "/v1/admin/services", "sk_" + strings.Repeat("a", 43), nil, 401},
		{"PATCH", "/v1/model", adminKey, nil, 405},
		{"GET", "/v2/nothing", "", nil, 404},
	} {
		if r := e.do(c.method, c.path, c.key, c.body); r.Status != c.status {
			t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.status, r.Raw)
		}
	}
	r := e.must(200, e.do("GET", "/v1/admin/services", adminKey, nil))
	if svcs := r.Body["services"].([]any); len(svcs) != 1 || svcs[0].(map[string]any)["name"] != "notes" {
		t.Fatalf("services: %s", r.Raw)
	}
	r = e.must(200, e.do("GET", "/v1/admin/services/notes/keys", adminKey, nil))
	keys := r.Body["keys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("keys: %s", r.Raw)
	}
	for _, k := range keys {
		km := k.(map[string]any)
		if _, leaked := km["secret"]; leaked || km["active"] != true {
			t.Fatalf("key listing: %v", km)
		}
	}
}
