// Package app assembles a Sentinel server from its parts: store, engine,
// datasync, authentication and the HTTP API. cmd/sentinel runs it; tests
// start it in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sentinel-auth/sentinel/api"
	"github.com/sentinel-auth/sentinel/datasync"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/identity/adminkey"
	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/identity/userstatus"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// Config is everything a server needs besides its store.
type Config struct {
	// AdminKey is the configured admin credential; if empty and none is
	// stored, one is generated and reported through GeneratedAdminKey.
	AdminKey           string
	PollInterval       time.Duration
	KeyCacheTTL        time.Duration
	MaxBodyBytes       int64
	ConsistencyTimeout time.Duration
	// CORSOrigins are browser origins allowed besides the service apps'
	// allowed_origins (an admin UI, say).
	CORSOrigins []string
	// MaxDepth bounds resolution depth (default 25); deeper questions are
	// refused as too complex.
	MaxDepth int
	Logger   *slog.Logger

	Identity IdentityConfig
}

// IdentityConfig configures tokens, signing keys and identity providers.
type IdentityConfig struct {
	// IssuerURL is the iss of Sentinel's tokens: its public base URL.
	IssuerURL string
	// MasterKey (base64 of 32 bytes) seals the signing keys at rest; when
	// empty the key is read from MasterKeyFile, which is created if
	// CreateMasterKey is set (the embedded single-node default).
	MasterKey       string
	MasterKeyFile   string
	CreateMasterKey bool
	// SigningAlg is the algorithm of the first signing key (ES256).
	SigningAlg string
	// AuthzTokenTTL is the lifetime of authz tokens (5m).
	AuthzTokenTTL time.Duration
	// JWKSMaxAge is how long verifiers may cache the JWKS; a rotated key
	// signs only after at least this long (5m).
	JWKSMaxAge time.Duration
	// KeyRefresh is how often signing keys are reloaded from the store,
	// so a rotation by another process is seen (30s).
	KeyRefresh time.Duration
	// Skew is the clock skew tolerated when verifying tokens (30s).
	Skew time.Duration
	// RedisURL, when set, shares the IdP JWKS cache and the token
	// denylist between replicas; empty keeps both in process.
	RedisURL string
	// IdPJWKSRefresh is the least time between two refreshes of an IdP's
	// JWKS caused by an unknown kid (5s): it bounds both how long a key
	// rotation at the IdP can go unseen and how often tokens with made-up
	// kids can make Sentinel fetch.
	IdPJWKSRefresh time.Duration
	// RedisPrefix starts every Redis key ("sentinel:").
	RedisPrefix string
	// Providers are the identity providers (verifier plugins).
	Providers []plugins.ProviderConfig
	// Logins are the providers' login blocks: proxy-mode login, the admin
	// login and the GitHub login run only for providers that have one.
	Logins []login.Config
	// AdminURL is where the admin login sends the browser once the
	// admin_token cookie is set; empty answers the callback with the
	// admin's JSON instead.
	AdminURL string
}

// App is a running Sentinel (datasync tailing) ready to serve HTTP.
type App struct {
	Handler http.Handler
	Sync    *datasync.Syncer
	Engine  *engine.Engine
	// GeneratedAdminKey is set once, when this start generated the admin
	// credential: print it to the operator, it is not stored in clear.
	GeneratedAdminKey string
	Load              datasync.LoadStats
	// CreatedMasterKey is set when this start generated the master key
	// file (embedded default).
	CreatedMasterKey bool
	Keys             *keys.Keyring
	Plugins          *plugins.Host // nil without providers
}

// New loads the store into the engine and starts datasync; it runs until
// ctx ends.
func New(ctx context.Context, st store.Store, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.KeyCacheTTL <= 0 {
		cfg.KeyCacheTTL = 30 * time.Second
	}
	for _, o := range cfg.CORSOrigins {
		if err := store.CheckOrigin(o); err != nil {
			return nil, fmt.Errorf("--cors-origins: %w", err)
		}
	}
	admin, generated, err := adminkey.Bootstrap(ctx, st, cfg.AdminKey)
	if err != nil {
		return nil, err
	}
	if err := ensureSystemModel(ctx, st, systemModel(), cfg.Logger); err != nil {
		return nil, err
	}
	eng, err := engine.New(ctx, engine.Options{MaxDepth: cfg.MaxDepth,
		DirectoryService: store.SystemServiceID, DirectoryTypes: store.DirectoryTypes})
	if err != nil {
		return nil, err
	}
	auth := servicekey.NewAuthenticator(st, cfg.KeyCacheTTL)
	users := userstatus.New(st)
	syncer := datasync.New(st, eng, datasync.Options{
		PollInterval: cfg.PollInterval,
		OnKeyChange:  auth.Invalidate,
		OnUserChange: users.Invalidate,
		Logger:       cfg.Logger,
	})
	reg := prometheus.NewRegistry()
	id, err := newIdentity(ctx, st, users, newMembership(st, eng), cfg.Identity, reg, cfg.Logger)
	if err != nil {
		return nil, err
	}
	stats, err := syncer.Start(ctx)
	if err != nil {
		id.close()
		return nil, err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sentinel_datasync_applied_revision",
		Help: "Newest changelog revision applied to the in-memory store.",
	}, func() float64 { return float64(syncer.Applied()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "sentinel_datasync_rows_applied_total",
		Help: "Changelog rows applied to the in-memory store since the initial load.",
	}, func() float64 { return float64(syncer.AppliedRows()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sentinel_datasync_loaded_revision",
		Help: "Changelog revision of the snapshot loaded at start.",
	}, func() float64 { return float64(stats.Revision) }))
	apiCfg := api.Config{
		Store: st, Engine: eng, Sync: syncer, Keys: auth, Admin: admin, Logger: cfg.Logger,
		Registry: reg, MaxBodyBytes: cfg.MaxBodyBytes, ConsistencyTimeout: cfg.ConsistencyTimeout, CORSOrigins: cfg.CORSOrigins,
		Tokens: id.tokens, PublicKeys: id.keys, Users: st, UserAuth: id.users,
		IssuerURL: cfg.Identity.IssuerURL, JWKSMaxAge: cfg.Identity.JWKSMaxAge,
	}
	if id.rdb != nil {
		rdb := id.rdb
		apiCfg.RedisPing = func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
	}
	if id.exchanger != nil { // a nil *Exchanger in the interface would not be nil
		apiCfg.Exchanger = id.exchanger
	}
	if id.login != nil { // likewise
		apiCfg.Login, apiCfg.AdminURL = id.login, cfg.Identity.AdminURL
	}
	srv := api.New(apiCfg)
	return &App{
		Handler: srv, Sync: syncer, Engine: eng, GeneratedAdminKey: generated, Load: stats,
		CreatedMasterKey: id.createdMaster, Keys: id.keys, Plugins: id.host,
	}, nil
}

// Serve serves h on addr until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
