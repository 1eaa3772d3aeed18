package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/app"
)

// Tests of the read endpoints that need the engine's full evaluation
// (computed relations, contextual tuples, list, list-users, expand, model
// validation of requests).

// The engine's refusals reach the client as 400 invalid_argument / 422
// resolution_too_complex, on every endpoint that asks it.
func TestReadEngineErrors(t *testing.T) {
	e := startRead(t)
	at := e.at()
	check := func(obj, rel, user string, ctx ...any) map[string]any {
		return map[string]any{"object": obj, "relation": rel, "user": user, "contextual_tuples": ctx, "consistency": at}
	}
	list := func(typ, rel, user string, ctx ...any) map[string]any {
		return map[string]any{"type": typ, "relation": rel, "user": user, "contextual_tuples": ctx, "consistency": at}
	}
	users := func(obj, rel string, filter map[string]any, ctx ...any) map[string]any {
		return map[string]any{"object": obj, "relation": rel, "user_filters": []any{filter}, "contextual_tuples": ctx, "consistency": at}
	}
	userF := map[string]any{"type": "user"}
	cases := []struct {
		name, path string
		body       any
	}{
		{"check unknown type", "/v1/check", check("folder:1", "viewer", "user:anne")},
		{"check unknown relation", "/v1/check", check("doc:1", "editor", "user:anne")},
		{"check unknown user type", "/v1/check", check("doc:1", "viewer", "team:x")},
		{"check unknown userset relation", "/v1/check", check("doc:1", "viewer", "group:eng#admin")},
		{"check contextual unknown type", "/v1/check", check("doc:1", "viewer", "user:anne", tk("folder:1", "viewer", "user:anne"))},
		{"check contextual not allowed user", "/v1/check", check("doc:1", "viewer", "user:anne", tk("doc:1", "owner", "user:*"))},
		{"list unknown type", "/v1/list", list("folder", "viewer", "user:anne")},
		{"list unknown relation", "/v1/list", list("doc", "editor", "user:anne")},
		{"list unknown user type", "/v1/list", list("doc", "viewer", "team:x")},
		{"list contextual invalid", "/v1/list", list("doc", "viewer", "user:anne", tk("doc:1", "nope", "user:anne"))},
		{"list-users unknown type", "/v1/list-users", users("folder:1", "viewer", userF)},
		{"list-users unknown relation", "/v1/list-users", users("doc:1", "editor", userF)},
		{"list-users unknown filter type", "/v1/list-users", users("doc:1", "viewer", map[string]any{"type": "team"})},
		{"list-users unknown filter relation", "/v1/list-users", users("doc:1", "viewer", map[string]any{"type": "group", "relation": "admin"})},
		{"list-users contextual invalid", "/v1/list-users", users("doc:1", "viewer", userF, tk("doc:1", "viewer", "team:x"))},
		{"expand unknown type", "/v1/expand", map[string]any{"object": "folder:1", "relation": "viewer", "consistency": at}},
		{"expand unknown relation", "/v1/expand", map[string]any{"object": "doc:1", "relation": "editor", "consistency": at}},
	}
	for _, c := range cases {
		r := e.do("POST", c.path, e.key, c.body)
		if r.Status != 400 || errCode(r) != "invalid_argument" {
			t.Errorf("%s: got %d %q, want 400 invalid_argument: %.300s", c.name, r.Status, errCode(r), r.Raw)
		}
	}
	// In a batch the refusal is that check's result.
	r := e.must(200, e.do("POST", "/v1/check/batch", e.key, map[string]any{"checks": []any{
		map[string]any{"correlation_id": "ok", "object": "doc:1", "relation": "viewer", "user": "user:anne"},
		map[string]any{"correlation_id": "unknown", "object": "folder:1", "relation": "viewer", "user": "user:anne"},
	}, "consistency": at}))
	results := r.Body["results"].(map[string]any)
	if results["ok"].(map[string]any)["allowed"] != true {
		t.Errorf("batch: good check: %s", r.Raw)
	}
	if eb, _ := results["unknown"].(map[string]any)["error"].(map[string]any); eb["code"] != "invalid_argument" {
		t.Errorf("batch: unknown type: %s", r.Raw)
	}
}

