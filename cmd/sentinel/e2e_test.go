package main

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
)

const e2eAdmin = "sa_e2e_admin"

const e2eModel = "model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n"

// setup creates a service with a model through srv and returns its key.
func setup(t *testing.T, srv *testenv.Server) string {
	t.Helper()
	r := testenv.Must(t, 201, testenv.Do(t, "POST", srv.URL+"/v1/admin/services", e2eAdmin, map[string]any{"name": "docs"}))
	key := r.Body["secret"].(string)
	testenv.Must(t, 201, testenv.Do(t, "PUT", srv.URL+"/v1/model", key, map[string]any{"dsl": e2eModel}))
	return key
}

// waitAllowed polls srv until check(doc#viewer@user) == want; it returns
// how long that took, or fails after limit.
func waitAllowed(t *testing.T, srv *testenv.Server, key, doc, user string, want bool, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		r := testenv.Do(t, "POST", srv.URL+"/v1/check", key, testenv.Tuple(doc, "viewer", user))
		if r.Status == 200 && r.Body["allowed"] == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("check %s@%s on %s still not %v after %s: %s", doc, user, srv.URL, want, limit, r.Raw)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReplicasSharePostgres: a write through one server is seen by the
// other's check within a second (LISTEN/NOTIFY), and so is a delete.
func TestReplicasSharePostgres(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a := testenv.StartServer(t, "SENTINEL_DATABASE_URL="+url, "SENTINEL_ADMIN_KEY="+e2eAdmin)
	b := testenv.StartServer(t, "SENTINEL_DATABASE_URL="+url, "SENTINEL_ADMIN_KEY="+e2eAdmin)
	key := setup(t, a)
	// b learns of the key and model through the shared store.
	for i := 0; i < 5; i++ {
		doc := fmt.Sprintf("doc:%d", i)
		testenv.Must(t, 200, testenv.Do(t, "POST", a.URL+"/v1/tuples", key, map[string]any{"writes": []any{testenv.Tuple(doc, "viewer", "user:anne")}}))
		seen := waitAllowed(t, b, key, doc, "user:anne", true, time.Second)
		testenv.Must(t, 200, testenv.Do(t, "POST", a.URL+"/v1/tuples", key, map[string]any{"deletes": []any{testenv.Tuple(doc, "viewer", "user:anne")}}))
		gone := waitAllowed(t, b, key, doc, "user:anne", false, time.Second)
		t.Logf("write seen on the other replica after %s, delete after %s", seen, gone)
	}
}

// TestPostgresRestartLosesNothing kills a private PostgreSQL (immediate
// shutdown, i.e. a crash) in the middle of a stream of writes and deletes,
// restarts it, and shows the server's in-memory state equals the database
// and every changelog row was applied exactly once.
func TestPostgresRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL")
	}
	t.Parallel()
	pg := testenv.StartPostgres(t)
	srv := testenv.StartServer(t, "SENTINEL_DATABASE_URL="+pg.URL(), "SENTINEL_ADMIN_KEY="+e2eAdmin)
	key := setup(t, srv)

	const n = 300
	failed := 0
	for i := 0; i < n; i++ {
		if i == n/3 {
			pg.Stop("immediate")
		}
		if i == n/2 {
			pg.Start()
		}
		// Each user gets a write; every third one is deleted again, so a
		// replayed or skipped row would leave a visible difference.
		doc := fmt.Sprintf("doc:%d", i%50)
		user := fmt.Sprintf("user:u%d", i)
		body := map[string]any{"writes": []any{testenv.Tuple(doc, "viewer", user)}}
		if i%3 == 2 {
			prev := fmt.Sprintf("user:u%d", i-1)
			body = map[string]any{"deletes": []any{testenv.Tuple(fmt.Sprintf("doc:%d", (i-1)%50), "viewer", prev)}, "on_missing": "ignore"}
		}
		r, err := testenv.DoErr("POST", srv.URL+"/v1/tuples", key, body)
		if err != nil || r.Status != 200 {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no write failed while PostgreSQL was down: the crash did not happen")
	}
	t.Logf("%d of %d writes failed while PostgreSQL was down", failed, n)

	// Wait until the server has caught up with the database.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := testenv.DoErr("GET", srv.URL+"/readyz", "", nil)
		if err == nil && r.Status == 200 && r.Body["lag"] == float64(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not catch up: %+v %v", r, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The database's tuples (SQL) ...
	inDB := map[string]bool{}
	cursor := ""
	for {
		r := testenv.Must(t, 200, testenv.Do(t, "GET", srv.URL+"/v1/tuples?page_size=1000&continuation_token="+cursor, key, nil))
		for _, x := range r.Body["tuples"].([]any) {
			tp := x.(map[string]any)
			inDB[tp["object"].(string)+"@"+tp["user"].(string)] = true
		}
		cursor, _ = r.Body["continuation_token"].(string)
		if cursor == "" {
			break
		}
	}
	// ... equal the engine's answers (in memory) for every tuple ever tried.
	for i := 0; i < n; i++ {
		doc, user := fmt.Sprintf("doc:%d", i%50), fmt.Sprintf("user:u%d", i)
		r := testenv.Must(t, 200, testenv.Do(t, "POST", srv.URL+"/v1/check", key, testenv.Tuple(doc, "viewer", user)))
		if want := inDB[doc+"@"+user]; r.Body["allowed"] != want {
			t.Errorf("check %s@%s = %v, database has it: %v", doc, user, r.Body["allowed"], want)
		}
	}

	// The changelog has strictly increasing revisions, and the server
	// applied exactly as many rows as were logged after its initial load.
	logged := 0
	after := ""
	for {
		r := testenv.Must(t, 200, testenv.Do(t, "GET", srv.URL+"/v1/changes?page_size=1000&after="+after, key, nil))
		changes := r.Body["changes"].([]any)
		logged += len(changes)
		if len(changes) == 0 {
			break
		}
		after = r.Body["continuation_token"].(string)
	}
	metrics := scrape(t, srv.URL)
	// The key creation also reached the changelog (not in /v1/changes).
	if applied := int(metrics["sentinel_datasync_rows_applied_total"]); applied != logged+1 {
		t.Fatalf("applied %d changelog rows, the log holds %d (+1 key row) after the load", applied, logged)
	}
}

func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = f
		}
	}
	return out
}

func sleep() { time.Sleep(10 * time.Millisecond) }
