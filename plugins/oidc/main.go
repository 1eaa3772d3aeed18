// Command oidc is Sentinel's verifier plugin for any OpenID Connect
// issuer: it verifies ID tokens against the issuer's discovery document
// and JWKS (see package oidcverify for every check).
//
// Settings:
//
//	{
//	  "issuer":     "https://idp.example.com",   // required; discovery must name it
//	  "client_ids": ["my-app"],                  // required (alias "audience")
//	  "algs":       ["RS256", "ES256"],          // optional allowlist (never none/HS*)
//	  "skew":       "30s"                        // optional clock skew
//	}
package main

import (
	"context"
	"fmt"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/oidcverify"
	"github.com/sentinel-auth/sentinel/plugins/sdk"
)

type settings struct {
	Issuer string `json:"issuer"`
	oidcverify.Common
}

type verifier struct{ v *oidcverify.Verifier }

func (p *verifier) Configure(raw []byte) error {
	var s settings
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return err
	}
	cfg := oidcverify.Config{Issuer: s.Issuer}
	if err := s.Apply(&cfg); err != nil {
		return err
	}
	v, err := oidcverify.New(cfg)
	if err != nil {
		return fmt.Errorf("oidc: %w", err)
	}
	p.v = v
	return nil
}

func (p *verifier) Verify(ctx context.Context, token string, keys sdk.KeyFetcher) (plugins.Identity, error) {
	return p.v.Verify(ctx, token, keys)
}

func (p *verifier) Health(ctx context.Context) error { return p.v.Health(ctx) }

func main() { sdk.Serve(&verifier{}) }
