// Package sdk is what an identity provider verifier plugin is written
// with. A plugin is a small program whose main calls Serve:
//
//	package main
//
//	import (
//		"context"
//
//		"github.com/sentinel-auth/sentinel/plugins"
//		"github.com/sentinel-auth/sentinel/plugins/sdk"
//	)
//
//	type verifier struct{ /* settings */ }
//
//	func (v *verifier) Configure(settings []byte) error {
//		return sdk.DecodeSettings(settings, v) // and validate: an error refuses the start
//	}
//
//	func (v *verifier) Verify(ctx context.Context, token string, keys sdk.KeyFetcher) (plugins.Identity, error) {
//		jwks, err := keys.Fetch(ctx, "https://idp.example/jwks.json", false)
//		// … check the token …
//		return plugins.Identity{Issuer: "https://idp.example", Subject: sub}, nil
//	}
//
//	func main() { sdk.Serve(&verifier{}) }
//
// The contract:
//
//   - Sentinel starts the binary itself (never run it by hand), pinned by
//     the SHA-256 in its configuration, and talks to it over gRPC with
//     mutual TLS (hashicorp/go-plugin). The process sees only a few
//     environment variables (PATH, HOME, TMPDIR, TZ, SSL_CERT_*, proxies).
//   - Configure is called once, before any Verify, with the provider's
//     settings object as JSON. Reject unknown or invalid settings: an
//     error stops Sentinel's start with that message.
//   - Verify is called concurrently, with a context whose deadline is the
//     provider's timeout (5 s by default). Return an Identity with at least
//     Issuer and Subject set (Provider is filled in by Sentinel), or an
//     error. An error wrapping plugins.ErrInvalidToken means "this token
//     is not acceptable" and its message, minus that prefix, is shown to
//     the caller: say why (expired, wrong audience, …) without echoing the
//     token. Any other error means "could not verify" (IdP unreachable,
//     bug): Sentinel answers 503 or 401 and never accepts the token. A
//     panic is recovered and treated the same way.
//   - Keys: fetch JWKS documents through keys.Fetch rather than over HTTP
//     yourself, so Sentinel caches and rate-limits them for every replica.
//     Pass refresh=true when the token's kid is not in the document you
//     got (the IdP rotated its keys); only https URLs (or http to
//     loopback) are served.
//   - Write logs to stderr; Sentinel copies them into its own log.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/internal/wire"
)

// KeyFetcher gets JWKS documents from the host's cache. refresh asks for a
// fresh copy (the token names a kid the cached copy lacks); the host may
// answer from cache if it refreshed very recently.
type KeyFetcher interface {
	Fetch(ctx context.Context, jwksURL string, refresh bool) ([]byte, error)
}

// Verifier is what a plugin implements.
type Verifier interface {
	// Configure receives the provider's settings (a JSON object) once,
	// before any Verify.
	Configure(settings []byte) error
	// Verify checks a raw token and returns who it identifies.
	Verify(ctx context.Context, token string, keys KeyFetcher) (plugins.Identity, error)
}

// Healther is optionally implemented by a Verifier to report whether it
// can verify right now (e.g. discovery succeeded). Without it, a configured
// plugin is healthy.
type Healther interface {
	Health(ctx context.Context) error
}

// DecodeSettings decodes Configure's settings into v, refusing unknown
// fields so that a misspelt setting stops Sentinel's start instead of being
// silently ignored.
func DecodeSettings(settings []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(settings))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode settings: %w", err)
	}
	return nil
}

// Serve runs impl as a Sentinel verifier plugin until the host stops it.
func Serve(impl Verifier) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		Plugins:         plugin.PluginSet{wire.PluginName: &pluginGlue{impl: impl}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// pluginGlue is the plugin half of the go-plugin glue.
type pluginGlue struct {
	plugin.NetRPCUnsupportedPlugin
	impl Verifier
}

func (g *pluginGlue) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	wire.RegisterVerifier(s, &server{impl: g.impl, broker: broker})
	return nil
}

func (g *pluginGlue) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("the verifier client lives in the Sentinel host")
}

// server adapts a Verifier to the wire protocol.
type server struct {
	impl   Verifier
	broker *plugin.GRPCBroker

	mu   sync.RWMutex
	keys KeyFetcher // nil until configured
}

func (s *server) Configure(_ context.Context, in *wrapperspb.BytesValue) (*emptypb.Empty, error) {
	var req wire.ConfigureRequest
	if err := json.Unmarshal(in.GetValue(), &req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "decode configure request: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys != nil {
		return nil, status.Error(codes.FailedPrecondition, "already configured")
	}
	settings := []byte(req.Settings)
	if len(settings) == 0 {
		settings = []byte("{}")
	}
	if err := s.impl.Configure(settings); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "settings: %v", err)
	}
	conn, err := s.broker.Dial(req.KeySource)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "dial the host's key source: %v", err)
	}
	s.keys = wire.NewKeySourceClient(conn)
	return &emptypb.Empty{}, nil
}

func (s *server) configured() (KeyFetcher, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.keys == nil {
		return nil, status.Error(codes.FailedPrecondition, "plugin not configured")
	}
	return s.keys, nil
}

func (s *server) Verify(ctx context.Context, in *wrapperspb.StringValue) (out *wrapperspb.BytesValue, err error) {
	keys, err := s.configured()
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, status.Errorf(codes.Internal, "plugin panicked: %v", r)
		}
	}()
	id, err := s.impl.Verify(ctx, in.GetValue(), keys)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if id.Issuer == "" || id.Subject == "" {
		return nil, status.Error(codes.Internal, "verifier returned an identity without issuer or subject")
	}
	raw, err := json.Marshal(id)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode identity: %v", err)
	}
	return wrapperspb.Bytes(raw), nil
}

func (s *server) Health(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	if _, err := s.configured(); err != nil {
		return nil, err
	}
	if h, ok := s.impl.(Healther); ok {
		if err := h.Health(ctx); err != nil {
			return nil, status.Errorf(codes.Internal, "%v", err)
		}
	}
	return &emptypb.Empty{}, nil
}

// toStatus maps a Verify error onto the wire: a refusal carries its
// reason; everything else is Internal (or the context's own code), never
// Unavailable, which the host reserves for a dead plugin.
func toStatus(ctx context.Context, err error) error {
	if errors.Is(err, plugins.ErrInvalidToken) {
		reason := strings.TrimPrefix(err.Error(), plugins.ErrInvalidToken.Error()+": ")
		return status.Error(wire.InvalidTokenCode, reason)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return status.FromContextError(ctxErr).Err()
	}
	return status.Error(codes.Internal, fmt.Sprintf("%v", err))
}
