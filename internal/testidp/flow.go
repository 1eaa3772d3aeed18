package testidp

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// Tokens is the token endpoint's answer to a completed login.
type Tokens struct {
	IDToken     string
	AccessToken string // opaque, valid at the userinfo endpoint
	ExpiresIn   int    // access token lifetime in seconds
}

// FlowOption adjusts the authorization request of Login and IDToken.
type FlowOption func(*flowConfig)

type flowConfig struct {
	nonce  string
	scopes []string
}

// WithNonce sends a nonce, which the ID token then carries.
func WithNonce(nonce string) FlowOption {
	return func(c *flowConfig) { c.nonce = nonce }
}

// WithScopes replaces the default scopes "openid email profile".
func WithScopes(scopes ...string) FlowOption {
	return func(c *flowConfig) { c.scopes = scopes }
}

// IDToken logs subject in through the authorization-code flow and returns
// the ID token (see Login).
func (p *IdP) IDToken(t testing.TB, subject string, opts ...FlowOption) string {
	t.Helper()
	return p.Login(t, subject, opts...).IDToken
}

// Token logs subject in through the authorization-code flow, as Login
// does, and returns the ID token; for use outside tests. It gives up after
// 30 seconds.
func (p *IdP) Token(subject string, opts ...FlowOption) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	toks, err := p.login(ctx, subject, opts...)
	if err != nil {
		return "", fmt.Errorf("testidp: login %q: %w", subject, err)
	}
	return toks.IDToken, nil
}

// flowTimeout bounds one login through the code flow.
const flowTimeout = 30 * time.Second

// Login drives the real authorization-code flow for subject, as a browser
// and a confidential client would: /authorize with login_hint and PKCE (S256),
// the provider's login step, the redirect with the code (state checked), then
// the code redeemed at the token endpoint with the client secret. The user
// must have been added. The test fails if any step does.
func (p *IdP) Login(t testing.TB, subject string, opts ...FlowOption) Tokens {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	toks, err := p.login(ctx, subject, opts...)
	if err != nil {
		t.Fatalf("testidp: login %q: %v", subject, err)
	}
	return toks
}

func (p *IdP) login(ctx context.Context, subject string, opts ...FlowOption) (Tokens, error) {
	cfg := flowConfig{scopes: []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}}
	for _, o := range opts {
		o(&cfg)
	}
	state, verifier := rand.Text(), rand.Text()+rand.Text()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {p.clientID},
		"redirect_uri":          {p.redirectURI},
		"scope":                 {strings.Join(cfg.scopes, " ")},
		"state":                 {state},
		"login_hint":            {subject},
		"code_challenge":        {oidc.NewSHACodeChallenge(verifier)},
		"code_challenge_method": {string(oidc.CodeChallengeMethodS256)},
	}
	if cfg.nonce != "" {
		q.Set("nonce", cfg.nonce)
	}
	code, err := p.authorize(ctx, p.provider.AuthorizationEndpoint().Absolute(p.issuer)+"?"+q.Encode(), state)
	if err != nil {
		return Tokens{}, err
	}
	return p.redeem(ctx, code, verifier)
}

// authorize follows the browser's redirects from the authorization URL until
// the provider sends it to the client's redirect URI, and returns the code.
func (p *IdP) authorize(ctx context.Context, authURL, state string) (string, error) {
	browser := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		if strings.HasPrefix(req.URL.String(), p.redirectURI) {
			return http.ErrUseLastResponse // the client's callback: stop here
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", fmt.Errorf("authorization request: %w", err)
	}
	resp, err := browser.Do(req)
	if err != nil {
		return "", fmt.Errorf("authorization request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return "", fmt.Errorf("authorization ended at %s with %s: %s", resp.Request.URL.Path, resp.Status, strings.TrimSpace(string(body)))
	}
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("authorization response: %w", err)
	}
	got := loc.Query()
	if e := got.Get("error"); e != "" {
		return "", fmt.Errorf("authorization error %s: %s", e, got.Get("error_description"))
	}
	if got.Get("state") != state {
		return "", fmt.Errorf("authorization response state %q, sent %q", got.Get("state"), state)
	}
	code := got.Get("code")
	if code == "" {
		return "", fmt.Errorf("authorization response without code: %s", loc)
	}
	return code, nil
}

// redeem exchanges the code at the token endpoint (client_secret_basic).
func (p *IdP) redeem(ctx context.Context, code, verifier string) (Tokens, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {p.redirectURI},
		"code_verifier": {verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.provider.TokenEndpoint().Absolute(p.issuer), strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(p.clientID), url.QueryEscape(p.clientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Tokens{}, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Tokens{}, fmt.Errorf("read token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Tokens{}, fmt.Errorf("token endpoint answered %s: %s", resp.Status, body)
	}
	var tr oidc.AccessTokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return Tokens{}, fmt.Errorf("decode token response: %w", err)
	}
	if tr.IDToken == "" {
		return Tokens{}, fmt.Errorf("token response without id_token: %s", body)
	}
	return Tokens{IDToken: tr.IDToken, AccessToken: tr.AccessToken, ExpiresIn: int(tr.ExpiresIn)}, nil
}
