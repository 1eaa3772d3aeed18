package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), args...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var keyRe = regexp.MustCompile(`key:\s+(sk_[A-Za-z0-9_-]{43})`)

// TestAdminCLIAndRestart: keys made by the CLI work on a server using the
// same embedded database (configured through SENTINEL_DATA_DIR), rotation and
// revocation reach the running server, and data survives a restart.
func TestAdminCLIAndRestart(t *testing.T) {
	t.Parallel()
	env := []string{"SENTINEL_DATA_DIR=" + t.TempDir(), "SENTINEL_ADMIN_KEY=" + e2eAdmin}
	out, err := run(t, env, "migrate")
	if err != nil || !strings.Contains(out, "sqlite") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err = run(t, env, "admin", "create-service", "docs")
	if err != nil {
		t.Fatalf("create-service: %v\n%s", err, out)
	}
	m := keyRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no key printed:\n%s", out)
	}
	key := m[1]
	if out, err := run(t, env, "admin", "create-service", "Bad Name"); err == nil {
		t.Fatalf("invalid service name accepted:\n%s", out)
	}
	if out, err := run(t, env, "admin", "create-service", "docs"); err == nil {
		t.Fatalf("duplicate service accepted:\n%s", out)
	}

	srv := testenv.StartServer(t, env...)
	testenv.Must(t, 201, testenv.Do(t, "PUT", srv.URL+"/v1/model", key, map[string]any{"dsl": e2eModel}))
	testenv.Must(t, 200, testenv.Do(t, "POST", srv.URL+"/v1/tuples", key, map[string]any{"writes": []any{testenv.Tuple("doc:1", "viewer", "user:anne")}}))

	// Rotate with no grace: the old key stops, the new one works.
	out, err = run(t, env, "admin", "rotate-key", "docs", "--grace", "0s")
	if err != nil {
		t.Fatalf("rotate-key: %v\n%s", err, out)
	}
	newKey := keyRe.FindStringSubmatch(out)[1]
	waitStatus(t, srv.URL+"/v1/tuples", key, 401)
	testenv.Must(t, 200, testenv.Do(t, "GET", srv.URL+"/v1/tuples", newKey, nil))

	// Restart: model, tuples and keys are all still there.
	srv.Stop()
	srv = testenv.StartServer(t, env...)
	r := testenv.Must(t, 200, testenv.Do(t, "POST", srv.URL+"/v1/check", newKey, testenv.Tuple("doc:1", "viewer", "user:anne")))
	if r.Body["allowed"] != true {
		t.Fatalf("after restart: %s", r.Raw)
	}

	// Revoke through the CLI while the server runs.
	out, err = run(t, env, "admin", "list-keys", "docs")
	if err != nil {
		t.Fatalf("list-keys: %v\n%s", err, out)
	}
	var activeID string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(line), "true") {
			activeID = strings.Fields(line)[0]
		}
	}
	if out, err := run(t, env, "admin", "revoke-key", "docs", activeID); err != nil {
		t.Fatalf("revoke-key: %v\n%s", err, out)
	}
	waitStatus(t, srv.URL+"/v1/tuples", newKey, 401)
	if out, err := run(t, env, "admin", "revoke-key", "docs", "no-such-key"); err == nil {
		t.Fatalf("revoking an unknown key succeeded:\n%s", out)
	}

	// The commands' changes are in the activity log, as the API's are
	// (newest first; the refused revocation recorded nothing).
	a := testenv.Must(t, 200, testenv.Do(t, "GET", srv.URL+"/v1/admin/activity?target_type=service", e2eAdmin, nil))
	var actions []string
	for _, it := range a.Body["items"].([]any) {
		item := it.(map[string]any)
		if item["actor_type"] != "admin" || item["actor_label"] != "command line (sentinel admin)" {
			t.Errorf("entry %v: not by the command line", item)
		}
		actions = append(actions, item["action"].(string))
	}
	if want := []string{"service.key_revoked", "service.key_rotated", "service.created"}; strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Errorf("activity of the commands = %v, want %v", actions, want)
	}
}

// waitStatus polls until GET url answers status (the server learns of key
// changes made by another process through the changelog).
func waitStatus(t *testing.T, url, key string, status int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if testenv.Do(t, "GET", url, key, nil).Status == status {
			return
		}
		sleep()
	}
	t.Fatalf("GET %s never answered %d", url, status)
}

func TestModelCompile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := dir + "/good.fga"
	bad := dir + "/bad.fga"
	writeFile(t, good, "model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user, group#member]\n")
	writeFile(t, bad, "model\n  schema 1.1\ntype user\n  relations\n    define viewer: [nobody]\n")
	out, err := run(t, nil, "model", "compile", good)
	if err != nil || !strings.Contains(out, "package sentinel.model") || !strings.Contains(out, "group#member") {
		t.Fatalf("compile: %v\n%s", err, out)
	}
	out, err = run(t, nil, "model", "compile", bad)
	if err == nil || !strings.Contains(out, "line 5") {
		t.Fatalf("an invalid model must fail with its line: %v\n%s", err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
