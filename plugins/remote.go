package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sentinel-auth/sentinel/plugins/internal/httpx"
	"github.com/sentinel-auth/sentinel/plugins/internal/wire"
)

// maxReasonLen bounds the refusal reason a plugin can put in an error.
const maxReasonLen = 300

// hostPlugin is the host half of the go-plugin glue: dispensing it starts
// the KeySource callback service on the broker and returns a remote.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	keys KeySource
}

var _ plugin.GRPCPlugin = (*hostPlugin)(nil)

func (p *hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("the verifier plugin is served by plugins/sdk, not by the host")
}

func (p *hostPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	id := broker.NextId()
	// Serves until the plugin client closes the broker.
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		wire.RegisterKeySource(s, keySourceServer{p.keys})
		return s
	})
	return &remote{client: wire.NewVerifierClient(conn), keySourceID: id}, nil
}

// keySourceServer answers a plugin's JWKS requests from the host's
// KeySource. Only URLs httpx.CheckURL accepts are fetched: a plugin cannot
// make the host fetch cleartext URLs from other machines.
type keySourceServer struct{ keys KeySource }

func (s keySourceServer) Fetch(ctx context.Context, in *wrapperspb.BytesValue) (*wrapperspb.BytesValue, error) {
	var req wire.FetchRequest
	if err := json.Unmarshal(in.GetValue(), &req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "decode fetch request: %v", err)
	}
	if _, err := httpx.CheckURL(req.URL); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "jwks url: %v", err)
	}
	body, err := s.keys.Fetch(ctx, req.URL, req.Refresh)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "fetch %s: %v", req.URL, err)
	}
	return wrapperspb.Bytes(body), nil
}

// remote is one running plugin seen through gRPC.
type remote struct {
	client      *wire.VerifierClient
	keySourceID uint32
}

func (r *remote) configure(ctx context.Context, settings json.RawMessage) error {
	return r.client.Configure(ctx, wire.ConfigureRequest{Settings: settings, KeySource: r.keySourceID})
}

func (r *remote) health(ctx context.Context) error { return r.client.Health(ctx) }

// verify calls the plugin. A refusal becomes ErrInvalidToken with the
// plugin's reason; anything else is returned as is (the caller fails
// closed). An identity is returned only with a nil error.
func (r *remote) verify(ctx context.Context, token string) (Identity, error) {
	raw, err := r.client.Verify(ctx, token)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == wire.InvalidTokenCode {
			return Identity{}, fmt.Errorf("%w: %s", ErrInvalidToken, truncate(st.Message(), maxReasonLen))
		}
		return Identity{}, err
	}
	var id Identity
	if err := json.Unmarshal(raw, &id); err != nil {
		return Identity{}, fmt.Errorf("decode identity from plugin: %w", err)
	}
	if id.Subject == "" || id.Issuer == "" {
		return Identity{}, errors.New("plugin returned an identity without issuer or subject")
	}
	return id, nil
}

// gone reports whether err says the plugin process or its connection is
// gone (the SDK never answers Unavailable itself).
func gone(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.Unavailable
}

// deadlineExceeded reports whether err is the plugin's answer that the
// call's deadline passed. gRPC sends the deadline to the plugin, whose
// clock may end the call a moment before the host's context reports it.
func deadlineExceeded(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.DeadlineExceeded
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
