// Package identity is Sentinel's authentication half, put together: the
// signing keyring, token issuing and verification, the denylist and user
// status. Its Tokens type is what the API and the AuthZ exchange use; the
// parts live in the subpackages (keys, token, exchange, userstatus,
// servicekey, adminkey).
package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/token"
)

// Denylist records revoked token ids (package cache).
type Denylist interface {
	token.Denylist
	Deny(ctx context.Context, jti string, until time.Time) error
}

// Tokens issues, verifies and revokes Sentinel's JWTs.
type Tokens struct {
	issuer   *token.Issuer
	verifier *token.Verifier
	deny     Denylist
	skew     time.Duration
}

// NewTokens returns Tokens; skew must be the verifier's, so that a revoked
// token stays denied for as long as any verifier could still accept it.
func NewTokens(issuer *token.Issuer, verifier *token.Verifier, deny Denylist, skew time.Duration) *Tokens {
	if skew <= 0 {
		skew = token.DefaultSkew
	}
	return &Tokens{issuer: issuer, verifier: verifier, deny: deny, skew: skew}
}

// MintAuthz signs an authz token for an exchange grant.
func (t *Tokens) MintAuthz(ctx context.Context, g exchange.Grant) (string, time.Duration, error) {
	groups, actions := g.Groups, g.Actions
	if groups == nil {
		groups = []string{}
	}
	if actions == nil {
		actions = []string{}
	}
	iss, err := t.issuer.Issue(ctx, token.Authz, token.Claims{
		Subject: g.UserID, IdpSub: g.IdpSub, Service: g.Service,
		WorkspaceID: g.Workspace.ID, WorkspaceSlug: g.Workspace.Slug, WorkspaceRole: g.Workspace.Role,
		Groups: groups, Actions: actions,
	})
	if err != nil {
		return "", 0, err
	}
	return iss.Token, t.issuer.TTL(token.Authz), nil
}

// Introspect verifies a token of any kind and returns its claims as they
// appear in the token. Refusals wrap token.ErrInvalidToken.
func (t *Tokens) Introspect(ctx context.Context, raw string) (map[string]any, error) {
	c, err := t.verifier.VerifyAny(ctx, raw)
	if err != nil {
		return nil, err
	}
	return ClaimsMap(c), nil
}

// Revoke verifies the token and denylists its jti for as long as any
// verifier could accept it (its expiry plus the clock skew).
func (t *Tokens) Revoke(ctx context.Context, raw string) error {
	c, err := t.verifier.VerifyAny(ctx, raw)
	if err != nil {
		return err
	}
	if c.ID == "" {
		return fmt.Errorf("%w: the token has no jti", token.ErrInvalidToken)
	}
	if err := t.deny.Deny(ctx, c.ID, c.ExpiresAt.Add(t.skew)); err != nil {
		return fmt.Errorf("denylist token %s: %w", c.ID, err)
	}
	return nil
}

// ClaimsMap renders claims under their JWT names, only those of the
// token's kind.
func ClaimsMap(c token.Claims) map[string]any {
	m := map[string]any{
		"iss": c.Issuer, "sub": c.Subject, "jti": c.ID, "aud": c.Audience,
		"iat": c.IssuedAt.Unix(), "exp": c.ExpiresAt.Unix(), "type": string(c.Kind),
	}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	switch c.Kind {
	case token.Access:
		put("email", c.Email)
		put("name", c.Name)
		m["wid"], m["wslug"], m["wrole"], m["groups"] = c.WorkspaceID, c.WorkspaceSlug, c.WorkspaceRole, c.Groups
	case token.Refresh:
		m["fid"] = c.Family
	case token.Admin:
		put("email", c.Email)
		put("name", c.Name)
		m["admin"] = c.Admin
	case token.Authz:
		m["idp_sub"], m["svc"] = c.IdpSub, c.Service
		m["wid"], m["wslug"], m["wrole"] = c.WorkspaceID, c.WorkspaceSlug, c.WorkspaceRole
		m["groups"], m["actions"] = c.Groups, c.Actions
	}
	return m
}
