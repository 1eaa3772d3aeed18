package plugins_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
)

type result struct {
	id  plugins.Identity
	err error
}

// failedClosed asserts r is a failure to verify: an error that is not a
// refusal, and no identity.
func failedClosed(t *testing.T, r result) {
	t.Helper()
	if r.err == nil || errors.Is(r.err, plugins.ErrInvalidToken) || r.id.Subject != "" {
		t.Fatalf("got (%+v, %v), want a plain error and no identity", r.id, r.err)
	}
}

func TestVerifyTimeoutCancelsTheCall(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	keys := newKeySource()
	cfg := oidcProvider(t, "corp", idp)
	cfg.Timeout = 300 * time.Millisecond
	h := startHost(t, keys, cfg)
	token := idp.IDToken(t, "alice")

	release := keys.block() // the key fetch hangs: the call must end at the timeout
	defer release()
	id, err := h.Verify(context.Background(), "corp", token)
	failedClosed(t, result{id, err})
	if !strings.Contains(err.Error(), "did not answer within 300ms") {
		t.Fatalf("error %q does not name the timeout", err)
	}
	release()
	if _, err := h.Verify(context.Background(), "corp", token); err != nil {
		t.Fatalf("after the slow call: %v", err)
	}
}

func TestPluginKilledMidRequestFailsClosedThenRestarts(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	keys := newKeySource()
	h := startHost(t, keys, oidcProvider(t, "corp", idp))
	token := idp.IDToken(t, "alice")
	pid := h.PluginPID(t, "corp")

	release := keys.block()
	defer release()
	done := make(chan result, 1)
	go func() {
		id, err := h.Verify(context.Background(), "corp", token)
		done <- result{id, err}
	}()
	<-keys.entered // the plugin is inside Verify, waiting for keys from the host
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	failedClosed(t, <-done)
	release()

	id, err := h.Verify(context.Background(), "corp", token)
	if err != nil {
		t.Fatalf("call after the crash: %v", err)
	}
	if id.Subject != "alice" {
		t.Fatalf("subject %q", id.Subject)
	}
	if newPID := h.PluginPID(t, "corp"); newPID == pid || newPID == 0 {
		t.Fatalf("plugin pid %d after restart, was %d", newPID, pid)
	}
}

func TestPluginKilledWhileIdleRestartsOnNextCall(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	h := startHost(t, newKeySource(), oidcProvider(t, "corp", idp))
	pid := h.PluginPID(t, "corp")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, h, "corp")
	if st := h.Providers(context.Background()); st[0].Healthy {
		t.Fatalf("status after the crash: %+v", st[0])
	}
	if _, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice")); err != nil {
		t.Fatalf("call after the crash: %v", err)
	}
	if st := h.Providers(context.Background()); !st[0].Healthy {
		t.Fatalf("status after the restart: %+v", st[0])
	}
}

func TestRestartRefusesAReplacedBinary(t *testing.T) {
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "alice"})
	cfg := oidcProvider(t, "corp", idp)
	copyPath := filepath.Join(t.TempDir(), "oidc")
	orig, err := os.ReadFile(cfg.Plugin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyPath, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Plugin = copyPath
	h := startHost(t, newKeySource(), cfg)

	// Replace the binary on disk (as an upgrade would), then crash the
	// running plugin.
	next := copyPath + ".new"
	if err := os.WriteFile(next, append(orig, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, copyPath); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(h.PluginPID(t, "corp"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, h, "corp")
	id, err := h.Verify(context.Background(), "corp", idp.IDToken(t, "alice"))
	failedClosed(t, result{id, err})
	if !strings.Contains(err.Error(), "does not match the configured") {
		t.Fatalf("error %q does not say the checksum is wrong", err)
	}
}

// waitExited waits until the host has seen the plugin's process exit
// (go-plugin reaps it in the background).
func waitExited(t *testing.T, h *plugins.Host, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !h.PluginExited(name) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %s still running 10 s after SIGKILL", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
