package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
)

var (
	binDir   string
	buildMu  sync.Mutex
	builtBin = map[string]string{} // plugin name → path
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sentinel-plugins-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildPlugin builds ./<name> (once per test binary) and returns its path
// and hex SHA-256.
func buildPlugin(t testing.TB, name string) (path, sum string) {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	path, ok := builtBin[name]
	if !ok {
		path = filepath.Join(binDir, name)
		cmd := exec.Command("go", "build", "-o", path, "./"+name)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build plugin %s: %v\n%s", name, err, out)
		}
		builtBin[name] = path
	}
	return path, fileSHA256(t, path)
}

func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keySource is the test's plugins.KeySource: an HTTP GET whose answer is
// kept until a refresh is asked for (the real one is package cache). It
// records refresh requests and can be made to block until released or the
// call's context ends.
type keySource struct {
	mu        sync.Mutex
	docs      map[string][]byte
	refreshes atomic.Int64
	fetches   atomic.Int64
	gate      atomic.Pointer[chan struct{}] // non-nil: block until closed
	entered   chan struct{}                 // receives once per blocked call
}

func newKeySource() *keySource {
	return &keySource{entered: make(chan struct{}, 16), docs: map[string][]byte{}}
}

// block makes Fetch wait until the returned release func is called.
func (k *keySource) block() (release func()) {
	ch := make(chan struct{})
	k.gate.Store(&ch)
	var once sync.Once
	return func() { once.Do(func() { k.gate.Store(nil); close(ch) }) }
}

func (k *keySource) Fetch(ctx context.Context, url string, refresh bool) ([]byte, error) {
	k.fetches.Add(1)
	if refresh {
		k.refreshes.Add(1)
	}
	if g := k.gate.Load(); g != nil {
		k.entered <- struct{}{}
		select {
		case <-*g:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	k.mu.Lock()
	doc, ok := k.docs[url]
	k.mu.Unlock()
	if ok && !refresh {
		return doc, nil
	}
	doc, err := get(ctx, url)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.docs[url] = doc
	k.mu.Unlock()
	return doc, nil
}

func get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, res.StatusCode)
	}
	return io.ReadAll(res.Body)
}

// startHost starts a host for configs and closes it when the test ends.
func startHost(t testing.TB, keys plugins.KeySource, configs ...plugins.ProviderConfig) *plugins.Host {
	t.Helper()
	h, err := plugins.NewHost(context.Background(), configs, keys, testLogger(t))
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// oidcProvider configures the oidc plugin for idp under name.
func oidcProvider(t testing.TB, name string, idp *testidp.IdP) plugins.ProviderConfig {
	path, sum := buildPlugin(t, "oidc")
	return plugins.ProviderConfig{
		Name: name, Plugin: path, SHA256: sum,
		Settings: map[string]any{"issuer": idp.Issuer(), "client_ids": []string{idp.ClientID()}},
	}
}
