package conformance

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
)

const adminKey = "sa_conformance_admin_key"

func init() { gin.SetMode(gin.TestMode) }

// listPageSize is small so that pagination is exercised on every list of
// more than a few objects.
const listPageSize = 3

// TestConformanceHTTP runs the suite through the HTTP API of one live
// server on PostgreSQL: a service per test, created through the admin API;
// PUT /v1/model and POST /v1/tuples per stage; every read passes the last
// write's revision as consistency.at_least.
func TestConformanceHTTP(t *testing.T) {
	st := testenv.PostgresStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// A generous consistency timeout: this checks answers, not latency, and
	// one datasync applies every service's models and tuples in turn (a
	// model compiles as it is applied), so with 137 tests in flight a
	// write can take over a second to become visible on a busy machine.
	a, err := app.New(ctx, st, app.Config{AdminKey: adminKey, Logger: quietLogger(), ConsistencyTimeout: syncTimeout, Identity: apptest.Identity(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	var n atomic.Int64
	runMode(t, "http", func(t *testing.T) driver {
		name := fmt.Sprintf("conformance-%03d", n.Add(1))
		r := testenv.Must(t, 201, testenv.Do(t, "POST", srv.URL+"/v1/admin/services", adminKey, map[string]any{"name": name}))
		return &httpDriver{url: srv.URL, key: r.Body["secret"].(string)}
	})
}

type httpDriver struct {
	url, key string
	rev      string // the revision of the last write
}

func (d *httpDriver) post(method, path string, body any) (testenv.Response, error) {
	return testenv.DoErr(method, d.url+path, d.key, body)
}

func (d *httpDriver) at() map[string]any { return map[string]any{"at_least": d.rev} }

func (d *httpDriver) setStage(_ context.Context, st stage) ([]string, error) {
	r, err := d.post("PUT", "/v1/model", map[string]any{"dsl": st.Model})
	if err != nil {
		return nil, err
	}
	if r.Status != 201 {
		return nil, fmt.Errorf("PUT /v1/model: %d %s", r.Status, r.Raw)
	}
	d.rev = r.Body["revision"].(string)
	var problems []string
	var writes []tupleKey
	index := map[string]int{}
	for i, k := range st.Tuples {
		if k.Condition != nil {
			problems = append(problems, fmt.Sprintf("tuples[%d] %s has a condition, which Sentinel does not support; not written", i, k))
			continue
		}
		if _, dup := index[k.String()]; !dup {
			index[k.String()] = i
			writes = append(writes, k)
		}
	}
	for len(writes) > 0 {
		n := min(len(writes), 100)
		chunk := writes[:n]
		writes = writes[n:]
		r, err := d.post("POST", "/v1/tuples", map[string]any{"writes": chunk, "on_duplicate": "ignore"})
		if err != nil {
			return problems, err
		}
		switch {
		case r.Status == 200:
			d.rev = r.Body["revision"].(string)
		case r.Status == 400:
			// Name the refused tuples: write them one at a time.
			for _, k := range chunk {
				r, err := d.post("POST", "/v1/tuples", map[string]any{"writes": []tupleKey{k}, "on_duplicate": "ignore"})
				if err != nil {
					return problems, err
				}
				if r.Status != 200 {
					problems = append(problems, fmt.Sprintf("tuples[%d] %s refused, not written: %d %s", index[k.String()], k, r.Status, r.Raw))
					continue
				}
				d.rev = r.Body["revision"].(string)
			}
		default:
			return problems, fmt.Errorf("POST /v1/tuples: %d %s", r.Status, r.Raw)
		}
	}
	return problems, nil
}

// httpAnswer classifies a response that is not a 200.
func httpAnswer(path string, r testenv.Response, err error) answer {
	switch {
	case err != nil:
		return refused(broken, "%s: %v", path, err)
	case r.Status == 400 && r.Code() == "invalid_argument":
		return refused(refusedInvalid, "%s: %s", path, r.Raw)
	case r.Status == 422 && r.Code() == "resolution_too_complex":
		return refused(refusedTooComplex, "%s: %s", path, r.Raw)
	}
	return refused(broken, "%s: %d %s", path, r.Status, r.Raw)
}

func contextualBody(ks []tupleKey) []tupleKey {
	if ks == nil {
		return []tupleKey{}
	}
	return ks
}

func hasConditions(ks []tupleKey) bool {
	for _, k := range ks {
		if k.Condition != nil {
			return true
		}
	}
	return false
}

func (d *httpDriver) check(_ context.Context, a checkAssertion) answer {
	if hasConditions(a.Contextual) {
		return refused(broken, "a contextual tuple has a condition, which Sentinel does not support")
	}
	r, err := d.post("POST", "/v1/check", map[string]any{"object": a.Tuple.Object, "relation": a.Tuple.Relation, "user": a.Tuple.User,
		"contextual_tuples": contextualBody(a.Contextual), "consistency": d.at()})
	if err != nil || r.Status != 200 {
		return httpAnswer("/v1/check", r, err)
	}
	allowed, ok := r.Body["allowed"].(bool)
	if !ok {
		return refused(broken, "/v1/check: no allowed in %s", r.Raw)
	}
	return answer{allowed: allowed}
}

// listObjects follows continuation tokens to the end.
func (d *httpDriver) listObjects(_ context.Context, a listObjectsAssertion) answer {
	if hasConditions(a.Contextual) {
		return refused(broken, "a contextual tuple has a condition, which Sentinel does not support")
	}
	out := []string{}
	tok := ""
	for page := 0; ; page++ {
		if page > 10000 {
			return refused(broken, "/v1/list: more than 10000 pages")
		}
		r, err := d.post("POST", "/v1/list", map[string]any{"user": a.Request.User, "relation": a.Request.Relation, "type": a.Request.Type,
			"contextual_tuples": contextualBody(a.Contextual), "page_size": listPageSize, "continuation_token": tok, "consistency": d.at()})
		if err != nil || r.Status != 200 {
			return httpAnswer(fmt.Sprintf("/v1/list page %d", page), r, err)
		}
		objs, _ := r.Body["objects"].([]any)
		if len(objs) > listPageSize {
			return refused(broken, "/v1/list page %d: %d objects, page_size %d", page, len(objs), listPageSize)
		}
		for _, o := range objs {
			out = append(out, fmt.Sprint(o))
		}
		tok, _ = r.Body["continuation_token"].(string)
		if tok == "" {
			return answer{list: out}
		}
	}
}

func (d *httpDriver) listUsers(_ context.Context, a listUsersAssertion) answer {
	if hasConditions(a.Contextual) {
		return refused(broken, "a contextual tuple has a condition, which Sentinel does not support")
	}
	filters := make([]map[string]string, len(a.Request.Filters))
	for i, f := range a.Request.Filters {
		typ, rel, _ := strings.Cut(f, "#")
		filters[i] = map[string]string{"type": typ}
		if rel != "" {
			filters[i]["relation"] = rel
		}
	}
	r, err := d.post("POST", "/v1/list-users", map[string]any{"object": a.Request.Object, "relation": a.Request.Relation,
		"user_filters": filters, "contextual_tuples": contextualBody(a.Contextual), "consistency": d.at()})
	if err != nil || r.Status != 200 {
		return httpAnswer("/v1/list-users", r, err)
	}
	out := []string{}
	users, _ := r.Body["users"].([]any)
	for _, u := range users {
		out = append(out, fmt.Sprint(u))
	}
	return answer{list: out}
}
