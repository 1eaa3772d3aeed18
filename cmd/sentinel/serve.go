package main

import (
	"fmt"
	"net"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/app"
)

func newServe(g *globals) *cobra.Command {
	var (
		addr          string
		pprofAddr     string
		providersFile string
		gcPercent     int
		cfg           app.Config
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Sentinel server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := setGCPace(gcPercent, log); err != nil {
				return err
			}
			gin.SetMode(gin.ReleaseMode)
			cfg.Logger = log
			id := &cfg.Identity
			id.MasterKey, id.MasterKeyFile = g.masterKey, g.masterKeyPath()
			// Generating a master key is safe only where no other replica
			// could generate a different one: the embedded database.
			id.CreateMasterKey = g.embedded()
			if id.IssuerURL == "" {
				id.IssuerURL = defaultIssuer(addr)
			}
			if providersFile != "" {
				p, err := app.LoadProvidersFile(providersFile, nil)
				if err != nil {
					return err
				}
				id.Providers, id.Logins = p.Plugins, p.Logins
			}
			ctx := cmd.Context()
			if pprofAddr != "" {
				if err := servePprof(ctx, pprofAddr, log); err != nil {
					return err
				}
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			log.Info("store open", "dialect", st.Dialect())
			a, err := app.New(ctx, st, cfg)
			if err != nil {
				return err
			}
			if a.CreatedMasterKey {
				log.Warn("generated a master key for the signing keys; back it up, tokens cannot be signed without it", "file", id.MasterKeyFile)
			}
			if a.GeneratedAdminKey != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "\nGenerated the admin key (shown only once; set SENTINEL_ADMIN_KEY to use your own):\n\n    %s\n\n", a.GeneratedAdminKey)
			}
			return app.Serve(ctx, addr, a.Handler, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", ":9003", "address to listen on")
	f.IntVar(&gcPercent, "gc-percent", defaultGCPercent, "the collector's pace: collect when the heap has grown by this % of the live data (Go's GOGC; a GOGC environment variable wins)")
	f.StringVar(&pprofAddr, "pprof-addr", "", "serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060; off by default")
	f.StringVar(&cfg.AdminKey, "admin-key", "", "admin credential (prefer the SENTINEL_ADMIN_KEY environment variable)")
	f.DurationVar(&cfg.PollInterval, "poll-interval", 0, "changelog polling interval (default 1s on PostgreSQL with LISTEN/NOTIFY, 100ms on SQLite)")
	f.DurationVar(&cfg.KeyCacheTTL, "key-cache-ttl", 30*time.Second, "how long a verified service key is cached (revocations reach all replicas at once through the changelog)")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body")
	f.DurationVar(&cfg.ConsistencyTimeout, "consistency-timeout", time.Second, "how long a read waits for a requested revision before 503")
	f.StringSliceVar(&cfg.CORSOrigins, "cors-origins", nil, "browser origins allowed by CORS besides the service apps' allowed_origins (comma-separated, e.g. https://admin.example.com)")
	f.IntVar(&cfg.MaxDepth, "max-depth", 25, "resolution depth limit: deeper questions are refused as too complex")
	id := &cfg.Identity
	f.StringVar(&id.IssuerURL, "issuer-url", "", "public base URL of this server, the iss of its tokens (default http://localhost:<port of --addr>)")
	f.StringVar(&id.SigningAlg, "signing-alg", "ES256", "algorithm of the first signing key: ES256, RS256 (what the original Sentinel's SDKs expect) or EdDSA")
	f.DurationVar(&id.AuthzTokenTTL, "authz-token-ttl", 5*time.Minute, "lifetime of authz tokens")
	f.DurationVar(&id.JWKSMaxAge, "jwks-max-age", 5*time.Minute, "how long verifiers may cache /.well-known/jwks.json; a rotated key signs only after at least this long")
	f.DurationVar(&id.KeyRefresh, "key-refresh", 30*time.Second, "how often signing keys are reloaded from the database (rotations by `sentinel keys rotate` or other replicas)")
	f.DurationVar(&id.Skew, "clock-skew", 30*time.Second, "clock skew tolerated when verifying tokens")
	f.StringVar(&id.RedisURL, "redis-url", "", "Redis URL (redis://host:6379/0) shared by replicas for the IdP key cache and the token denylist; empty keeps both in process")
	f.DurationVar(&id.IdPJWKSRefresh, "idp-jwks-refresh", 5*time.Second, "least time between two refetches of an identity provider's JWKS for an unknown key id")
	f.StringVar(&providersFile, "providers-file", "", "YAML or JSON file listing the identity providers (verifier plugins); see README")
	f.StringVar(&id.AdminURL, "admin-url", "", "where the admin login sends the browser once the admin_token cookie is set (default: answer with the admin as JSON)")
	return cmd
}

// defaultIssuer derives the issuer URL from the listen address.
func defaultIssuer(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:9003"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
