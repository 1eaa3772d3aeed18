package login

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sentinel-auth/sentinel/store"
)

// AuthZ mode's server-side GitHub login (GET /authz/idp/github/login and
// /callback): GitHub has no implicit flow an app could run in the browser
// alone, so Sentinel redeems the code with its client secret and hands the
// app the GitHub access token, in the URL fragment of the app's redirect
// URI (never the query: fragments are not sent to servers nor logged by
// them). The app then calls POST /authz/resolve with it as usual.

// GitHubProvider is the provider name the GitHub routes use.
const GitHubProvider = "github"

// maxAppNonce bounds the app's nonce echoed back.
const maxAppNonce = 512

// BeginGitHub checks the app's redirect URI and returns GitHub's
// authorization URL. The redirect URI must belong to an app Sentinel
// knows: its origin an allowed origin of an active service app, or it a
// redirect URI of an active client app, exactly. The login is bound to
// the browser (see Request.Browser).
func (s *Service) BeginGitHub(ctx context.Context, redirectURI, nonce, browser string) (string, error) {
	c, err := s.client(GitHubProvider)
	if err != nil {
		return "", err
	}
	if len(nonce) > maxAppNonce {
		return "", fmt.Errorf("%w: nonce longer than %d bytes", ErrInvalidRequest, maxAppNonce)
	}
	if err := s.allowedRedirect(ctx, redirectURI); err != nil {
		return "", err
	}
	return s.start(ctx, c, kindGitHub, s.githubCallbackURI(), browser, stateData{RedirectURI: redirectURI, AppNonce: nonce})
}

func (s *Service) githubCallbackURI() string { return s.base + "/authz/idp/github/callback" }

// GitHubCallback redeems GitHub's code and returns the app's redirect URI
// with, in its fragment, access_token, token_type, provider and the app's
// nonce, or error and error_description when GitHub refused. An
// unrecognized state, or one another browser started, has no redirect
// (ErrInvalidState); err is also set, for the log, when the redirect
// carries an error.
func (s *Service) GitHubCallback(ctx context.Context, browser string, q url.Values) (string, error) {
	c, err := s.client(GitHubProvider)
	if err != nil {
		return "", err
	}
	cb, err := s.take(ctx, kindGitHub, GitHubProvider, browser, q)
	if err != nil {
		return "", err
	}
	d := cb.data
	// Checked again: the app may have been deactivated meanwhile. A
	// store that cannot tell is an outage, not a refused state.
	if err := s.allowedRedirect(ctx, d.RedirectURI); errors.Is(err, ErrInvalidRequest) {
		return "", fmt.Errorf("%w: %w", ErrInvalidState, err)
	} else if err != nil {
		return "", err
	}
	frag := url.Values{}
	if d.AppNonce != "" {
		frag.Set("nonce", d.AppNonce)
	}
	tok, err := s.idpToken(ctx, c, s.githubCallbackURI(), cb, q)
	if err != nil {
		code := "access_denied"
		if !errors.Is(err, ErrLoginFailed) {
			code = "server_error"
		}
		frag.Set("error", code)
		frag.Set("error_description", describe(err))
		return withFragment(d.RedirectURI, frag), err
	}
	frag.Set("access_token", tok)
	frag.Set("token_type", "bearer")
	frag.Set("provider", GitHubProvider)
	return withFragment(d.RedirectURI, frag), nil
}

// allowedRedirect accepts a redirect URI whose origin is an allowed
// origin of an active service app, or that is a redirect URI of an active
// client app.
func (s *Service) allowedRedirect(ctx context.Context, uri string) error {
	if uri == "" {
		return fmt.Errorf("%w: redirect_uri is required", ErrInvalidRequest)
	}
	if err := store.CheckRedirectURI(uri); err != nil {
		return fmt.Errorf("%w: redirect_uri must be an absolute http(s) URL without a fragment", ErrInvalidRequest)
	}
	u, _ := url.Parse(uri) // checked above
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	apps, err := s.o.Store.ServiceApps(ctx)
	if err != nil {
		return fmt.Errorf("service apps: %w", err)
	}
	for _, a := range apps {
		if a.Active && slices.ContainsFunc(a.AllowedOrigins, func(o string) bool { return strings.ToLower(o) == origin }) {
			return nil
		}
	}
	clients, err := s.o.Store.ClientApps(ctx)
	if err != nil {
		return fmt.Errorf("client apps: %w", err)
	}
	for _, a := range clients {
		if a.Active && slices.Contains(a.RedirectURIs, uri) {
			return nil
		}
	}
	return fmt.Errorf("%w: redirect_uri is neither under an allowed origin of an active service app nor a registered client app redirect URI", ErrInvalidRequest)
}

// withFragment sets the URI's fragment to v.
func withFragment(uri string, v url.Values) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String() + "#" + v.Encode()
}
