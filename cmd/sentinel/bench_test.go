package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

var (
	throughputRe  = regexp.MustCompile(`(?m)^check\s+(\d+) requests, throughput ([\d.]+) req/s$`)
	percentilesRe = regexp.MustCompile(`(?m)^\s+latency p50 [\d.]+ms\s+p90 [\d.]+ms\s+p99 [\d.]+ms\s+max [\d.]+ms$`)
	splitRe       = regexp.MustCompile(`(?m)^\s+allowed (\d+) \([\d.]+%\), denied (\d+) \([\d.]+%\); (\d+) differ`)
)

// TestBenchCommand runs `sentinel bench` against a real server on the
// embedded SQLite database: it creates the service, loads 2,000 generated
// tuples, drives checks for two seconds and reports throughput,
// percentiles and the allowed/denied split; a second run reuses the
// service (a new key) without loading and drives checks and lists.
func TestBenchCommand(t *testing.T) {
	t.Parallel()
	srv := testenv.StartServer(t, "SENTINEL_DATA_DIR="+t.TempDir(), "SENTINEL_ADMIN_KEY="+e2eAdmin)
	out, err := run(t, nil, "bench", "--url", srv.URL, "--admin-key", e2eAdmin,
		"--tuples", "2000", "--duration", "2s", "--workers", "4")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	t.Logf("first run:\n%s", out)
	for _, want := range []string{`created service "bench"`, "loaded ", "applied: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	m := throughputRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no check throughput line:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Fatalf("no check succeeded:\n%s", out)
	}
	if rate, _ := strconv.ParseFloat(m[2], 64); rate <= 0 {
		t.Fatalf("throughput %s:\n%s", m[2], out)
	}
	if !percentilesRe.MatchString(out) {
		t.Fatalf("no percentile line:\n%s", out)
	}
	split := splitRe.FindStringSubmatch(out)
	if split == nil {
		t.Fatalf("no allowed/denied line:\n%s", out)
	}
	allowed, _ := strconv.Atoi(split[1])
	denied, _ := strconv.Atoi(split[2])
	if allowed == 0 || denied == 0 {
		t.Errorf("allowed %d, denied %d: want both", allowed, denied)
	}
	if !strings.Contains(out, ", 0 errors") {
		t.Errorf("errors reported:\n%s", out)
	}

	out, err = run(t, nil, "bench", "--url", srv.URL, "--admin-key", e2eAdmin,
		"--tuples", "2000", "--duration", "1s", "--workers", "2", "--skip-load", "--mode", "mixed")
	if err != nil {
		t.Fatalf("second bench: %v\n%s", err, out)
	}
	t.Logf("second run:\n%s", out)
	if !strings.Contains(out, `service "bench" exists: issued key`) || strings.Contains(out, "loaded ") {
		t.Errorf("second run did not reuse the service without loading:\n%s", out)
	}
	if !throughputRe.MatchString(out) || !regexp.MustCompile(`(?m)^list\s+\d+ requests`).MatchString(out) {
		t.Errorf("second run lacks the check or list lines:\n%s", out)
	}
}

// TestBenchRefusesRemote: the load tool only drives a server on this
// machine.
func TestBenchRefusesRemote(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://example.com:9003", "http://10.0.0.1:9003"} {
		out, err := run(t, nil, "bench", "--url", u, "--key", "sk_x", "--duration", "1s")
		if err == nil || !strings.Contains(out, "only drives a server on this machine") {
			t.Errorf("bench --url %s: %v\n%s", u, err, out)
		}
	}
}
