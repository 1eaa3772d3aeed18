package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/sentinel-auth/sentinel/store"
)

// The flows a login state belongs to (store.LoginState.Kind).
const (
	kindLogin  = "login"        // proxy-mode login of a client app's user
	kindAdmin  = "admin"        // the admin console's login
	kindGitHub = "github_authz" // AuthZ mode's server-side GitHub login
)

// stateData is what a flow remembers between its redirect to the IdP and
// the callback. It holds no secret: the PKCE verifier and the nonce sent
// to the IdP are derived from the state parameter, which is stored only
// hashed.
type stateData struct {
	ClientAppID string `json:"client_app_id,omitempty"`
	RedirectURI string `json:"redirect_uri,omitempty"`
	// Challenge is the client app's PKCE S256 challenge.
	Challenge string `json:"code_challenge,omitempty"`
	// ClientState is the client app's own state, echoed back.
	ClientState string `json:"client_state,omitempty"`
	// AppNonce is the GitHub login's nonce, echoed back to the app.
	AppNonce string `json:"app_nonce,omitempty"`
	// Browser is the SecretHash of the browser binding the login was
	// started with (see start).
	Browser string `json:"browser,omitempty"`
}

// secret returns a fresh random secret (26 base32 characters, 130 bits).
func secret() string { return rand.Text() }

// derive turns the state into another secret the IdP sees (the PKCE
// verifier, the nonce): unguessable without the state, and the state
// cannot be recovered from it.
func derive(purpose, state string) string {
	h := sha256.Sum256([]byte("sentinel-login-" + purpose + ":" + state))
	return base64.RawURLEncoding.EncodeToString(h[:]) // 43 characters: a valid PKCE verifier
}

// start stores a new login state and returns the IdP's authorization URL.
//
// browser is a secret the browser starting the login holds and no other
// can (the API keeps it in an HttpOnly cookie): the callback must present
// it again (take). Without it the state would be a bearer ticket: anyone
// could log in at the IdP as themselves, stop before Sentinel's callback
// and have a victim's browser open that URL, finishing the attacker's
// login there (login CSRF, RFC 6749 §10.12). The PKCE verifier sent to
// the IdP is no help there: it is derived from the state itself.
func (s *Service) start(ctx context.Context, c *client, kind, redirectURI, browser string, d stateData) (string, error) {
	if browser == "" {
		return "", fmt.Errorf("%w: the login is not bound to a browser", ErrInvalidRequest)
	}
	d.Browser = store.SecretHash(browser)
	data, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode login state: %w", err)
	}
	state := secret()
	now := s.o.Now().UTC()
	err = s.o.Store.PutLoginState(ctx, store.LoginState{Hash: store.SecretHash(state), Kind: kind, Provider: c.cfg.Provider,
		Data: data, CreatedAt: now, ExpiresAt: now.Add(s.o.StateTTL)})
	if err != nil {
		return "", err
	}
	return c.authURL(redirectURI, state, derive("nonce", state), derive("pkce", state)), nil
}

// callback is a verified IdP callback: its state's data, and the state
// itself (whence the PKCE verifier and nonce).
type callback struct {
	state string
	data  stateData
}

// take checks the callback's state (single use, unexpired, of this flow
// and provider, started by this browser) and returns what the flow stored
// with it. A state presented by another browser is spent all the same.
func (s *Service) take(ctx context.Context, kind, provider, browser string, q url.Values) (callback, error) {
	state := q.Get("state")
	if state == "" {
		return callback{}, fmt.Errorf("%w: the callback has no state", ErrInvalidState)
	}
	st, err := s.o.Store.TakeLoginState(ctx, store.SecretHash(state), s.o.Now())
	if errors.Is(err, store.ErrNotFound) {
		return callback{}, ErrInvalidState
	}
	if err != nil {
		return callback{}, err
	}
	if st.Kind != kind || st.Provider != provider {
		return callback{}, fmt.Errorf("%w: it was issued for another login", ErrInvalidState)
	}
	var d stateData
	if err := json.Unmarshal(st.Data, &d); err != nil {
		return callback{}, fmt.Errorf("decode login state: %w", err)
	}
	if browser == "" || d.Browser == "" || subtle.ConstantTimeCompare([]byte(store.SecretHash(browser)), []byte(d.Browser)) != 1 {
		return callback{}, fmt.Errorf("%w: the login was started in another browser", ErrInvalidState)
	}
	return callback{state: state, data: d}, nil
}

// idpToken redeems the callback's code at the IdP for the token its
// verifier plugin checks. The IdP's own error (the user declined) is
// ErrLoginFailed.
func (s *Service) idpToken(ctx context.Context, c *client, redirectURI string, cb callback, q url.Values) (string, error) {
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("%w: the identity provider answered %s", ErrLoginFailed, e)
	}
	code := q.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: the callback has no code", ErrLoginFailed)
	}
	tok, err := c.exchange(ctx, redirectURI, code, derive("pkce", cb.state))
	if errors.Is(err, errIdP) {
		return "", fmt.Errorf("%w: %w", ErrLoginFailed, err)
	}
	return tok, err
}
