package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
)

// startACLBenchServer starts a server on the embedded database whose
// identity provider "bench" is a real OpenID provider on loopback, and
// returns the server and the provider's token URL: GET ?sub=S answers an
// ID token of S (made up as S@bench.test), as examples/devidp --any-user
// does.
func startACLBenchServer(t *testing.T) (*testenv.Server, string) {
	t.Helper()
	plugin, sum := testenv.PluginBinary(t, "oidc")
	idp := testidp.Start(t)
	idp.Handle("/dev/token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := r.URL.Query().Get("sub")
		idp.AddUser(testidp.User{Subject: sub, Email: sub + "@bench.test", EmailVerified: true, Name: sub})
		tok, err := idp.Token(sub)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, tok)
	}))
	dir := t.TempDir()
	providers := filepath.Join(dir, "providers.yaml")
	yml := fmt.Sprintf("providers:\n  - name: bench\n    plugin: %s\n    sha256: %s\n    timeout: 10s\n    settings:\n      issuer: %s\n      client_ids: [%s]\n",
		plugin, sum, idp.Issuer(), idp.ClientID())
	if err := os.WriteFile(providers, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testenv.StartServer(t, "SENTINEL_DATA_DIR="+dir, "SENTINEL_ADMIN_KEY="+e2eAdmin, "SENTINEL_PROVIDERS_FILE="+providers)
	return srv, idp.Issuer() + "/dev/token"
}

var (
	permCheckRe   = regexp.MustCompile(`(?m)^permissions/check\s+(\d+) requests, throughput [\d.]+ req/s \((\d+) checks/s\)$`)
	accessibleRe  = regexp.MustCompile(`(?m)^accessible (\S+)\s+(\d+) requests, throughput [\d.]+ req/s\n\s+latency p50 [\d.]+ms.*\n\s+([\d.]+) ids per answer; (\d+) answers differ from the dataset's answer$`)
	zeroErrorsRe  = regexp.MustCompile(`(?m)^total\s+\d+ requests, throughput [\d.]+ req/s, 0 errors$`)
	registeredRe  = regexp.MustCompile(`(?m)^registered (\d+) resources \(POST /permissions/register\) and (\d+) shares`)
	measuredAsRe  = regexp.MustCompile(`(?m)^measuring as (\d+) users`)
	aclSplitRe    = regexp.MustCompile(`(?m)^\s+allowed (\d+) \([\d.]+%\), denied (\d+) \([\d.]+%\); (\d+) differ from the dataset's answer$`)
	aclMembersRe  = regexp.MustCompile(`(?m)^members: (\d+) added, (\d+) already there`)
	aclSignedInRe = regexp.MustCompile(`(?m)^signed in (\d+) users`)
)

// TestBenchACLModes runs the ACL modes against a real server with a small
// dataset (3 workspaces of 6 members, 300 resources): the first run loads
// it through the server's routes and drives POST /permissions/check, and
// every one of its checks must agree with the original's rules evaluated
// on the dataset; the second reuses the data (--skip-load) and drives
// POST /permissions/accessible, whose answers must be the dataset's ids
// for viewers and editors and the admins' full access.
func TestBenchACLModes(t *testing.T) {
	t.Parallel()
	srv, tokenURL := startACLBenchServer(t)
	common := []string{"bench", "--url", srv.URL, "--admin-key", e2eAdmin, "--idp-token-url", tokenURL, "--provider", "bench",
		"--workspaces", "3", "--members", "6", "--resources", "300", "--seed", "7", "--workers", "2"}

	out, err := run(t, nil, append(common, "--mode", "permissions-check", "--duration", "2s")...)
	t.Logf("permissions-check:\n%s", out)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	if m := aclSignedInRe.FindStringSubmatch(out); m == nil || m[1] != "18" {
		t.Errorf("want 18 users signed in")
	}
	// 3 × 5 non-owners, plus each workspace's guest.
	if m := aclMembersRe.FindStringSubmatch(out); m == nil || m[1] != "18" || m[2] != "0" {
		t.Errorf("want 18 members added by the CSV import")
	}
	m := registeredRe.FindStringSubmatch(out)
	if m == nil || m[1] != "300" {
		t.Fatalf("want 300 resources registered")
	}
	if shares, _ := strconv.Atoi(m[2]); shares < 30 || shares > 90 { // 20% of 300, drawn
		t.Errorf("%d shares: want about 60", shares)
	}
	// Every member of the 3 workspaces and the 3 guests.
	if m := measuredAsRe.FindStringSubmatch(out); m == nil || m[1] != "21" {
		t.Errorf("want 21 measured users")
	}
	if m := permCheckRe.FindStringSubmatch(out); m == nil || m[1] == "0" {
		t.Fatalf("no permissions/check throughput line")
	}
	split := aclSplitRe.FindStringSubmatch(out)
	if split == nil {
		t.Fatalf("no allowed/denied line")
	}
	allowed, _ := strconv.Atoi(split[1])
	denied, _ := strconv.Atoi(split[2])
	if allowed == 0 || denied == 0 || (allowed+denied)%100 != 0 || split[3] != "0" {
		t.Errorf("allowed %d, denied %d, %s differ: want both, in requests of 100, and none differing", allowed, denied, split[3])
	}
	if !zeroErrorsRe.MatchString(out) {
		t.Errorf("errors reported")
	}
	// The server holds what the tool says it registered.
	r := testenv.Must(t, 200, testenv.Do(t, "GET", srv.URL+"/admin/permissions?service_name=bench&page_size=1", e2eAdmin, nil))
	if total, _ := r.Body["total"].(float64); total != 300 {
		t.Errorf("GET /admin/permissions: total %v, want 300", r.Body["total"])
	}

	out, err = run(t, nil, append(common, "--mode", "accessible", "--duration", "3s", "--skip-load")...)
	t.Logf("accessible:\n%s", out)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	if strings.Contains(out, "registered ") || !strings.Contains(out, `service "bench" exists`) {
		t.Errorf("the second run registered resources again or created the service again")
	}
	if m := aclMembersRe.FindStringSubmatch(out); m == nil || m[1] != "0" || m[2] != "18" {
		t.Errorf("the second run's CSV import: want 0 added, 18 already there")
	}
	got := map[string]bool{}
	for _, m := range accessibleRe.FindAllStringSubmatch(out, -1) {
		got[m[1]] = true
		ids, _ := strconv.ParseFloat(m[3], 64)
		switch {
		case m[2] == "0":
			t.Errorf("accessible %s: no request", m[1])
		case m[4] != "0":
			t.Errorf("accessible %s: %s answers differ from the dataset", m[1], m[4])
		case m[1] == "admin/no-limit" && ids != 0:
			t.Errorf("admin without limit: %v ids per answer, want none (has_full_access)", ids)
		case m[1] != "admin/no-limit" && ids == 0:
			t.Errorf("accessible %s: no ids", m[1])
		}
	}
	for _, k := range []string{"viewer/view", "viewer/edit", "editor/view", "editor/edit", "admin/limit=100", "admin/no-limit"} {
		if !got[k] {
			t.Errorf("no section for accessible %s", k)
		}
	}
	if !zeroErrorsRe.MatchString(out) {
		t.Errorf("errors reported")
	}
}
