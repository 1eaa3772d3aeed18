package plugins

import "testing"

// PluginPID returns the process id of the named provider's running
// plugin, or 0 when none runs (tests kill it to simulate a crash).
func (h *Host) PluginPID(t testing.TB, name string) int {
	t.Helper()
	p, ok := h.providers[name]
	if !ok {
		t.Fatalf("no provider %q", name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == nil {
		return 0
	}
	if rc := p.inst.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// PluginExited reports whether the named provider's plugin process has
// been seen to exit.
func (h *Host) PluginExited(name string) bool {
	p := h.providers[name]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inst == nil || p.inst.client.Exited()
}
