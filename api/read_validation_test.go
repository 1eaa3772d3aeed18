package api_test

import (
	"strings"
	"testing"
)

// Every 400 of the read endpoints' request validation. None needs the
// engine: syntax is checked before it is asked.
func TestReadValidation(t *testing.T) {
	e := startRead(t)
	check := func(kv ...any) map[string]any {
		m := map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	list := func(kv ...any) map[string]any {
		m := map[string]any{"type": "doc", "relation": "viewer", "user": "user:anne"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	users := func(kv ...any) map[string]any {
		m := map[string]any{"object": "doc:1", "relation": "viewer", "user_filters": []any{map[string]any{"type": "user"}}}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	batch := func(checks ...any) map[string]any { return map[string]any{"checks": checks} }
	item := func(id string) map[string]any {
		return map[string]any{"correlation_id": id, "object": "doc:1", "relation": "viewer", "user": "user:anne"}
	}
	noID := item("")
	delete(noID, "correlation_id")
	both := map[string]any{"at_least": e.rev, "fully_consistent": true}

	cases := []struct {
		name, path string
		body       any
	}{
		// every endpoint: body shape
		{"check empty body", "/v1/check", ``},
		{"check malformed json", "/v1/check", `{"object":`},
		{"check unknown field", "/v1/check", check("objekt", "doc:1")},
		{"check trailing data", "/v1/check", `{"object":"doc:1","relation":"viewer","user":"user:anne"} {}`},
		{"check trailing bracket", "/v1/check", `{"object":"doc:1","relation":"viewer","user":"user:anne"} }`},
		{"check trailing text", "/v1/check", `{"object":"doc:1","relation":"viewer","user":"user:anne"}x`},
		{"batch unknown field", "/v1/check/batch", map[string]any{"checks": batchOf(1), "extra": 1}},
		{"list unknown field", "/v1/list", list("object", "doc:1")},
		{"list-users unknown field", "/v1/list-users", users("user", "user:anne")},
		{"expand unknown field", "/v1/expand", map[string]any{"object": "doc:1", "relation": "viewer", "user": "user:anne"}},
		{"expand empty body", "/v1/expand", ``},
		// /v1/check
		{"check missing object", "/v1/check", check("object", "")},
		{"check object without id", "/v1/check", check("object", "doc")},
		{"check wildcard object", "/v1/check", check("object", "doc:*")},
		{"check missing relation", "/v1/check", check("relation", "")},
		{"check malformed relation", "/v1/check", check("relation", "a#b")},
		{"check missing user", "/v1/check", check("user", "")},
		{"check malformed user", "/v1/check", check("user", "anne")},
		{"check user a:b:c", "/v1/check", check("user", "a:b:c")},
		{"check explain not bool", "/v1/check", check("explain", "yes")},
		{"check contextual malformed", "/v1/check", check("contextual_tuples", []any{tk("doc", "viewer", "user:anne")})},
		{"check contextual bad user", "/v1/check", check("contextual_tuples", []any{tk("doc:1", "viewer", "anne")})},
		{"check contextual bad relation", "/v1/check", check("contextual_tuples", []any{tk("doc:1", "", "user:anne")})},
		{"check 101 contextual", "/v1/check", check("contextual_tuples", ctxTuples(101))},
		{"check bad at_least", "/v1/check", check("consistency", map[string]any{"at_least": "garbage"})},
		{"check two consistencies", "/v1/check", check("consistency", both)},
		// /v1/check/batch: shape of the batch
		{"batch no checks", "/v1/check/batch", map[string]any{}},
		{"batch empty checks", "/v1/check/batch", batch()},
		{"batch 101 checks", "/v1/check/batch", map[string]any{"checks": batchOf(101)}},
		{"batch missing correlation_id", "/v1/check/batch", batch(item("a"), noID)},
		{"batch empty correlation_id", "/v1/check/batch", batch(item(""))},
		{"batch repeated correlation_id", "/v1/check/batch", batch(item("a"), item("b"), item("a"))},
		{"batch long correlation_id", "/v1/check/batch", batch(item(strings.Repeat("x", 129)))},
		{"batch bad consistency", "/v1/check/batch", map[string]any{"checks": batchOf(1), "consistency": map[string]any{"at_least": "garbage"}}},
		// /v1/list
		{"list missing type", "/v1/list", list("type", "")},
		{"list malformed type", "/v1/list", list("type", "doc:1")},
		{"list missing relation", "/v1/list", list("relation", "")},
		{"list malformed relation", "/v1/list", list("relation", "view er")},
		{"list missing user", "/v1/list", list("user", "")},
		{"list malformed user", "/v1/list", list("user", "user")},
		{"list page_size negative", "/v1/list", list("page_size", -1)},
		{"list page_size 1001", "/v1/list", list("page_size", 1001)},
		{"list page_size not a number", "/v1/list", list("page_size", "ten")},
		{"list garbage token", "/v1/list", list("continuation_token", "garbage")},
		{"list token not base64", "/v1/list", list("continuation_token", "!!!")},
		{"list contextual malformed", "/v1/list", list("contextual_tuples", []any{tk("doc:1", "viewer", "user")})},
		{"list 101 contextual", "/v1/list", list("contextual_tuples", ctxTuples(101))},
		{"list bad consistency", "/v1/list", list("consistency", both)},
		// /v1/list-users
		{"list-users missing object", "/v1/list-users", users("object", "")},
		{"list-users malformed object", "/v1/list-users", users("object", "doc")},
		{"list-users missing relation", "/v1/list-users", users("relation", "")},
		{"list-users no filters", "/v1/list-users", users("user_filters", []any{})},
		{"list-users filters absent", "/v1/list-users", map[string]any{"object": "doc:1", "relation": "viewer"}},
		{"list-users filter without type", "/v1/list-users", users("user_filters", []any{map[string]any{"relation": "member"}})},
		{"list-users filter bad type", "/v1/list-users", users("user_filters", []any{map[string]any{"type": "user:anne"}})},
		{"list-users filter bad relation", "/v1/list-users", users("user_filters", []any{map[string]any{"type": "group", "relation": "mem ber"}})},
		{"list-users filter as string", "/v1/list-users", users("user_filters", []any{"user"})},
		{"list-users contextual malformed", "/v1/list-users", users("contextual_tuples", []any{tk("doc:1", "viewer", "")})},
		{"list-users 101 contextual", "/v1/list-users", users("contextual_tuples", ctxTuples(101))},
		{"list-users bad consistency", "/v1/list-users", users("consistency", map[string]any{"at_least": "x"})},
		// /v1/expand
		{"expand missing object", "/v1/expand", map[string]any{"relation": "viewer"}},
		{"expand malformed object", "/v1/expand", map[string]any{"object": "doc:", "relation": "viewer"}},
		{"expand missing relation", "/v1/expand", map[string]any{"object": "doc:1"}},
		{"expand malformed relation", "/v1/expand", map[string]any{"object": "doc:1", "relation": "a:b"}},
		{"expand bad consistency", "/v1/expand", map[string]any{"object": "doc:1", "relation": "viewer", "consistency": map[string]any{"at_least": "x"}}},
	}
	for _, c := range cases {
		before := e.snap(e.serviceID)
		r := e.do("POST", c.path, e.key, c.body)
		if r.Status != 400 || errCode(r) != "invalid_argument" {
			t.Errorf("%s: got %d %q, want 400 invalid_argument: %.300s", c.name, r.Status, errCode(r), r.Raw)
		} else if msg, _ := r.Body["error"].(map[string]any)["message"].(string); msg == "" {
			t.Errorf("%s: no error message: %s", c.name, r.Raw)
		}
		if after := e.snap(e.serviceID); after != before {
			t.Errorf("%s: store changed: %+v -> %+v", c.name, before, after)
		}
	}
}

// Before the first model every read endpoint answers 400 no_model.
func TestReadNoModel(t *testing.T) {
	e := start(t, backends["sqlite"](t))
	key := e.createService("notes")
	for path, body := range readBodies(nil) {
		r := e.do("POST", path, key, body)
		if r.Status != 400 || errCode(r) != "no_model" {
			t.Errorf("%s without a model: %d %s", path, r.Status, r.Raw)
		}
	}
}

// readBodies is one valid request per read endpoint.
func readBodies(consistency any) map[string]map[string]any {
	b := map[string]map[string]any{
		"/v1/check": {"object": "doc:1", "relation": "viewer", "user": "user:bob",
			"contextual_tuples": []any{tk("doc:1", "owner", "user:bob")}, "explain": true},
		"/v1/check/batch": {"checks": batchOf(3)},
		"/v1/list": {"type": "doc", "relation": "viewer", "user": "user:anne",
			"contextual_tuples": []any{tk("doc:7", "viewer", "user:anne")}, "page_size": 1},
		"/v1/list-users": {"object": "doc:1", "relation": "viewer",
			"user_filters": []any{map[string]any{"type": "user"}, map[string]any{"type": "group", "relation": "member"}}},
		"/v1/expand": {"object": "doc:1", "relation": "viewer"},
	}
	if consistency != nil {
		for _, body := range b {
			body["consistency"] = consistency
		}
	}
	return b
}

// The query routes' decoding errors say what is wrong and where, in words
// of their own: no Go type names, the same in every process.
func TestQueryDecodeMessages(t *testing.T) {
	e := startRead(t)
	const valid = `"object":"doc:1","relation":"viewer","user":"user:anne"`
	cases := []struct {
		name, path, body, want string
	}{
		{"empty", "/v1/check", ``, "request body is empty"},
		{"white space", "/v1/check", " \n\t", "request body is empty"},
		{"cut off", "/v1/check", `{"object":`, "malformed JSON body"},
		{"not an object", "/v1/check", `[1]`, "at /: a JSON array where an object is expected"},
		{"unknown field", "/v1/check", `{` + valid + `,"objekt":"doc:1"}`, `unknown field "objekt"`},
		{"names match exactly", "/v1/check", `{"Object":"doc:1","relation":"viewer","user":"user:anne"}`, `unknown field "Object"`},
		{"duplicate field", "/v1/check", `{` + valid + `,"object":"doc:2"}`, `duplicate field "object"`},
		{"wrong type", "/v1/check", `{` + valid + `,"explain":"yes"}`, "at /explain: a JSON string where a boolean is expected"},
		{"wrong type in a list", "/v1/check", `{` + valid + `,"contextual_tuples":[{"object":1}]}`, "at /contextual_tuples/0/object: a JSON number where a string is expected"},
		{"trailing data", "/v1/check", `{` + valid + `} {}`, "malformed JSON body"},
		{"invalid UTF-8", "/v1/check", "{\"object\":\"doc:\xff\",\"relation\":\"viewer\",\"user\":\"user:anne\"}", "malformed JSON body"},
		{"page_size not an integer", "/v1/list", `{"type":"doc","relation":"viewer","user":"user:anne","page_size":10.5}`, "at /page_size: 10.5 is not an integer in range"},
		{"page_size out of range", "/v1/list", `{"type":"doc","relation":"viewer","user":"user:anne","page_size":99999999999999999999}`, "is not an integer in range"},
		{"page_size not a number", "/v1/list", `{"type":"doc","relation":"viewer","user":"user:anne","page_size":"ten"}`, "at /page_size: a JSON string where a number is expected"},
		{"batch item unknown field", "/v1/check/batch", `{"checks":[{"correlation_id":"a",` + valid + `,"x":1}]}`, `unknown field "x"`},
		{"list-users duplicate", "/v1/list-users", `{"object":"doc:1","object":"doc:1","relation":"viewer","user_filters":[{"type":"user"}]}`, `duplicate field "object"`},
		{"expand unknown field", "/v1/expand", `{"object":"doc:1","relation":"viewer","user":"user:anne"}`, `unknown field "user"`},
	}
	for _, c := range cases {
		r := e.do("POST", c.path, e.key, c.body)
		errObj, _ := r.Body["error"].(map[string]any)
		msg, _ := errObj["message"].(string)
		if r.Status != 400 || errCode(r) != "invalid_argument" || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %d %q %q, want 400 invalid_argument saying %q", c.name, r.Status, errCode(r), msg, c.want)
		}
		if strings.Contains(msg, "api.") || strings.Contains(msg, "Go ") {
			t.Errorf("%s: the message names Go types: %q", c.name, msg)
		}
	}
	huge := `{` + valid + `,"contextual_tuples":[` + strings.Repeat(`{"object":"doc:1","relation":"viewer","user":"user:anne"},`, 20000) + `]}`
	if r := e.do("POST", "/v1/check", e.key, huge); r.Status != 413 || errCode(r) != "request_too_large" {
		t.Errorf("a body over the limit: %d %q, want 413 request_too_large", r.Status, errCode(r))
	}
}
