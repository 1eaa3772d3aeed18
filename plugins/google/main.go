// Command google is Sentinel's verifier plugin for Google ID tokens: the
// OIDC checks of package oidcverify with Google's issuer, plus an optional
// allowlist of Google Workspace domains (the hd claim).
//
// Settings:
//
//	{
//	  "client_ids": ["123.apps.googleusercontent.com"], // required (alias "audience")
//	  "hd":         ["example.com"],  // optional: only these Workspace domains
//	  "algs":       ["RS256"],        // optional allowlist
//	  "skew":       "30s",            // optional clock skew
//	  "issuer":     "https://accounts.google.com" // default; override for tests only
//	}
package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/oidcverify"
	"github.com/sentinel-auth/sentinel/plugins/sdk"
)

// Issuer is Google's OIDC issuer.
const Issuer = "https://accounts.google.com"

type settings struct {
	Issuer string   `json:"issuer"`
	HD     []string `json:"hd"`
	oidcverify.Common
}

type verifier struct {
	v  *oidcverify.Verifier
	hd []string // lower-case; empty: any account
}

func (p *verifier) Configure(raw []byte) error {
	var s settings
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return err
	}
	cfg := oidcverify.Config{Issuer: Issuer}
	if s.Issuer != "" {
		cfg.Issuer = s.Issuer
	}
	if err := s.Apply(&cfg); err != nil {
		return err
	}
	v, err := oidcverify.New(cfg)
	if err != nil {
		return fmt.Errorf("google: %w", err)
	}
	for _, d := range s.HD {
		if d = strings.ToLower(strings.TrimSpace(d)); d == "" {
			return fmt.Errorf("google: empty hd domain")
		}
		p.hd = append(p.hd, d)
	}
	p.v = v
	return nil
}

func (p *verifier) Verify(ctx context.Context, token string, keys sdk.KeyFetcher) (plugins.Identity, error) {
	id, err := p.v.Verify(ctx, token, keys)
	if err != nil {
		return plugins.Identity{}, err
	}
	if err := checkHD(p.hd, id.Claims); err != nil {
		return plugins.Identity{}, err
	}
	return id, nil
}

// checkHD enforces the hosted-domain allowlist: with one configured, the
// token must carry an hd claim naming one of its domains (consumer Google
// accounts have no hd and are refused).
func checkHD(allowed []string, claims map[string]any) error {
	if len(allowed) == 0 {
		return nil
	}
	hd, _ := claims["hd"].(string)
	if hd == "" {
		return fmt.Errorf("%w: not a Google Workspace account (no hd claim)", plugins.ErrInvalidToken)
	}
	if !slices.Contains(allowed, strings.ToLower(hd)) {
		return fmt.Errorf("%w: hosted domain %q is not allowed", plugins.ErrInvalidToken, hd)
	}
	return nil
}

func (p *verifier) Health(ctx context.Context) error { return p.v.Health(ctx) }

func main() { sdk.Serve(&verifier{}) }
