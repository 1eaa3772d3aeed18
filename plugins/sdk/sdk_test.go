package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/internal/wire"
)

// fake is a Verifier whose Verify does what the token says.
type fake struct{}

func (fake) Configure([]byte) error { return nil }

func (fake) Verify(ctx context.Context, token string, _ KeyFetcher) (plugins.Identity, error) {
	switch token {
	case "ok":
		return plugins.Identity{Issuer: "https://idp", Subject: "alice"}, nil
	case "expired":
		return plugins.Identity{}, fmt.Errorf("%w: token expired", plugins.ErrInvalidToken)
	case "wrapped":
		return plugins.Identity{}, fmt.Errorf("idp: %w", plugins.ErrInvalidToken)
	case "down":
		return plugins.Identity{}, status.Error(codes.Unavailable, "IdP unreachable")
	case "no subject":
		return plugins.Identity{Issuer: "https://idp"}, nil
	case "panic":
		panic("boom")
	}
	return plugins.Identity{}, errors.New("unexpected token")
}

func TestServerVerify(t *testing.T) {
	s := &server{impl: fake{}, keys: wire.NewKeySourceClient(nil)}
	cases := []struct {
		token string
		code  codes.Code
		msg   string
	}{
		{"ok", codes.OK, ""},
		{"expired", wire.InvalidTokenCode, "token expired"},
		{"wrapped", wire.InvalidTokenCode, "idp: invalid identity token"},
		{"down", codes.Internal, ""}, // never Unavailable: that means "plugin gone" to the host
		{"no subject", codes.Internal, ""},
		{"panic", codes.Internal, ""},
	}
	for _, tc := range cases {
		t.Run(tc.token, func(t *testing.T) {
			out, err := s.Verify(context.Background(), wrapperspb.String(tc.token))
			st := status.Convert(err)
			if st.Code() != tc.code || (tc.msg != "" && st.Message() != tc.msg) {
				t.Fatalf("status (%s, %q), want (%s, %q)", st.Code(), st.Message(), tc.code, tc.msg)
			}
			if (out != nil) != (tc.code == codes.OK) {
				t.Fatalf("output %v with status %s", out, st.Code())
			}
		})
	}
}

func TestServerRefusesCallsBeforeConfigure(t *testing.T) {
	s := &server{impl: fake{}}
	if _, err := s.Verify(context.Background(), wrapperspb.String("ok")); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Verify before Configure: %v", err)
	}
	if _, err := s.Health(context.Background(), &emptypb.Empty{}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Health before Configure: %v", err)
	}
}

func TestToStatusKeepsContextErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := status.Code(toStatus(ctx, ctx.Err())); code != codes.Canceled {
		t.Fatalf("cancelled call mapped to %s", code)
	}
}
