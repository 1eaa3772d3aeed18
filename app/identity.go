package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/sentinel-auth/sentinel/cache"
	"github.com/sentinel-auth/sentinel/identity"
	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/identity/userstatus"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// identityParts is the authentication half, assembled.
type identityParts struct {
	keys          *keys.Keyring
	tokens        *identity.Tokens
	users         *identity.Authenticator
	exchanger     *exchange.Exchanger // nil without providers
	host          *plugins.Host       // nil without providers
	login         *login.Service      // nil without login blocks
	createdMaster bool
	rdb           *redis.Client
}

func (p *identityParts) close() {
	if p.host != nil {
		p.host.Close()
	}
	if p.rdb != nil {
		p.rdb.Close()
	}
}

// newIdentity opens the signing keyring (creating the first key on a new
// store), the token issuer and verifier, the caches and the verifier
// plugins. Everything stops when ctx ends.
func newIdentity(ctx context.Context, st store.Store, users *userstatus.Cache, members exchange.Membership, cfg IdentityConfig, reg prometheus.Registerer, log *slog.Logger) (*identityParts, error) {
	if cfg.IssuerURL == "" {
		return nil, fmt.Errorf("the issuer URL (--issuer-url) is required")
	}
	if cfg.JWKSMaxAge <= 0 {
		cfg.JWKSMaxAge = 5 * time.Minute
	}
	if cfg.KeyRefresh <= 0 {
		cfg.KeyRefresh = 30 * time.Second
	}
	if cfg.IdPJWKSRefresh <= 0 {
		cfg.IdPJWKSRefresh = 5 * time.Second
	}
	if cfg.Skew <= 0 {
		cfg.Skew = token.DefaultSkew
	}
	master, created, err := keys.LoadOrCreateMasterKey(cfg.MasterKeyFile, cfg.MasterKey, cfg.CreateMasterKey)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	alg, err := keys.ParseAlg(orDefault(cfg.SigningAlg, "ES256"))
	if err != nil {
		return nil, fmt.Errorf("signing algorithm: %w", err)
	}
	ttl := map[token.Kind]time.Duration{}
	if cfg.AuthzTokenTTL > 0 {
		ttl[token.Authz] = cfg.AuthzTokenTTL
	}
	var maxTTL time.Duration
	for _, k := range token.Kinds {
		maxTTL = max(maxTTL, k.DefaultTTL(), ttl[k])
	}
	ring, err := keys.Open(ctx, st, master, keys.Options{Alg: alg, JWKSCacheTTL: cfg.JWKSMaxAge, MaxTokenTTL: maxTTL})
	if err != nil {
		return nil, fmt.Errorf("open signing keys: %w", err)
	}
	go ring.Watch(ctx, cfg.KeyRefresh, func(err error) { log.Warn("signing keys refresh failed", "err", err) })

	p := &identityParts{keys: ring, createdMaster: created}
	p.rdb, err = cache.Connect(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	// A nil *redis.Client inside the interface would not be nil: the
	// caches would take it for a configured Redis.
	var rdb redis.UniversalClient
	if p.rdb != nil {
		rdb = p.rdb
	}
	prefix := orDefault(cfg.RedisPrefix, "sentinel:")
	deny := cache.NewDenylist(rdb, cache.DenylistOptions{Prefix: prefix, Logger: log})
	issuer, err := token.NewIssuer(ring, token.IssuerConfig{Issuer: cfg.IssuerURL, TTL: ttl})
	if err != nil {
		p.close()
		return nil, err
	}
	verifier, err := token.NewVerifier(ring, deny, users, token.VerifierConfig{Issuer: cfg.IssuerURL, Skew: cfg.Skew})
	if err != nil {
		p.close()
		return nil, err
	}
	p.tokens = identity.NewTokens(issuer, verifier, deny, cfg.Skew)
	var idp identity.IdPVerifier // stays a nil interface without providers
	if len(cfg.Providers) > 0 {
		jwks, err := cache.NewJWKS(rdb, cache.JWKSOptions{Prefix: prefix, Logger: log, Registerer: reg, RefreshInterval: cfg.IdPJWKSRefresh})
		if err != nil {
			p.close()
			return nil, err
		}
		p.host, err = plugins.NewHost(ctx, cfg.Providers, jwks, log)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("start identity provider plugins: %w", err)
		}
		p.exchanger = exchange.New(p.host, st, members, p.tokens)
		idp = p.host
	}
	p.login, err = newLogin(ctx, st, p.exchanger, members, loginParts{issuer, verifier, deny}, cfg, log)
	if err != nil {
		p.close()
		return nil, err
	}
	p.users = identity.NewAuthenticator(verifier, idp, st)
	go func() {
		<-ctx.Done()
		p.close()
	}()
	return p, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
