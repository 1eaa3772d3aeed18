// Command entra is Sentinel's verifier plugin for Microsoft Entra ID (v2.0)
// ID tokens, multi-tenant or single-tenant.
//
// Multi-tenant (discovery_tenant "common" or "organizations"): Microsoft's
// discovery document names the issuer template
// https://login.microsoftonline.com/{tenantid}/v2.0, so each token's iss
// must equal that template filled with the token's own tid claim, and tid
// must be in the tenant allowlist. Single-tenant (discovery_tenant is a
// tenant id): the issuer is that tenant's, and tid must be that tenant.
//
// Email: Entra's email claim is not verified by Microsoft unless the
// tenant owns the domain, so EmailVerified is true only when the token
// says so (email_verified, or the xms_edov optional claim), never by
// default.
//
// Settings:
//
//	{
//	  "client_ids":       ["<application id>"],  // required (alias "audience")
//	  "tenants":          ["<tenant id>", …],    // required for multi-tenant; ["*"] = any tenant
//	  "discovery_tenant": "common",               // default; or "organizations", or a tenant id
//	  "base_url":         "https://login.microsoftonline.com", // override for tests
//	  "algs": ["RS256"], "skew": "30s"           // optional
//	}
package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/oidcverify"
	"github.com/sentinel-auth/sentinel/plugins/sdk"
)

// DefaultBaseURL is Entra ID's global authority.
const DefaultBaseURL = "https://login.microsoftonline.com"

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type settings struct {
	Tenants         []string `json:"tenants"`
	DiscoveryTenant string   `json:"discovery_tenant"`
	BaseURL         string   `json:"base_url"`
	oidcverify.Common
}

type verifier struct {
	v       *oidcverify.Verifier
	tenants []string // lower-case tenant ids; nil: any tenant ("*")
}

// issuers returns the expected issuer and the discovery URL for s.
func (s settings) issuers() (issuer, discovery string, err error) {
	base := strings.TrimSuffix(s.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	switch t := s.DiscoveryTenant; {
	case t == "" || t == "common" || t == "organizations":
		if t == "" {
			t = "common"
		}
		return base + "/" + oidcverify.TenantPlaceholder + "/v2.0", base + "/" + t + "/v2.0", nil
	case guid.MatchString(t):
		iss := base + "/" + strings.ToLower(t) + "/v2.0"
		return iss, iss, nil
	default:
		return "", "", fmt.Errorf("discovery_tenant %q: want common, organizations or a tenant id", t)
	}
}

// allowlist validates the tenant allowlist; nil means any tenant.
func (s settings) allowlist() ([]string, error) {
	single := guid.MatchString(s.DiscoveryTenant)
	if len(s.Tenants) == 0 {
		if single {
			return []string{strings.ToLower(s.DiscoveryTenant)}, nil
		}
		return nil, fmt.Errorf(`tenants is required for multi-tenant discovery (list tenant ids, or ["*"] for any tenant)`)
	}
	if slices.Equal(s.Tenants, []string{"*"}) {
		if single {
			return []string{strings.ToLower(s.DiscoveryTenant)}, nil
		}
		return nil, nil
	}
	out := make([]string, 0, len(s.Tenants))
	for _, t := range s.Tenants {
		if !guid.MatchString(t) {
			return nil, fmt.Errorf("tenant %q is not a tenant id (GUID)", t)
		}
		out = append(out, strings.ToLower(t))
	}
	if single && !slices.Contains(out, strings.ToLower(s.DiscoveryTenant)) {
		return nil, fmt.Errorf("tenants must include the discovery tenant %s", s.DiscoveryTenant)
	}
	return out, nil
}

func (p *verifier) Configure(raw []byte) error {
	var s settings
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return err
	}
	iss, disc, err := s.issuers()
	if err != nil {
		return fmt.Errorf("entra: %w", err)
	}
	if p.tenants, err = s.allowlist(); err != nil {
		return fmt.Errorf("entra: %w", err)
	}
	cfg := oidcverify.Config{Issuer: iss, DiscoveryURL: disc}
	if err := s.Apply(&cfg); err != nil {
		return err
	}
	if p.v, err = oidcverify.New(cfg); err != nil {
		return fmt.Errorf("entra: %w", err)
	}
	return nil
}

func (p *verifier) Verify(ctx context.Context, token string, keys sdk.KeyFetcher) (plugins.Identity, error) {
	id, err := p.v.Verify(ctx, token, keys)
	if err != nil {
		return plugins.Identity{}, err
	}
	if err := checkTenant(p.tenants, id.Claims); err != nil {
		return plugins.Identity{}, err
	}
	id.EmailVerified = id.EmailVerified || truthy(id.Claims["xms_edov"])
	return id, nil
}

// checkTenant requires a tid claim in the allowlist (nil: any tenant).
func checkTenant(allowed []string, claims map[string]any) error {
	tid, _ := claims["tid"].(string)
	if !guid.MatchString(tid) {
		return fmt.Errorf("%w: no tenant id (tid) in the token", plugins.ErrInvalidToken)
	}
	if allowed != nil && !slices.Contains(allowed, strings.ToLower(tid)) {
		return fmt.Errorf("%w: tenant %s is not allowed", plugins.ErrInvalidToken, tid)
	}
	return nil
}

func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true" || b == "1"
	case float64:
		return b == 1
	}
	return false
}

func (p *verifier) Health(ctx context.Context) error { return p.v.Health(ctx) }

func main() { sdk.Serve(&verifier{}) }
