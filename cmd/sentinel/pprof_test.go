package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// TestPprofListener: --pprof-addr serves the profiler on its own loopback
// listener, not on the API's, and a non-loopback address is refused.
func TestPprofListener(t *testing.T) {
	t.Parallel()
	port := testenv.FreePort(t)
	env := []string{"SENTINEL_DATA_DIR=" + t.TempDir(), "SENTINEL_ADMIN_KEY=" + e2eAdmin,
		fmt.Sprintf("SENTINEL_PPROF_ADDR=127.0.0.1:%d", port)}
	srv := testenv.StartServer(t, env...)
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", port)); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("profiler index: %d %.200s", code, body)
	}
	if code, body := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?debug=1", port)); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("heap profile: %d %.200s", code, body)
	}
	if code, _ := get(srv.URL + "/debug/pprof/"); code != 404 {
		t.Fatalf("the API listener serves the profiler: %d", code)
	}

	for _, addr := range []string{"0.0.0.0:0", ":6060", "example.com:6060", "10.1.2.3:6060", "6060"} {
		out, err := run(t, []string{"SENTINEL_DATA_DIR=" + t.TempDir()}, "serve", "--addr", "127.0.0.1:0", "--pprof-addr", addr)
		if err == nil || !strings.Contains(out, "--pprof-addr") {
			t.Errorf("--pprof-addr %s: err %v, output:\n%s", addr, err, out)
		}
	}
}
