package sentinel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

// injector fails the next requests as told, then proxies to the real
// server: the one fake in these tests.
type injector struct {
	mu       sync.Mutex
	failures []func(http.ResponseWriter) // popped one per request
	requests map[string]int              // by method and path
	proxy    *httputil.ReverseProxy
}

func newInjector(t *testing.T, target string) (*injector, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	in := &injector{proxy: httputil.NewSingleHostReverseProxy(u), requests: map[string]int{}}
	ts := httptest.NewServer(in)
	t.Cleanup(ts.Close)
	return in, ts.URL
}

func (in *injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	in.requests[r.Method+" "+r.URL.Path]++
	var fail func(http.ResponseWriter)
	if len(in.failures) > 0 {
		fail, in.failures = in.failures[0], in.failures[1:]
	}
	in.mu.Unlock()
	if fail != nil {
		fail(w)
		return
	}
	in.proxy.ServeHTTP(w, r)
}

// fail queues n failures.
func (in *injector) fail(n int, f func(http.ResponseWriter)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.requests = map[string]int{}
	in.failures = nil
	for range n {
		in.failures = append(in.failures, f)
	}
}

func (in *injector) count(methodPath string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.requests[methodPath]
}

func status(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		sentinel.WriteError(w, code, "unavailable", "injected failure")
	}
}

// dropConnection closes the connection without an answer: a transport
// error for the client.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func retryAgainst(t *testing.T, target, key string) {
	ctx := context.Background()
	in, url := newInjector(t, target)
	c, _ := newClient(t, url, key, sentinel.WithRetries(3))
	setup, _ := newClient(t, target, key)
	if _, err := setup.PutModel(ctx, docsModel); err != nil {
		t.Fatal(err)
	}
	anne := sentinel.Tuple{Object: "doc:1", Relation: "viewer", User: "user:anne"}
	check := func() (*sentinel.CheckResult, error) {
		return c.Check(ctx, sentinel.CheckRequest{Object: "doc:1", Relation: "viewer", User: "user:anne"})
	}

	// A write is retried after 503 and its revision comes back.
	in.fail(2, status(503, ""))
	rev, err := c.WriteTuples(ctx, anne)
	if err != nil || rev == "" {
		t.Fatalf("write after two 503s = %q, %v", rev, err)
	}
	if n := in.count("POST /v1/tuples"); n != 3 {
		t.Fatalf("write sent %d times, want 3 (two 503s, then success)", n)
	}

	for _, tc := range []struct {
		name string
		n    int
		f    func(http.ResponseWriter)
	}{
		{"503", 3, status(503, "")},
		{"500", 1, status(500, "")},
		{"429 with Retry-After", 1, status(429, "1")},
		{"dropped connections", 2, dropConnection},
	} {
		in.fail(tc.n, tc.f)
		res, err := check()
		if err != nil || !res.Allowed {
			t.Fatalf("%s: check = %+v, %v; want allowed after retries", tc.name, res, err)
		}
		if got := in.count("POST /v1/check"); got != tc.n+1 {
			t.Fatalf("%s: check sent %d times, want %d", tc.name, got, tc.n+1)
		}
	}

	// Retries run out: the last error is returned, typed.
	in.fail(10, status(503, ""))
	_, err = check()
	apiError(t, err, 503, "unavailable")
	if got := in.count("POST /v1/check"); got != 4 {
		t.Fatalf("check with retries=3 sent %d times, want 4", got)
	}

	// A Retry-After beyond the client's bound ends the retries at once.
	in.fail(1, status(429, "3600"))
	_, err = check()
	apiError(t, err, 429, "unavailable")
	if got := in.count("POST /v1/check"); got != 1 {
		t.Fatalf("check after Retry-After: 3600 sent %d times, want 1", got)
	}

	// A transport error is not retried for a write: it may have landed.
	in.fail(1, dropConnection)
	if _, err := c.WriteTuples(ctx, sentinel.Tuple{Object: "doc:2", Relation: "viewer", User: "user:anne"}); err == nil {
		t.Fatal("write through a dropped connection succeeded")
	}
	if got := in.count("POST /v1/tuples"); got != 1 {
		t.Fatalf("write after a dropped connection sent %d times, want 1", got)
	}

	// The context bounds everything, retries included.
	in.fail(10, status(503, ""))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Check(cctx, sentinel.CheckRequest{Object: "doc:1", Relation: "viewer", User: "user:anne"}); err == nil {
		t.Fatal("check with a cancelled context succeeded")
	}
}

func TestWithRetriesZero(t *testing.T) {
	in, url := newInjector(t, "http://127.0.0.1:1") // never proxied: every request fails
	in.fail(100, status(503, ""))
	c, err := sentinel.New(url, "sk_x", sentinel.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetModel(context.Background())
	apiError(t, err, 503, "unavailable")
	if got := in.count("GET /v1/model"); got != 1 {
		t.Fatalf("WithRetries(0) sent %d requests, want 1", got)
	}
}

func TestNewValidatesItsArguments(t *testing.T) {
	for _, tc := range []struct {
		url, key string
		ok       bool
	}{
		{"https://sentinel.example.com", "sk_1", true},
		{"http://127.0.0.1:9003/prefix/", "sk_1", true},
		{"ftp://sentinel.example.com", "sk_1", false},
		{"sentinel.example.com", "sk_1", false},
		{"https://sentinel.example.com?x=1", "sk_1", false},
		{"https://sentinel.example.com", "", false},
	} {
		_, err := sentinel.New(tc.url, tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q, %q) error = %v, want ok=%v", tc.url, tc.key, err, tc.ok)
		}
	}
}
