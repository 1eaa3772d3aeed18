// Package login is Sentinel's proxy-mode login (COMPAT.md "Proxy mode
// login"): Sentinel runs the OAuth 2.0 authorization-code flow with the
// identity provider itself, then hands a client app a one-time code that
// it redeems, with PKCE, for an access and a refresh token of a workspace
// of its choice. It also runs the admin console's login (an admin_token
// cookie) and AuthZ mode's server-side GitHub login.
//
// Identity checks stay where AuthZ mode does them: the IdP's token (the ID
// token of an OIDC provider, the access token of GitHub) goes to the
// provider's verifier plugin through exchange.Exchanger.SignIn, which also
// provisions the user. Everything a flow must remember between requests
// (login states, one-time codes, refresh token families) lives in the
// store (store.LoginStore), so replicas share it and restarts keep it.
package login

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Config is a provider's login block in the providers file: the OAuth
// client Sentinel is at that identity provider.
//
//	login:
//	  client_id: sentinel
//	  client_secret_env: CORP_CLIENT_SECRET   # or client_secret: … (discouraged)
//	  issuer: https://idp.example.com         # OIDC: endpoints by discovery
//	  # auth_url: https://github.com/login/oauth/authorize   # plain OAuth 2.0 (GitHub)
//	  # token_url: https://github.com/login/oauth/access_token
//	  scopes: [openid, email, profile]
//
// With an issuer the provider is OpenID Connect: its ID token is verified.
// Without one it is plain OAuth 2.0 (GitHub): its access token is.
type Config struct {
	// Provider is the provider's name (the providers file's name:).
	Provider        string   `json:"-"`
	ClientID        string   `json:"client_id"`
	ClientSecret    string   `json:"client_secret"`
	ClientSecretEnv string   `json:"client_secret_env"`
	Issuer          string   `json:"issuer"`
	AuthURL         string   `json:"auth_url"`
	TokenURL        string   `json:"token_url"`
	Scopes          []string `json:"scopes"`
}

// LogValue keeps the client secret out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", c.Provider), slog.String("client_id", c.ClientID),
		slog.String("issuer", c.Issuer), slog.String("auth_url", c.AuthURL), slog.Any("scopes", c.Scopes))
}

// String keeps the client secret out of %v.
func (c Config) String() string { return c.LogValue().String() }

// OIDC reports whether the provider is OpenID Connect (it has an issuer).
func (c Config) OIDC() bool { return c.Issuer != "" }

// defaultScopes are asked for when the block names none.
var (
	oidcScopes   = []string{"openid", "email", "profile"}
	githubScopes = []string{"read:user", "user:email"}
)

// resolved is a checked Config with its secret read and defaults filled.
type resolved struct {
	Config
	secret string
	scopes []string
}

// check validates c, reads the secret (from the environment when
// client_secret_env is set) and fills in the default scopes. getenv is
// os.Getenv outside tests. Errors name the provider and the field, never
// the secret.
func (c Config) check(getenv func(string) string) (resolved, error) {
	bad := func(format string, args ...any) (resolved, error) {
		return resolved{}, fmt.Errorf("provider %q: login: "+format, append([]any{c.Provider}, args...)...)
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.TrimSpace(c.ClientID) == "" {
		return bad("client_id is required")
	}
	secret := c.ClientSecret
	switch {
	case c.ClientSecret != "" && c.ClientSecretEnv != "":
		return bad("set client_secret or client_secret_env, not both")
	case c.ClientSecretEnv != "":
		if secret = getenv(c.ClientSecretEnv); secret == "" {
			return bad("client_secret_env names %s, which is not set or empty", c.ClientSecretEnv)
		}
	case secret == "":
		return bad("client_secret_env (or client_secret) is required")
	}
	scopes := slices.Clone(c.Scopes)
	switch {
	case c.Issuer != "" && (c.AuthURL != "" || c.TokenURL != ""):
		return bad("set issuer (OpenID Connect discovery) or auth_url and token_url (plain OAuth 2.0), not both")
	case c.Issuer != "":
		if err := checkURL(c.Issuer); err != nil {
			return bad("issuer: %v", err)
		}
		if len(scopes) == 0 {
			scopes = slices.Clone(oidcScopes)
		}
		if !slices.Contains(scopes, "openid") {
			return bad("scopes must include openid for an OpenID Connect provider")
		}
	case c.AuthURL == "" || c.TokenURL == "":
		return bad("issuer, or auth_url and token_url, is required")
	default:
		if err := checkURL(c.AuthURL); err != nil {
			return bad("auth_url: %v", err)
		}
		if err := checkURL(c.TokenURL); err != nil {
			return bad("token_url: %v", err)
		}
		if len(scopes) == 0 {
			scopes = slices.Clone(githubScopes)
		}
	}
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return bad("scope %q: one word per scope", s)
		}
	}
	return resolved{Config: c, secret: secret, scopes: scopes}, nil
}

// checkURL accepts an absolute https URL, or http to a loopback host
// (development IdPs and tests).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q: want https (http only to localhost)", raw)
}

// isLoopback: localhost or a loopback IP address. A name that merely
// starts with "127." (127.idp.example) is any host on the network.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckConfigs validates every login block without contacting any IdP:
// names unique, each block complete (see Config). `sentinel serve` runs
// it before starting, and New runs it again.
func CheckConfigs(cfgs []Config, getenv func(string) string) error {
	seen := map[string]bool{}
	for _, c := range cfgs {
		if seen[c.Provider] {
			return fmt.Errorf("provider %q: two login blocks", c.Provider)
		}
		seen[c.Provider] = true
		if _, err := c.check(getenv); err != nil {
			return err
		}
	}
	return nil
}
