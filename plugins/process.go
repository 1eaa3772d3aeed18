package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	plugin "github.com/hashicorp/go-plugin"

	"github.com/sentinel-auth/sentinel/plugins/internal/wire"
)

// Restart backoff: the first restart after a crash is immediate; further
// restarts within stableAfter of the previous start wait backoffBase,
// doubling up to backoffMax. Calls during the wait fail (closed) at once.
const (
	backoffBase  = 250 * time.Millisecond
	backoffMax   = 30 * time.Second
	stableAfter  = time.Minute
	startTimeout = 10 * time.Second
)

// inheritedEnv lists the only host environment variables a plugin sees:
// what it needs to reach IdPs. Sentinel's own settings (database URL,
// admin key, …) never reach a plugin process.
var inheritedEnv = []string{
	"PATH", "HOME", "TMPDIR", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

// instance is one running plugin process.
type instance struct {
	client *plugin.Client
	remote *remote
}

// provider keeps one provider's plugin process running: it starts it,
// notices when it is gone and restarts it, with backoff, on the next call.
type provider struct {
	cfg    checked
	keys   KeySource
	logger *slog.Logger

	mu        sync.Mutex
	inst      *instance // nil when not running
	failures  int       // restarts since the last stable run
	lastStart time.Time
	notBefore time.Time // no start attempt before this
	lastErr   error     // why the last process ended or failed to start
	closed    bool
}

// get returns the running instance, starting one if there is none (or the
// last one exited) and the backoff allows it.
func (p *provider) get(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("provider %q: host is closed", p.cfg.Name)
	}
	if p.inst != nil && !p.inst.client.Exited() {
		return p.inst, nil
	}
	if p.inst != nil {
		p.dropLocked(errors.New("plugin process exited"))
	}
	if wait := time.Until(p.notBefore); wait > 0 {
		return nil, fmt.Errorf("provider %q: plugin restarting in %s after: %w", p.cfg.Name, wait.Round(time.Millisecond), p.lastErr)
	}
	inst, err := p.start(ctx)
	if err != nil {
		p.failures++
		p.lastErr = err
		p.notBefore = time.Now().Add(backoff(p.failures))
		return nil, err
	}
	p.inst = inst
	return inst, nil
}

// discard drops inst (if it is still the current one) after a call showed
// that its process or connection is gone; the next call restarts it.
func (p *provider) discard(inst *instance, why error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == inst {
		p.dropLocked(why)
	}
}

// dropLocked kills the current instance and schedules the restart.
func (p *provider) dropLocked(why error) {
	p.logger.Warn("identity provider plugin stopped; it restarts on the next call",
		"provider", p.cfg.Name, "plugin", p.cfg.path, "reason", why.Error())
	inst := p.inst
	p.inst = nil
	go inst.client.Kill() // may wait for a graceful exit; never under the lock
	if time.Since(p.lastStart) >= stableAfter {
		p.failures = 0
	}
	p.failures++
	p.lastErr = why
	p.notBefore = time.Now().Add(backoff(p.failures))
}

// backoff is the wait before restart attempt n (1 = first restart).
func backoff(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := backoffBase
	for i := 2; i < n && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// start launches the plugin binary (pinned by checksum), completes the
// handshake and configures it. On any failure the process is killed.
func (p *provider) start(ctx context.Context) (*instance, error) {
	p.lastStart = time.Now()
	cmd := exec.Command(p.cfg.path)
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		Plugins:          plugin.PluginSet{wire.PluginName: &hostPlugin{keys: p.keys}},
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: p.cfg.checksum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     startTimeout,
		Logger:           newHCLogger(p.logger.With("provider", p.cfg.Name)),
	})
	inst, err := p.connect(ctx, client)
	if err != nil {
		client.Kill()
		return nil, err
	}
	p.logger.Info("identity provider plugin started", "provider", p.cfg.Name, "plugin", p.cfg.path)
	return inst, nil
}

func (p *provider) connect(ctx context.Context, client *plugin.Client) (*instance, error) {
	rpc, err := client.Client()
	if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
		return nil, fmt.Errorf("provider %q: refusing to start %s: its sha256 does not match the configured %s",
			p.cfg.Name, p.cfg.path, p.cfg.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("provider %q: start plugin %s: %w", p.cfg.Name, p.cfg.path, err)
	}
	raw, err := rpc.Dispense(wire.PluginName)
	if err != nil {
		return nil, fmt.Errorf("provider %q: dispense verifier from %s: %w", p.cfg.Name, p.cfg.path, err)
	}
	r, ok := raw.(*remote)
	if !ok {
		return nil, fmt.Errorf("provider %q: plugin %s dispensed %T", p.cfg.Name, p.cfg.path, raw)
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if err := r.configure(cctx, p.cfg.settings); err != nil {
		return nil, fmt.Errorf("provider %q: configure plugin %s: %w", p.cfg.Name, p.cfg.path, err)
	}
	return &instance{client: client, remote: r}, nil
}

// close kills the running instance and refuses further calls.
func (p *provider) close() {
	p.mu.Lock()
	inst := p.inst
	p.inst = nil
	p.closed = true
	p.mu.Unlock()
	if inst != nil {
		inst.client.Kill()
	}
}

// status reports whether the plugin is running and answers Health.
func (p *provider) status(ctx context.Context) Status {
	st := Status{Name: p.cfg.Name, Plugin: p.cfg.path}
	p.mu.Lock()
	inst, lastErr := p.inst, p.lastErr
	if inst != nil && inst.client.Exited() {
		inst, lastErr = nil, errors.New("plugin process exited")
	}
	p.mu.Unlock()
	if inst == nil {
		st.Error = "not running; starts on the next call"
		if lastErr != nil {
			st.Error += ": " + lastErr.Error()
		}
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if err := inst.remote.health(ctx); err != nil {
		st.Error = fmt.Sprintf("health: %v", err)
		return st
	}
	st.Healthy = true
	return st
}