// deepModel chains relations a1..aN of one resource through usersets,
// deeper than the default resolution depth (25).
func deepModel(n int) (string, []any) {
	var b strings.Builder
	b.WriteString("model\n  schema 1.1\ntype user\ntype resource\n  relations\n    define a1: [user]\n")
	writes := []any{tk("resource:1", "a1", "user:maria")}
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, "    define a%d: [resource#a%d]\n", i, i-1)
		writes = append(writes, tk("resource:1", fmt.Sprintf("a%d", i), fmt.Sprintf("resource:1#a%d", i-1)))
	}
	fmt.Fprintf(&b, "    define can_view: a%d\n", n)
	return b.String(), writes
}

func TestTooComplex(t *testing.T) {
	// The 31-relation model takes a while to compile (≈0.2 s, ≈1 s under
	// -race on 2 busy cores); the reads wait for it.
	e := start(t, backends["sqlite"](t), func(c *app.Config) { c.ConsistencyTimeout = 10 * time.Second })
	key := e.createService("deep")
	dsl, writes := deepModel(30)
	e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": dsl}))
	w := e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": writes}))
	at := map[string]any{"at_least": w.Body["revision"]}
	for path, body := range map[string]map[string]any{
		"/v1/check":      {"object": "resource:1", "relation": "can_view", "user": "user:maria", "consistency": at},
		"/v1/list-users": {"object": "resource:1", "relation": "can_view", "user_filters": []any{map[string]any{"type": "user"}}, "consistency": at},
	} {
		r := e.do("POST", path, key, body)
		if r.Status != 422 || errCode(r) != "resolution_too_complex" {
			t.Errorf("%s: %d %s, want 422 resolution_too_complex", path, r.Status, r.Raw)
		}
	}
	r := e.must(200, e.do("POST", "/v1/check/batch", key, map[string]any{"checks": []any{
		map[string]any{"correlation_id": "deep", "object": "resource:1", "relation": "can_view", "user": "user:maria"},
		map[string]any{"correlation_id": "shallow", "object": "resource:1", "relation": "a1", "user": "user:maria"},
	}, "consistency": at}))
	results := r.Body["results"].(map[string]any)
	if eb, _ := results["deep"].(map[string]any)["error"].(map[string]any); eb["code"] != "resolution_too_complex" {
		t.Errorf("batch deep check: %s", r.Raw)
	}
	if results["shallow"].(map[string]any)["allowed"] != true {
		t.Errorf("batch shallow check: %s", r.Raw)
	}
}

func TestCheckContextual(t *testing.T) {
	e := startRead(t)
	at := e.at()
	for _, c := range []struct {
		name string
		body map[string]any
		want bool
	}{
		{"contextual grants", map[string]any{"object": "doc:3", "relation": "viewer", "user": "user:zoe",
			"contextual_tuples": []any{tk("doc:3", "viewer", "user:zoe")}}, true},
		{"contextual group membership", map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:zoe",
			"contextual_tuples": []any{tk("group:eng", "member", "user:zoe")}}, true},
		{"contextual of another user", map[string]any{"object": "doc:3", "relation": "viewer", "user": "user:zoe",
			"contextual_tuples": []any{tk("doc:3", "viewer", "user:yan")}}, false},
		{"through a group", map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:bob"}, true},
		{"100 contextual", map[string]any{"object": "doc:c99", "relation": "viewer", "user": "user:anne",
			"contextual_tuples": ctxTuples(100)}, true},
	} {
		c.body["consistency"] = at
		r := e.must(200, e.do("POST", "/v1/check", e.key, c.body))
		if r.Body["allowed"] != c.want {
			t.Errorf("%s: %s, want allowed=%v", c.name, r.Raw, c.want)
		}
	}
	// Contextual tuples are per request: the next check does not see them.
	r := e.must(200, e.do("POST", "/v1/check", e.key, map[string]any{"object": "doc:3", "relation": "viewer", "user": "user:zoe"}))
	if r.Body["allowed"] != false {
		t.Errorf("contextual tuple leaked into a later check: %s", r.Raw)
	}
}

