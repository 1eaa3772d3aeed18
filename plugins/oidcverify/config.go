// Package oidcverify verifies OpenID Connect ID tokens for Sentinel's
// verifier plugins (plugins/oidc, plugins/google, plugins/entra), with
// github.com/coreos/go-oidc/v3 doing discovery and the JWT checks.
//
// What it enforces on every token:
//
//   - Issuer: discovered from the configured issuer (whose discovery
//     document must name exactly that issuer), and the token's iss must
//     equal it. An issuer may contain Microsoft's {tenantid} placeholder:
//     the token's tid claim (a GUID) is substituted before comparing.
//   - Audience: aud must contain one of the configured client ids.
//   - Algorithm: from an allowlist (default RS256, ES256), checked against
//     the header before any key is looked at; "none" and HS* can never be
//     configured. The key must suit the algorithm, never the reverse.
//   - Time: exp must not have passed and nbf/iat must not be in the future,
//     each with a small configurable skew (default 30 s).
//   - Signature: with a key from the issuer's JWKS, obtained through the
//     host's KeyFetcher (refreshed once when the token's kid is unknown).
//     jku, x5u, x5c and jwk headers are never used to find a key.
//
// A token failing any check is refused with an error wrapping
// plugins.ErrInvalidToken that says which check failed; failures to check
// (discovery or JWKS unreachable) are plain errors.
package oidcverify

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultSkew is the clock skew allowed on exp, nbf and iat.
const DefaultSkew = 30 * time.Second

// maxSkew bounds a configured skew: more would make exp meaningless.
const maxSkew = 5 * time.Minute

// TenantPlaceholder in an issuer is replaced by the token's tid claim.
const TenantPlaceholder = "{tenantid}"

// DefaultAlgorithms are the signing algorithms accepted when none are
// configured.
var DefaultAlgorithms = []string{"RS256", "ES256"}

// allowedAlgorithms are those that may be configured: asymmetric only.
var allowedAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Config is a verifier's configuration.
type Config struct {
	// Issuer is the expected iss, possibly containing TenantPlaceholder.
	Issuer string
	// DiscoveryURL is where "/.well-known/openid-configuration" is read
	// from; default Issuer. Its document's issuer must still equal Issuer.
	DiscoveryURL string
	// ClientIDs are the accepted audiences (at least one).
	ClientIDs []string
	// Algorithms is the signing algorithm allowlist (default
	// DefaultAlgorithms).
	Algorithms []string
	// Skew is the allowed clock skew (default DefaultSkew; at most 5 min).
	Skew time.Duration
	// HTTPClient is used for discovery (default: 10 s timeout, redirects
	// only to https or loopback).
	HTTPClient *http.Client
}

// Common is the settings every OIDC-based plugin accepts; a plugin's own
// settings struct embeds it.
type Common struct {
	// ClientIDs (or its alias Audience) lists the accepted audiences.
	ClientIDs []string `json:"client_ids"`
	Audience  []string `json:"audience"`
	// Algs is the signing algorithm allowlist.
	Algs []string `json:"algs"`
	// Skew is a Go duration string ("30s").
	Skew string `json:"skew"`
}

// Apply copies the common settings into cfg.
func (c Common) Apply(cfg *Config) error {
	cfg.ClientIDs = append(append([]string{}, c.ClientIDs...), c.Audience...)
	cfg.Algorithms = c.Algs
	if c.Skew != "" {
		d, err := time.ParseDuration(c.Skew)
		if err != nil {
			return fmt.Errorf("skew: %w", err)
		}
		cfg.Skew = d
	}
	return nil
}

// check validates c and fills in defaults.
func (c Config) check() (Config, error) {
	if c.Issuer == "" {
		return c, errors.New("issuer is required")
	}
	if strings.Count(c.Issuer, TenantPlaceholder) > 1 {
		return c, fmt.Errorf("issuer %q: at most one %s", c.Issuer, TenantPlaceholder)
	}
	if c.DiscoveryURL == "" {
		if strings.Contains(c.Issuer, TenantPlaceholder) {
			return c, fmt.Errorf("issuer %q has a tenant placeholder: a discovery URL is required", c.Issuer)
		}
		c.DiscoveryURL = c.Issuer
	}
	c.ClientIDs = slices.DeleteFunc(slices.Clone(c.ClientIDs), func(s string) bool { return s == "" })
	if len(c.ClientIDs) == 0 {
		return c, errors.New("at least one client id (audience) is required")
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultAlgorithms
	}
	for _, a := range c.Algorithms {
		if !slices.Contains(allowedAlgorithms, a) {
			return c, fmt.Errorf("signing algorithm %q is not allowed (choose from %s)", a, strings.Join(allowedAlgorithms, ", "))
		}
	}
	switch {
	case c.Skew < 0 || c.Skew > maxSkew:
		return c, fmt.Errorf("skew %s out of range [0, %s]", c.Skew, maxSkew)
	case c.Skew == 0:
		c.Skew = DefaultSkew
	}
	return c, nil
}
