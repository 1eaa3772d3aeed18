package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// loginParts are the token parts proxy-mode login signs, checks and
// revokes with: the same as every other route's.
type loginParts struct {
	issuer   *token.Issuer
	verifier *token.Verifier
	deny     login.Denylist
}

// newLogin starts proxy-mode login when a provider of the providers file
// has a login block; nil otherwise. Each login block's provider must be a
// configured verifier plugin: its plugin verifies what the login gets
// from the IdP. It prunes expired login rows until ctx ends.
func newLogin(ctx context.Context, st store.Store, ex *exchange.Exchanger, members exchange.Membership, parts loginParts, cfg IdentityConfig, log *slog.Logger) (*login.Service, error) {
	if len(cfg.Logins) == 0 {
		return nil, nil
	}
	plugins := map[string]bool{}
	for _, p := range cfg.Providers {
		plugins[p.Name] = true
	}
	for _, l := range cfg.Logins {
		if !plugins[l.Provider] || ex == nil {
			return nil, fmt.Errorf("login block of provider %q: no verifier plugin of that name is configured", l.Provider)
		}
	}
	svc, err := login.New(ctx, login.Options{
		IssuerURL: cfg.IssuerURL, Providers: cfg.Logins, Store: st, SignIn: ex, Members: members,
		Issuer: parts.issuer, Verifier: parts.verifier, Deny: parts.deny, Skew: cfg.Skew, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	go svc.Run(ctx)
	return svc, nil
}