// Explain: the path of an allowed check, the branches tried for a denied one.
func TestCheckExplain(t *testing.T) {
	e := startRead(t)
	r := e.must(200, e.do("POST", "/v1/check", e.key, map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:bob", "explain": true}))
	ex, _ := r.Body["explanation"].(map[string]any)
	if path, _ := ex["path"].([]any); r.Body["allowed"] != true || len(path) == 0 {
		t.Errorf("explain allowed: %s", r.Raw)
	}
	r = e.must(200, e.do("POST", "/v1/check", e.key, map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:zoe", "explain": true}))
	ex, _ = r.Body["explanation"].(map[string]any)
	if tried, _ := ex["tried"].([]any); r.Body["allowed"] != false || len(tried) == 0 {
		t.Errorf("explain denied: %s", r.Raw)
	}
}

// /v1/list pages are complete, sorted, never repeat, and end with an empty
// token, at every page size.
func TestListPagination(t *testing.T) {
	e := start(t, backends["sqlite"](t))
	key := e.createService("notes")
	e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	var writes []any
	var want []string
	for i := range 95 {
		id := fmt.Sprintf("d%03d", i)
		want = append(want, "doc:"+id)
		if i%2 == 0 {
			writes = append(writes, tk("doc:"+id, "viewer", "user:anne"))
		} else {
			writes = append(writes, tk("doc:"+id, "viewer", "group:eng#member"))
		}
	}
	writes = append(writes, tk("group:eng", "member", "user:anne"), tk("doc:other", "viewer", "user:bob"))
	w := e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": writes}))
	at := map[string]any{"at_least": w.Body["revision"]}

	for _, size := range []int{0, 1, 7, 10, 94, 95, 96, 1000} {
		var got []string
		tok, pages := "", 0
		for {
			body := map[string]any{"type": "doc", "relation": "viewer", "user": "user:anne", "page_size": size,
				"continuation_token": tok, "consistency": at}
			r := e.must(200, e.do("POST", "/v1/list", key, body))
			pages++
			objs := r.Body["objects"].([]any)
			if size > 0 && len(objs) > size {
				t.Fatalf("size %d: page of %d", size, len(objs))
			}
			for _, o := range objs {
				got = append(got, o.(string))
			}
			if tok = r.Body["continuation_token"].(string); tok == "" {
				break
			}
			if len(objs) == 0 || pages > 200 {
				t.Fatalf("size %d: empty page with a token, or no end: %s", size, r.Raw)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("size %d: %d objects in %d pages, want the %d sorted: %v", size, len(got), pages, len(want), got)
		}
		wantPages := 1
		if size > 0 && size < len(want) {
			wantPages = (len(want) + size - 1) / size
		}
		if pages != wantPages {
			t.Errorf("size %d: %d pages, want %d", size, pages, wantPages)
		}
	}
	// A user with nothing: one empty page.
	r := e.must(200, e.do("POST", "/v1/list", key, map[string]any{"type": "doc", "relation": "viewer", "user": "user:nobody", "consistency": at}))
	if objs := r.Body["objects"].([]any); len(objs) != 0 || r.Body["continuation_token"] != "" {
		t.Errorf("empty list: %s", r.Raw)
	}
	// Contextual tuples join the answer.
	r = e.must(200, e.do("POST", "/v1/list", key, map[string]any{"type": "doc", "relation": "viewer", "user": "user:bob",
		"contextual_tuples": []any{tk("doc:zzz", "viewer", "user:bob")}, "consistency": at}))
	if fmt.Sprint(r.Body["objects"]) != "[doc:other doc:zzz]" {
		t.Errorf("list with a contextual tuple: %s", r.Raw)
	}
}

func TestListUsersAndExpand(t *testing.T) {
	e := startRead(t)
	at := e.at()
	r := e.must(200, e.do("POST", "/v1/list-users", e.key, map[string]any{"object": "doc:1", "relation": "viewer",
		"user_filters": []any{map[string]any{"type": "user"}}, "consistency": at}))
	if fmt.Sprint(r.Body["users"]) != "[user:anne user:bob]" {
		t.Errorf("list-users doc:1 viewer users: %s", r.Raw)
	}
	r = e.must(200, e.do("POST", "/v1/list-users", e.key, map[string]any{"object": "doc:2", "relation": "viewer",
		"user_filters": []any{map[string]any{"type": "user"}}, "consistency": at}))
	if fmt.Sprint(r.Body["users"]) != "[user:*]" {
		t.Errorf("list-users doc:2 (wildcard): %s", r.Raw)
	}
	r = e.must(200, e.do("POST", "/v1/list-users", e.key, map[string]any{"object": "doc:1", "relation": "viewer",
		"user_filters": []any{map[string]any{"type": "group", "relation": "member"}}, "consistency": at}))
	if fmt.Sprint(r.Body["users"]) != "[group:eng#member]" {
		t.Errorf("list-users doc:1 group#member: %s", r.Raw)
	}
	r = e.must(200, e.do("POST", "/v1/list-users", e.key, map[string]any{"object": "doc:9", "relation": "owner",
		"user_filters": []any{map[string]any{"type": "user"}}, "contextual_tuples": []any{tk("doc:9", "owner", "user:zoe")}, "consistency": at}))
	if fmt.Sprint(r.Body["users"]) != "[user:zoe]" {
		t.Errorf("list-users with a contextual tuple: %s", r.Raw)
	}

	r = e.must(200, e.do("POST", "/v1/expand", e.key, map[string]any{"object": "doc:1", "relation": "viewer", "consistency": at}))
	tree, _ := r.Body["tree"].(map[string]any)
	var leaves []string
	for _, u := range asSlice(tree["users"]) {
		leaves = append(leaves, fmt.Sprint(u))
	}
	slices.Sort(leaves)
	if tree["name"] != "doc:1#viewer" || fmt.Sprint(leaves) != "[group:eng#member user:anne]" || r.Body["revision"] == "" {
		t.Errorf("expand doc:1#viewer: %s", r.Raw)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestMaxDepthIsConfigurable: with --max-depth 2, a group nested three deep
// is refused, while the same question one level shallower is answered.
func TestMaxDepthIsConfigurable(t *testing.T) {
	e := start(t, backends["sqlite"](t), func(c *app.Config) { c.MaxDepth = 2 })
	key := e.createService("shallow")
	e.must(201, e.do("PUT", "/v1/model", key, map[string]any{"dsl": docsModel}))
	e.must(200, e.do("POST", "/v1/tuples", key, map[string]any{"writes": []any{
		tk("group:g0", "member", "user:anne"),
		tk("group:g1", "member", "group:g0#member"),
		tk("group:g2", "member", "group:g1#member"),
		tk("group:g3", "member", "group:g2#member"),
	}}))
	if r := e.must(200, e.do("POST", "/v1/check", key, tk("group:g1", "member", "user:anne"))); r.Body["allowed"] != true {
		t.Fatalf("within the limit: %s", r.Raw)
	}
	if r := e.do("POST", "/v1/check", key, tk("group:g3", "member", "user:anne")); r.Status != 422 || r.Code() != "resolution_too_complex" {
		t.Fatalf("past the limit: %d %s", r.Status, r.Raw)
	}
}
