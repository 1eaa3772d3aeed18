package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// client is Sentinel as an OAuth client of one identity provider.
type client struct {
	cfg    resolved
	oauth  oauth2.Config // RedirectURL is set per flow
	httpc  *http.Client
	oidcOn bool
}

// idpTimeout bounds discovery and each code exchange.
const idpTimeout = 10 * time.Second

// newClient builds the provider's OAuth client. An OIDC provider's
// endpoints come from its discovery document, fetched now: a wrong issuer
// stops the server's start with the reason rather than failing logins.
func newClient(ctx context.Context, cfg resolved, httpc *http.Client) (*client, error) {
	c := &client{cfg: cfg, httpc: httpc, oidcOn: cfg.OIDC()}
	c.oauth = oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.secret, Scopes: cfg.scopes}
	if !c.oidcOn {
		c.oauth.Endpoint = oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL}
		return c, nil
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, httpc), idpTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("provider %q: login: OpenID Connect discovery at %s: %w", cfg.Provider, cfg.Issuer, err)
	}
	c.oauth.Endpoint = p.Endpoint()
	if c.oauth.Endpoint.AuthURL == "" || c.oauth.Endpoint.TokenURL == "" {
		return nil, fmt.Errorf("provider %q: login: the discovery document of %s lacks an authorization or token endpoint", cfg.Provider, cfg.Issuer)
	}
	return c, nil
}

// authURL is where the browser goes to log in: the IdP's authorization
// endpoint with the state, the PKCE challenge of verifier and, for OIDC,
// the nonce the ID token must carry.
func (c *client) authURL(redirectURI, state, nonce, verifier string) string {
	conf := c.oauth
	conf.RedirectURL = redirectURI
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if c.oidcOn {
		opts = append(opts, oidc.Nonce(nonce))
	}
	return conf.AuthCodeURL(state, opts...)
}

// errIdP: the IdP refused the code exchange or answered without the
// token the flow needs.
var errIdP = errors.New("the identity provider refused the login")

// exchange redeems the IdP's code (with the PKCE verifier) and returns
// the token the provider's verifier plugin checks: the ID token of an
// OIDC provider, the access token otherwise.
func (c *client) exchange(ctx context.Context, redirectURI, code, verifier string) (string, error) {
	conf := c.oauth
	conf.RedirectURL = redirectURI
	ectx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, c.httpc), idpTimeout)
	defer cancel()
	tok, err := conf.Exchange(ectx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			// The IdP's own verdict (invalid_grant…): the login failed,
			// the IdP did not.
			return "", fmt.Errorf("%w: %s", errIdP, re.ErrorCode)
		}
		return "", fmt.Errorf("code exchange with provider %q: %w", c.cfg.Provider, err)
	}
	if !c.oidcOn {
		if tok.AccessToken == "" {
			return "", fmt.Errorf("%w: no access token", errIdP)
		}
		return tok.AccessToken, nil
	}
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		return "", fmt.Errorf("%w: no ID token (is openid among the scopes?)", errIdP)
	}
	return id, nil
}
