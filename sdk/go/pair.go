package sentinel

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
)

// newIdPVerifier discovers the IdP and returns a verifier of its ID tokens
// for the app's client id.
func newIdPVerifier(ctx context.Context, opts VerifierOptions) (*oidc.IDTokenVerifier, error) {
	if opts.IdPIssuer == "" || opts.IdPClientID == "" {
		return nil, errors.New("IdPIssuer and IdPClientID go together: set both or neither")
	}
	ctx = oidc.ClientContext(ctx, opts.HTTPClient)
	p, err := oidc.NewProvider(ctx, opts.IdPIssuer)
	if err != nil {
		return nil, fmt.Errorf("discover IdP %s: %w", opts.IdPIssuer, err)
	}
	return p.VerifierContext(ctx, &oidc.Config{ClientID: opts.IdPClientID, Now: opts.Clock}), nil
}

// VerifyPair verifies AuthZ mode's two tokens together: the user's IdP ID
// token (signature, issuer, audience = IdPClientID, expiry; by go-oidc)
// and the authz token as VerifyAuthz does, and then the binding — the
// authz token's idp_sub must be the IdP token's sub. A stolen authz token
// is useless without the user's own IdP token, and the reverse.
func (v *Verifier) VerifyPair(ctx context.Context, idpToken, authzToken, expectedService string) (*AuthzClaims, error) {
	if v.idp == nil {
		return nil, errors.New("sentinel: VerifyPair needs VerifierOptions.IdPIssuer and IdPClientID")
	}
	if idpToken == "" {
		return nil, fmt.Errorf("%w: IdP token is empty", ErrInvalidToken)
	}
	idt, err := v.idp.Verify(ctx, idpToken)
	if err != nil {
		return nil, fmt.Errorf("%w: IdP token: %w", ErrInvalidToken, err)
	}
	c, err := v.VerifyAuthz(ctx, authzToken, expectedService)
	if err != nil {
		return nil, err
	}
	if idt.Subject == "" || subtle.ConstantTimeCompare([]byte(idt.Subject), []byte(c.IdpSub)) != 1 {
		return nil, fmt.Errorf("%w: the authz token is bound to another IdP subject than the IdP token's", ErrInvalidToken)
	}
	return c, nil
}
