// Package plugins defines the contract between Sentinel and its identity
// provider verifier plugins, and hosts those plugins (hashicorp/go-plugin
// over gRPC). A plugin turns a raw IdP token into a verified Identity, or
// refuses it.
package plugins

import (
	"context"
	"errors"
)

// Identity is what a verifier returns for a token it accepts.
type Identity struct {
	Provider      string         `json:"provider"` // the configured provider name
	Issuer        string         `json:"issuer"`
	Subject       string         `json:"subject"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name"`
	Picture       string         `json:"picture"`
	Claims        map[string]any `json:"claims"`
}

// Verifier verifies raw IdP tokens.
type Verifier interface {
	Verify(ctx context.Context, rawToken string) (Identity, error)
}

// KeySource gives plugins the IdPs' JWKS documents. The host serves it to
// every plugin over go-plugin's broker, so keys are fetched, cached and
// rate-limited in one place (package cache) rather than in each plugin
// process. refresh is true when the plugin saw a key id the cached document
// lacks (the IdP rotated its keys); the source decides whether to refetch.
type KeySource interface {
	Fetch(ctx context.Context, jwksURL string, refresh bool) ([]byte, error)
}

// Errors of Verify; callers test with errors.Is. Every other error (plugin
// crashed, timed out, misconfigured) is a failure to verify: the caller
// fails closed.
var (
	// ErrInvalidToken: the token is not acceptable (bad signature,
	// expired, wrong issuer or audience, disallowed algorithm, …). The
	// wrapped message says why and is safe to show the caller.
	ErrInvalidToken = errors.New("invalid identity token")
	// ErrUnknownProvider: no provider of that name is configured.
	ErrUnknownProvider = errors.New("unknown identity provider")
)
