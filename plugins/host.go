package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
)

// maxTokenLen bounds the raw tokens sent to plugins; real ID tokens are a
// few kilobytes.
const maxTokenLen = 64 << 10

// Host runs the configured verifier plugins, one process per provider, and
// routes Verify calls to them. It is safe for concurrent use.
type Host struct {
	providers map[string]*provider
}

// Status is one provider's state, for `sentinel plugins list`.
type Status struct {
	Name    string `json:"name"`
	Plugin  string `json:"plugin"`
	Healthy bool   `json:"healthy"`
	Error   string `json:"error,omitempty"`
}

// NewHost validates configs and starts every plugin: the binary must match
// its pinned SHA-256, complete go-plugin's handshake (gRPC only, automatic
// mutual TLS) and accept its settings. Any failure stops every plugin
// already started and returns the error, so a misconfigured provider
// refuses the server's start rather than failing later. keys serves JWKS
// documents to the plugins.
func NewHost(ctx context.Context, configs []ProviderConfig, keys KeySource, logger *slog.Logger) (*Host, error) {
	if keys == nil {
		return nil, errors.New("plugins: a KeySource is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	checked, err := checkAll(configs)
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	h := &Host{providers: make(map[string]*provider, len(checked))}
	for _, c := range checked {
		p := &provider{cfg: c, keys: keys, logger: logger}
		if _, err := p.get(ctx); err != nil {
			h.Close()
			return nil, fmt.Errorf("plugins: %w", err)
		}
		h.providers[c.Name] = p
	}
	return h, nil
}

// Verify verifies rawToken with the named provider's plugin. It returns
// ErrUnknownProvider for a name not configured, an error wrapping
// ErrInvalidToken (with the plugin's reason) for a token the plugin refuses,
// and a plain error for every other failure (plugin down, restarting, timed
// out, crashed mid-call): an Identity is returned only with a nil error.
// The returned Identity.Provider is the configured name.
func (h *Host) Verify(ctx context.Context, providerName, rawToken string) (Identity, error) {
	p, ok := h.providers[providerName]
	if !ok {
		return Identity{}, fmt.Errorf("%w: %q", ErrUnknownProvider, providerName)
	}
	switch {
	case rawToken == "":
		return Identity{}, fmt.Errorf("%w: empty token", ErrInvalidToken)
	case len(rawToken) > maxTokenLen:
		return Identity{}, fmt.Errorf("%w: token longer than %d bytes", ErrInvalidToken, maxTokenLen)
	}
	inst, err := p.get(ctx)
	if err != nil {
		return Identity{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	id, err := inst.remote.verify(cctx, rawToken)
	switch {
	case err == nil:
		id.Provider = p.cfg.Name
		return id, nil
	case errors.Is(err, ErrInvalidToken):
		return Identity{}, err
	case gone(err):
		p.discard(inst, err)
		return Identity{}, fmt.Errorf("provider %q: plugin failed during the call: %w", providerName, err)
	case ctx.Err() == nil && (cctx.Err() != nil || deadlineExceeded(err)) && !callerDeadlineFirst(ctx, cctx):
		return Identity{}, fmt.Errorf("provider %q: plugin did not answer within %s: %w", providerName, p.cfg.Timeout, err)
	default:
		return Identity{}, fmt.Errorf("provider %q: %w", providerName, err)
	}
}

// Providers reports every provider's state, sorted by name. Running
// plugins are asked for their health (bounded by each provider's timeout);
// stopped ones are not started.
func (h *Host) Providers(ctx context.Context) []Status {
	out := make([]Status, 0, len(h.providers))
	for _, p := range h.providers {
		out = append(out, p.status(ctx))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close stops every plugin process. Verify calls after Close fail.
func (h *Host) Close() {
	for _, p := range h.providers {
		p.close()
	}
}

// callerDeadlineFirst reports whether the caller's own deadline, not the
// provider's timeout, bounded the call.
func callerDeadlineFirst(ctx, call context.Context) bool {
	caller, ok := ctx.Deadline()
	ours, _ := call.Deadline()
	return ok && !caller.After(ours)
}
