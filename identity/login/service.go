package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// Errors of the flows; the API maps each to a status code. Messages after
// them are safe to show the caller.
var (
	// ErrUnknownProvider: no provider of that name has a login block.
	ErrUnknownProvider = errors.New("unknown login provider")
	// ErrInvalidRequest: a login request the client app got wrong
	// (client_id, redirect_uri, PKCE, a missing field).
	ErrInvalidRequest = errors.New("invalid login request")
	// ErrInvalidState: the callback's state is unknown, used, expired,
	// or of another flow or provider.
	ErrInvalidState = errors.New("invalid or expired login state")
	// ErrInvalidCode: the one-time code is unknown, used or expired.
	ErrInvalidCode = errors.New("invalid or expired code")
	// ErrCodeVerifier: the PKCE code_verifier does not match the code.
	ErrCodeVerifier = errors.New("invalid code_verifier")
	// ErrNotMember: the user is not a member of the workspace.
	ErrNotMember = exchange.ErrNotMember
	// ErrInactive: the user is deactivated.
	ErrInactive = exchange.ErrInactive
	// ErrInvalidToken: a Sentinel token (refresh, access, admin) was
	// refused: forged, expired, revoked, reused, or of a user who may no
	// longer use it.
	ErrInvalidToken = errors.New("invalid token")
	// ErrNotAdmin: the user who logged in at the admin login is not an
	// administrator (or no longer is).
	ErrNotAdmin = errors.New("not an administrator")
	// ErrLoginFailed: the IdP denied the login, or its identity was
	// refused (unverified email, wrong nonce, an email that belongs to
	// another identity's account).
	ErrLoginFailed = errors.New("login failed")
)

// SignIner verifies an IdP token and provisions its user
// (exchange.Exchanger.SignIn).
type SignIner interface {
	SignIn(ctx context.Context, provider, rawToken string, check func(plugins.Identity) error) (store.User, plugins.Identity, error)
}

// Issuer signs Sentinel's tokens (*token.Issuer).
type Issuer interface {
	Issue(ctx context.Context, k token.Kind, c token.Claims) (token.Issued, error)
	TTL(k token.Kind) time.Duration
}

// Verifier verifies Sentinel's tokens (*token.Verifier).
type Verifier interface {
	Verify(ctx context.Context, raw string, k token.Kind) (token.Claims, error)
}

// Denylist revokes token ids (package cache).
type Denylist interface {
	Deny(ctx context.Context, jti string, until time.Time) error
}

// Store is what the flows read and write (store.Store).
type Store interface {
	store.LoginStore
	ClientApp(ctx context.Context, id string) (store.ClientApp, error)
	ClientApps(ctx context.Context) ([]store.ClientApp, error)
	ServiceApps(ctx context.Context) (map[string]store.ServiceApp, error)
	UserByID(ctx context.Context, id string) (store.User, error)
}

// Options wires a Service. Every field but the TTLs, Now, HTTPClient,
// Getenv and Logger is required.
type Options struct {
	// IssuerURL is Sentinel's public base URL: the IdP redirect URIs are
	// under it (<IssuerURL>/auth/callback/<provider>).
	IssuerURL string
	Providers []Config
	Store     Store
	SignIn    SignIner
	Members   exchange.Membership
	Issuer    Issuer
	Verifier  Verifier
	Deny      Denylist
	// Skew is the verifiers' clock skew: a revoked token stays denied
	// until its expiry plus Skew.
	Skew time.Duration
	// StateTTL bounds a login at the IdP (10m); CodeTTL the one-time
	// code's life (5m, COMPAT.md).
	StateTTL, CodeTTL time.Duration
	// PruneEvery is how often Run removes expired rows (10m).
	PruneEvery time.Duration
	Now        func() time.Time
	HTTPClient *http.Client
	Getenv     func(string) string
	Logger     *slog.Logger
}

// Service runs the login flows. Safe for concurrent use.
type Service struct {
	o       Options
	base    string
	clients map[string]*client
}

// New validates the login blocks and builds each provider's OAuth client
// (an OIDC provider's discovery document is fetched now).
func New(ctx context.Context, o Options) (*Service, error) {
	switch {
	case o.IssuerURL == "":
		return nil, errors.New("login: the issuer URL is required")
	case o.Store == nil || o.SignIn == nil || o.Members == nil || o.Issuer == nil || o.Verifier == nil || o.Deny == nil:
		return nil, errors.New("login: store, sign-in, membership, token issuer, verifier and denylist are required")
	}
	if o.StateTTL <= 0 {
		o.StateTTL = 10 * time.Minute
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 5 * time.Minute
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = 10 * time.Minute
	}
	if o.Skew <= 0 {
		o.Skew = token.DefaultSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: idpTimeout}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := CheckConfigs(o.Providers, o.Getenv); err != nil {
		return nil, err
	}
	s := &Service{o: o, base: strings.TrimSuffix(o.IssuerURL, "/"), clients: map[string]*client{}}
	for _, c := range o.Providers {
		r, _ := c.check(o.Getenv) // checked above
		cl, err := newClient(ctx, r, o.HTTPClient)
		if err != nil {
			return nil, err
		}
		s.clients[c.Provider] = cl
	}
	return s, nil
}

// Providers lists the providers a user can log in with, by name.
func (s *Service) Providers() []string {
	out := make([]string, 0, len(s.clients))
	for name := range s.clients {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func (s *Service) client(provider string) (*client, error) {
	c, ok := s.clients[provider]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProvider, provider)
	}
	return c, nil
}

// Run removes expired login states, codes and refresh families every
// PruneEvery until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.PruneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.o.Store.PruneLogin(ctx, s.o.Now()); err != nil {
				s.o.Logger.Warn("prune expired login state", "err", err)
			} else if n > 0 {
				s.o.Logger.Debug("pruned expired login state", "rows", n)
			}
		}
	}
}
