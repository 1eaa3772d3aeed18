package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// IdPVerifier verifies IdP tokens (plugins.Host).
type IdPVerifier interface {
	Verify(ctx context.Context, provider, rawToken string) (plugins.Identity, error)
}

// Identities lists a user's linked identities (store.Store).
type Identities interface {
	IdentitiesOf(ctx context.Context, userID string) ([]store.Identity, error)
}

// Authenticator authenticates requests made on behalf of a user, the way
// the original Sentinel's user routes do: either a Sentinel access (or
// authz) token as the bearer, or the dual-token pair — the user's own IdP
// token as the bearer plus an authz token in X-Authz-Token, bound by the
// authz token's idp_sub. Every failure wraps token.ErrInvalidToken except
// a failure to check (token.ErrCheckFailed, or the IdP plugin down).
type Authenticator struct {
	verifier   *token.Verifier
	idp        IdPVerifier // nil without providers: the pair is refused
	identities Identities
}

// NewAuthenticator returns an Authenticator; idp may be nil.
func NewAuthenticator(v *token.Verifier, idp IdPVerifier, ids Identities) *Authenticator {
	return &Authenticator{verifier: v, idp: idp, identities: ids}
}

// Authenticate checks a request's credentials: bearer is the
// Authorization bearer token, authz the X-Authz-Token header.
func (a *Authenticator) Authenticate(ctx context.Context, bearer, authz string) (token.Claims, error) {
	if bearer == "" {
		return token.Claims{}, fmt.Errorf("%w: missing bearer token", token.ErrInvalidToken)
	}
	if authz == "" {
		c, err := a.verifier.VerifyAny(ctx, bearer)
		if err != nil {
			return token.Claims{}, err
		}
		if c.Kind != token.Access && c.Kind != token.Authz {
			return token.Claims{}, fmt.Errorf("%w: a %s token does not authenticate a user request", token.ErrInvalidToken, c.Kind)
		}
		return c, nil
	}
	c, err := a.verifier.Verify(ctx, authz, token.Authz)
	if err != nil {
		return token.Claims{}, err
	}
	if err := a.bound(ctx, c, bearer); err != nil {
		return token.Claims{}, err
	}
	return c, nil
}

// bound verifies the IdP token through the provider of the user's identity
// named by idp_sub, and requires that it is that identity's token.
func (a *Authenticator) bound(ctx context.Context, c token.Claims, idpToken string) error {
	if a.idp == nil {
		return fmt.Errorf("%w: no identity provider is configured to verify the IdP token", token.ErrInvalidToken)
	}
	ids, err := a.identities.IdentitiesOf(ctx, c.Subject)
	if err != nil {
		return fmt.Errorf("%w: identities of user %s: %w", token.ErrCheckFailed, c.Subject, err)
	}
	refused := fmt.Errorf("%w: the authz token's idp_sub is not an identity of its user", token.ErrInvalidToken)
	// Subjects are unique per provider only: try each provider that knows
	// this subject for the user.
	for _, id := range ids {
		if id.Subject != c.IdpSub {
			continue
		}
		got, err := a.idp.Verify(ctx, id.Provider, idpToken)
		switch {
		case errors.Is(err, plugins.ErrInvalidToken):
			refused = fmt.Errorf("%w: IdP token: %w", token.ErrInvalidToken, err)
		case err != nil:
			return fmt.Errorf("%w: verify IdP token: %w", token.ErrCheckFailed, err)
		case got.Subject != c.IdpSub:
			refused = fmt.Errorf("%w: the IdP token is not the one the authz token was issued for", token.ErrInvalidToken)
		default:
			return nil
		}
	}
	return refused
}
