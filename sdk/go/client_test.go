package sentinel_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

const testAdmin = "sa_sdk_test_admin"

const docsModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user]
type doc
  relations
    define owner: [user]
    define viewer: [user, group#member] or owner
`

// directoryModel defines the directory's types as the default model does,
// and a document type that uses them.
const directoryModel = "model\n  schema 1.1\n" + testenv.DirectoryTypes + `
type doc
  relations
    define viewer: [user, workspace#member, group#member]
`

// sentinelServer is one real `sentinel serve` (SQLite) shared by the
// subtests of a test; each subtest gets its own service.
type sentinelServer struct {
	URL string
}

func startSentinel(t *testing.T) *sentinelServer {
	t.Helper()
	srv := testenv.StartServer(t, "SENTINEL_DATA_DIR="+t.TempDir(), "SENTINEL_ADMIN_KEY="+testAdmin)
	return &sentinelServer{URL: srv.URL}
}

// service creates a service and returns its key.
func (s *sentinelServer) service(t *testing.T, name string) string {
	t.Helper()
	r := testenv.Must(t, 201, testenv.Do(t, "POST", s.URL+"/v1/admin/services", testAdmin, map[string]any{"name": name}))
	return r.Body["secret"].(string)
}

// counting counts the requests a client sends.
type counting struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func newClient(t *testing.T, url, key string, opts ...sentinel.Option) (*sentinel.Client, *counting) {
	t.Helper()
	ct := &counting{next: http.DefaultTransport}
	opts = append([]sentinel.Option{sentinel.WithHTTPClient(&http.Client{Transport: ct}), sentinel.WithBackoff(time.Millisecond, 5*time.Millisecond)}, opts...)
	c, err := sentinel.New(url, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, ct
}

func apiError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var ae *sentinel.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("APIError %d %q (%s), want %d %q", ae.Status, ae.Code, ae.Message, status, code)
	}
}

func TestClientAgainstSentinel(t *testing.T) {
	srv := startSentinel(t)
	ctx := context.Background()

	t.Run("model", func(t *testing.T) {
		c, _ := newClient(t, srv.URL, srv.service(t, "model"))
		_, err := c.GetModel(ctx)
		apiError(t, err, 404, "not_found")
		_, err = c.PutModel(ctx, "model\n  schema 1.1\ntype doc\n  relations\n    define viewer: [nobody]\n")
		apiError(t, err, 422, "invalid_model")
		m, err := c.PutModel(ctx, docsModel)
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != 1 || m.ID == "" || m.Revision == "" || len(m.JSON) == 0 {
			t.Fatalf("stored model %+v", m)
		}
		got, err := c.GetModel(ctx)
		if err != nil || got.ID != m.ID || got.DSL != m.DSL {
			t.Fatalf("GetModel = %+v, %v; want id %s", got, err, m.ID)
		}
		m2, err := c.PutModelJSON(ctx, m.JSON)
		if err != nil || m2.Version != 2 {
			t.Fatalf("PutModelJSON = %+v, %v; want version 2", m2, err)
		}
	})

	t.Run("model with the directory", func(t *testing.T) {
		c, _ := newClient(t, srv.URL, srv.service(t, "dirmodel"))
		_, err := c.PutModel(ctx, directoryModel, sentinel.WithDirectory())
		apiError(t, err, 403, "forbidden")
		testenv.Must(t, 200, testenv.Do(t, "PUT", srv.URL+"/v1/admin/services/dirmodel/directory", testAdmin, map[string]any{"allowed": true}))
		m, err := c.PutModel(ctx, directoryModel, sentinel.WithDirectory())
		if err != nil || !m.Directory {
			t.Fatalf("PutModel with the directory = %+v, %v", m, err)
		}
		if got, err := c.GetModel(ctx); err != nil || !got.Directory || got.ID != m.ID {
			t.Fatalf("GetModel = %+v, %v; want %s with the directory", got, err, m.ID)
		}
		m2, err := c.PutModelJSON(ctx, m.JSON)
		if err != nil || m2.Directory {
			t.Fatalf("PutModelJSON without the option = %+v, %v; want no directory", m2, err)
		}
	})

	t.Run("tuples and check with AtLeast", func(t *testing.T) {
		c, _ := newClient(t, srv.URL, srv.service(t, "tuples"))
		if _, err := c.PutModel(ctx, docsModel); err != nil {
			t.Fatal(err)
		}
		anne := sentinel.Tuple{Object: "doc:readme", Relation: "viewer", User: "user:anne"}
		eng := sentinel.Tuple{Object: "group:eng", Relation: "member", User: "user:bob"}
		share := sentinel.Tuple{Object: "doc:readme", Relation: "viewer", User: "group:eng#member"}
		rev, err := c.WriteTuples(ctx, anne, eng, share)
		if err != nil || rev == "" {
			t.Fatalf("WriteTuples = %q, %v", rev, err)
		}
		_, err = c.WriteTuples(ctx, anne)
		apiError(t, err, 409, "conflict")
		if _, err := c.Write(ctx, sentinel.TupleWrite{Writes: []sentinel.Tuple{anne}, IgnoreDuplicates: true}); err != nil {
			t.Fatalf("duplicate with IgnoreDuplicates: %v", err)
		}
		page, err := c.ReadTuples(ctx, sentinel.TupleFilter{Object: "doc:readme"})
		if err != nil || len(page.Tuples) != 2 || page.ContinuationToken != "" {
			t.Fatalf("ReadTuples = %+v, %v; want the 2 doc:readme tuples", page, err)
		}
		for _, tc := range []struct {
			user string
			want bool
		}{{"user:anne", true}, {"user:bob", true}, {"user:carl", false}} {
			res, err := c.Check(ctx, sentinel.CheckRequest{Object: "doc:readme", Relation: "viewer", User: tc.user}, sentinel.AtLeast(rev))
			if err != nil || res.Allowed != tc.want || res.DecisionID == "" || res.Revision == "" {
				t.Fatalf("Check %s = %+v, %v; want allowed=%v", tc.user, res, err, tc.want)
			}
		}
		res, err := c.Check(ctx, sentinel.CheckRequest{Object: "doc:readme", Relation: "viewer", User: "user:bob", Explain: true})
		if err != nil || res.Explanation == nil || len(res.Explanation.Path) == 0 {
			t.Fatalf("Check with Explain = %+v, %v; want a path", res, err)
		}
		_, err = c.Check(ctx, sentinel.CheckRequest{Object: "doc:readme", Relation: "viewer", User: "user:anne"}, sentinel.AtLeast("not-a-token"))
		apiError(t, err, 400, "invalid_argument")
		// Contextual tuples count for the one question.
		res, err = c.Check(ctx, sentinel.CheckRequest{Object: "doc:other", Relation: "viewer", User: "user:carl",
			Contextual: []sentinel.Tuple{{Object: "doc:other", Relation: "owner", User: "user:carl"}}})
		if err != nil || !res.Allowed {
			t.Fatalf("contextual check = %+v, %v; want allowed", res, err)
		}

		del, err := c.DeleteTuples(ctx, anne)
		if err != nil || del == "" || del == rev {
			t.Fatalf("DeleteTuples = %q, %v", del, err)
		}
		res, err = c.Check(ctx, sentinel.CheckRequest{Object: "doc:readme", Relation: "viewer", User: "user:anne"}, sentinel.AtLeast(del))
		if err != nil || res.Allowed {
			t.Fatalf("check after delete = %+v, %v; want denied", res, err)
		}
		_, err = c.DeleteTuples(ctx, anne)
		if err == nil {
			t.Fatal("deleting a missing tuple succeeded; want an error")
		}
		if _, err := c.Write(ctx, sentinel.TupleWrite{Deletes: []sentinel.Tuple{anne}, IgnoreMissing: true}); err != nil {
			t.Fatalf("missing delete with IgnoreMissing: %v", err)
		}
	})

	t.Run("batch check", func(t *testing.T) {
		c, _ := newClient(t, srv.URL, srv.service(t, "batch"))
		if _, err := c.PutModel(ctx, docsModel); err != nil {
			t.Fatal(err)
		}
		rev, err := c.WriteTuples(ctx, sentinel.Tuple{Object: "doc:1", Relation: "owner", User: "user:anne"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.BatchCheck(ctx, []sentinel.BatchItem{
			{CorrelationID: "a", Object: "doc:1", Relation: "viewer", User: "user:anne"},
			{CorrelationID: "b", Object: "doc:1", Relation: "viewer", User: "user:bob"},
			{CorrelationID: "bad", Object: "doc:1", Relation: "nosuch", User: "user:anne"},
		}, sentinel.AtLeast(rev))
		if err != nil {
			t.Fatal(err)
		}
		if a := out.Results["a"]; !a.Allowed || a.Err != nil || a.DecisionID == "" {
			t.Fatalf("a = %+v, want allowed", a)
		}
		if b := out.Results["b"]; b.Allowed || b.Err != nil {
			t.Fatalf("b = %+v, want denied", b)
		}
		if bad := out.Results["bad"]; bad.Allowed || bad.Err == nil || bad.Err.Code != "invalid_argument" {
			t.Fatalf("bad = %+v, want its own invalid_argument error", bad)
		}
		_, err = c.BatchCheck(ctx, nil)
		apiError(t, err, 400, "invalid_argument")
	})

	t.Run("ListAll across pages, list-users, expand", func(t *testing.T) {
		c, ct := newClient(t, srv.URL, srv.service(t, "lists"))
		if _, err := c.PutModel(ctx, docsModel); err != nil {
			t.Fatal(err)
		}
		var (
			writes []sentinel.Tuple
			want   []string
		)
		for i := range 25 {
			writes = append(writes, sentinel.Tuple{Object: fmt.Sprintf("doc:d%02d", i), Relation: "viewer", User: "user:anne"})
			want = append(want, fmt.Sprintf("doc:d%02d", i))
		}
		writes = append(writes, sentinel.Tuple{Object: "doc:d00", Relation: "owner", User: "user:bob"})
		rev, err := c.WriteTuples(ctx, writes...)
		if err != nil {
			t.Fatal(err)
		}
		before := ct.n.Load()
		got, listRev, err := c.ListAll(ctx, sentinel.ListRequest{Type: "doc", Relation: "viewer", User: "user:anne", PageSize: 10}, sentinel.AtLeast(rev))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || listRev == "" {
			t.Fatalf("ListAll = %v (rev %q), want %v", got, listRev, want)
		}
		if n := ct.n.Load() - before; n != 3 {
			t.Fatalf("ListAll of 25 objects by 10 took %d requests, want 3 pages", n)
		}
		page, err := c.List(ctx, sentinel.ListRequest{Type: "doc", Relation: "viewer", User: "user:anne", PageSize: 10})
		if err != nil || len(page.Objects) != 10 || page.ContinuationToken == "" {
			t.Fatalf("List first page = %+v, %v", page, err)
		}

		users, err := c.ListUsers(ctx, sentinel.ListUsersRequest{Object: "doc:d00", Relation: "viewer",
			UserFilters: []sentinel.UserFilter{{Type: "user"}}}, sentinel.AtLeast(rev))
		if err != nil || !slices.Equal(users.Users, []string{"user:anne", "user:bob"}) {
			t.Fatalf("ListUsers = %+v, %v; want anne and bob", users, err)
		}
		_, err = c.ListUsers(ctx, sentinel.ListUsersRequest{Object: "doc:d00", Relation: "viewer"})
		apiError(t, err, 400, "invalid_argument")

		ex, err := c.Expand(ctx, "doc:d00", "viewer", sentinel.FullyConsistent())
		if err != nil {
			t.Fatal(err)
		}
		if ex.Tree == nil || ex.Tree.Name != "doc:d00#viewer" || len(ex.Tree.Union) != 2 {
			t.Fatalf("Expand tree = %+v, want a union of the direct users and owner", ex.Tree)
		}
		direct, computed := ex.Tree.Union[0], ex.Tree.Union[1]
		if !slices.Equal(direct.Users, []string{"user:anne"}) || computed.Computed != "doc:d00#owner" {
			t.Fatalf("Expand union = %+v, %+v", direct, computed)
		}
	})

	t.Run("a 4xx is never retried", func(t *testing.T) {
		bad, ct := newClient(t, srv.URL, "sk_not_a_real_key")
		_, err := bad.Check(ctx, sentinel.CheckRequest{Object: "doc:1", Relation: "viewer", User: "user:anne"})
		apiError(t, err, 401, "unauthenticated")
		if n := ct.n.Load(); n != 1 {
			t.Fatalf("401 was sent %d times, want once", n)
		}
		c, ct := newClient(t, srv.URL, srv.service(t, "noretry"))
		_, err = c.Check(ctx, sentinel.CheckRequest{Object: "doc:1", Relation: "viewer", User: "user:anne"})
		apiError(t, err, 400, "no_model")
		_, err = c.WriteTuples(ctx, sentinel.Tuple{Object: "doc:1", Relation: "viewer", User: "user:anne"})
		if err == nil {
			t.Fatal("write without a model succeeded")
		}
		if n := ct.n.Load(); n != 2 {
			t.Fatalf("two refused requests were sent %d times, want 2", n)
		}
	})

	t.Run("retries 503 and 429 through a failure injector", func(t *testing.T) {
		retryAgainst(t, srv.URL, srv.service(t, "retries"))
	})

	t.Run("RequirePermission", func(t *testing.T) {
		requirePermissionAgainst(t, srv.URL, srv.service(t, "notes"))
	})
}
