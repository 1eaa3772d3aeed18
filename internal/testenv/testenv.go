// Package testenv starts the real processes that end-to-end tests drive:
// the sentinel binary and a private PostgreSQL server that a test may kill.
package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Unavailable fails the test under CI (where everything must run) and
// skips it elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/sentinel once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "sentinel-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sentinel")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/sentinel")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Server is a running `sentinel serve` process.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	logs *strings.Builder
	done chan struct{} // closed when the process has exited
}

// TestMasterKey is the master key of test servers (SENTINEL_MASTER_KEY):
// one value, so that replicas sharing a database open each other's
// signing keys.
const TestMasterKey = "c2VudGluZWwtdGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGU="

// StartServer runs `sentinel serve` with the given environment (added to
// the test's) on a free port and waits until /healthz answers.
func StartServer(t testing.TB, env ...string) *Server {
	t.Helper()
	port := FreePort(t)
	cmd := exec.Command(Binary(t), "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--log-format", "text")
	cmd.Env = append(append(os.Environ(), "SENTINEL_MASTER_KEY="+TestMasterKey), env...)
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: logs}, &lockedWriter{w: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("server %s log:\n%s", s.URL, s.Logs())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(s.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("server exited at start:\n%s", s.Logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start:\n%s", s.Logs())
	return nil
}

// PID is the server process's id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Logs returns what the process printed so far.
func (s *Server) Logs() string { return s.logs.String() }

// Stop ends the process (SIGTERM, then SIGKILL).
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Postgres is a private PostgreSQL server in a temporary directory.
type Postgres struct {
	Port int
	bin  string
	dir  string
	asPG bool
	t    testing.TB
}

// StartPostgres initializes and starts a private PostgreSQL server (trust
// auth, user postgres). As root it runs the server as the postgres user.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		Unavailable(t, "no PostgreSQL server binaries under /usr/lib/postgresql")
	}
	p := &Postgres{Port: FreePort(t), bin: filepath.Dir(bins[len(bins)-1]), t: t}
	base, err := os.MkdirTemp("", "sentinel-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	p.dir = filepath.Join(base, "data")
	if err := os.Mkdir(p.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Unavailable(t, "running as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.asPG = true
	}
	if out, err := p.run("initdb", "-D", p.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Start()
	t.Cleanup(func() { p.Stop("fast") })
	return p
}

func (p *Postgres) run(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, tool)
	if p.asPG {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// URL is the connection URL of the server's postgres database.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// Start starts the server and waits until it accepts connections.
func (p *Postgres) Start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", p.Port, p.dir)
	cmd := p.run("pg_ctl", "-D", p.dir, "-o", opts, "-l", filepath.Join(p.dir, "server.log"), "-w", "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// Stop stops the server; mode "immediate" is a crash (no clean shutdown).
func (p *Postgres) Stop(mode string) {
	_ = p.run("pg_ctl", "-D", p.dir, "-m", mode, "-w", "stop").Run()
}
