package login

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// Request starts a proxy-mode login (GET /auth/login/{provider}).
type Request struct {
	Provider            string
	ClientID            string // a client app's id
	RedirectURI         string // one of its redirect URIs, exactly
	CodeChallenge       string // PKCE S256 challenge of the client's verifier
	CodeChallengeMethod string // must be S256
	State               string // optional: the client's own state, echoed back
	// Browser binds the login to the browser starting it: the callback
	// must come with the same value (the API's login cookie).
	Browser string
}

// challengeRE is a PKCE S256 challenge: base64url of 32 bytes.
var challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// maxClientState bounds the client's state echoed back.
const maxClientState = 512

// Begin checks the request and returns the IdP URL to send the browser
// to. The client app must exist and be active, the redirect URI be one of
// its own exactly, and PKCE S256 be used.
func (s *Service) Begin(ctx context.Context, r Request) (string, error) {
	c, err := s.client(r.Provider)
	if err != nil {
		return "", err
	}
	if r.ClientID == "" || r.RedirectURI == "" {
		return "", fmt.Errorf("%w: client_id and redirect_uri are required", ErrInvalidRequest)
	}
	if r.CodeChallengeMethod != "S256" || !challengeRE.MatchString(r.CodeChallenge) {
		return "", fmt.Errorf("%w: PKCE is required: code_challenge (43 characters) with code_challenge_method=S256", ErrInvalidRequest)
	}
	if len(r.State) > maxClientState {
		return "", fmt.Errorf("%w: state longer than %d bytes", ErrInvalidRequest, maxClientState)
	}
	app, err := s.o.Store.ClientApp(ctx, r.ClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !app.Active) {
		return "", fmt.Errorf("%w: unknown or inactive client_id", ErrInvalidRequest)
	}
	if err != nil {
		return "", err
	}
	if !slices.Contains(app.RedirectURIs, r.RedirectURI) {
		return "", fmt.Errorf("%w: redirect_uri is not registered for this client app", ErrInvalidRequest)
	}
	return s.start(ctx, c, kindLogin, s.callbackURI(r.Provider), r.Browser, stateData{
		ClientAppID: app.ID, RedirectURI: r.RedirectURI, Challenge: r.CodeChallenge, ClientState: r.State,
	})
}

// callbackURI is the IdP redirect URI of the proxy-mode login.
func (s *Service) callbackURI(provider string) string {
	return s.base + "/auth/callback/" + url.PathEscape(provider)
}

// Callback completes a proxy-mode login at the IdP's callback and returns
// where to send the browser: the client app's redirect URI with a
// one-time code, or with an OAuth error (error, error_description) when
// the login failed after its state was recognized. Only a callback whose
// state is not recognized has no redirect: then the error is all there is
// (ErrInvalidState, ErrUnknownProvider), as for a browser other than the
// one that started the login (browser: see Request.Browser). err is also
// set, for the log, when the redirect carries an error.
func (s *Service) Callback(ctx context.Context, provider, browser string, q url.Values) (redirect string, err error) {
	c, err := s.client(provider)
	if err != nil {
		return "", err
	}
	cb, err := s.take(ctx, kindLogin, provider, browser, q)
	if err != nil {
		return "", err
	}
	d := cb.data
	back := func(v url.Values) string {
		if d.ClientState != "" {
			v.Set("state", d.ClientState)
		}
		return withQuery(d.RedirectURI, v)
	}
	fail := func(err error) (string, error) {
		code := "access_denied"
		if !errors.Is(err, ErrLoginFailed) {
			code = "server_error"
		}
		return back(url.Values{"error": {code}, "error_description": {describe(err)}}), err
	}
	// The client app may have been deactivated, or lost the redirect URI,
	// while its user was at the IdP.
	app, err := s.o.Store.ClientApp(ctx, d.ClientAppID)
	if err != nil || !app.Active || !slices.Contains(app.RedirectURIs, d.RedirectURI) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		return "", fmt.Errorf("%w: the client app is no longer active or no longer has this redirect_uri", ErrInvalidState)
	}
	u, err := s.signIn(ctx, c, s.callbackURI(provider), cb, q)
	if err != nil {
		return fail(err)
	}
	code := secret() + secret()
	now := s.o.Now().UTC()
	err = s.o.Store.PutLoginCode(ctx, store.LoginCode{Hash: store.SecretHash(code), UserID: u.ID, Provider: provider,
		ClientAppID: d.ClientAppID, RedirectURI: d.RedirectURI, Challenge: d.Challenge, CreatedAt: now, ExpiresAt: now.Add(s.o.CodeTTL)})
	if err != nil {
		return fail(fmt.Errorf("store the one-time code: %w", err))
	}
	return back(url.Values{"code": {code}}), nil
}

// signIn redeems the callback's code at the IdP and signs its user in
// through the exchange's path (verify with the plugin, provision, accept
// invitations), requiring the ID token's nonce to be this login's. Every
// refusal of the identity is ErrLoginFailed with the reason.
func (s *Service) signIn(ctx context.Context, c *client, redirectURI string, cb callback, q url.Values) (store.User, error) {
	raw, err := s.idpToken(ctx, c, redirectURI, cb, q)
	if err != nil {
		return store.User{}, err
	}
	nonce := derive("nonce", cb.state)
	u, _, err := s.o.SignIn.SignIn(ctx, c.cfg.Provider, raw, func(id plugins.Identity) error {
		if !c.oidcOn {
			return nil // OAuth 2.0 access tokens carry no nonce
		}
		if got, _ := id.Claims["nonce"].(string); got != nonce {
			return fmt.Errorf("%w: the ID token's nonce is not this login's", ErrLoginFailed)
		}
		return nil
	})
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, ErrLoginFailed):
		return store.User{}, err
	case errors.Is(err, exchange.ErrInvalidToken), errors.Is(err, exchange.ErrEmailUnverified),
		errors.Is(err, exchange.ErrEmailTaken), errors.Is(err, exchange.ErrInactive):
		return store.User{}, fmt.Errorf("%w: %w", ErrLoginFailed, err)
	}
	return store.User{}, err
}

// describe is an error's text for an error_description: the reason for a
// refused login, nothing internal for an outage.
func describe(err error) string {
	if errors.Is(err, ErrLoginFailed) {
		return err.Error()
	}
	return "the login could not be completed; try again later"
}

// withQuery adds v to the URI's query, keeping what it has.
func withQuery(uri string, v url.Values) string {
	u, err := url.Parse(uri)
	if err != nil { // registered URIs were validated when stored
		return uri
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}
