package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

type pluginBuild struct {
	once         sync.Once
	path, sha256 string
	err          error
}

var (
	pluginsMu sync.Mutex
	pluginBin = map[string]*pluginBuild{}
)

// PluginBinary builds the verifier plugin ./plugins/<name> once per test
// process and returns its path and the hex SHA-256 to pin in config.
func PluginBinary(t testing.TB, name string) (path, sum string) {
	t.Helper()
	pluginsMu.Lock()
	b := pluginBin[name]
	if b == nil {
		b = &pluginBuild{}
		pluginBin[name] = b
	}
	pluginsMu.Unlock()
	b.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "sentinel-plugin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", b.path, "./plugins/"+name)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build plugin %s: %v\n%s", name, err, out)
			return
		}
		raw, err := os.ReadFile(b.path)
		if err != nil {
			b.err = err
			return
		}
		h := sha256.Sum256(raw)
		b.sha256 = hex.EncodeToString(h[:])
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path, b.sha256
}
