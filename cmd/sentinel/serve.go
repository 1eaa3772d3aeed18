package main

import (
	"fmt"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/app"
)

func newServe(g *globals) *cobra.Command {
	var (
		addr string
		cfg  app.Config
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
			gin.SetMode(gin.ReleaseMode)
			cfg.Logger = log
			ctx := cmd.Context()
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
			if a.GeneratedAdminKey != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "\nGenerated the admin key (shown only once; set SENTINEL_ADMIN_KEY to use your own):\n\n    %s\n\n", a.GeneratedAdminKey)
			}
			return app.Serve(ctx, addr, a.Handler, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", ":9003", "address to listen on")
	f.StringVar(&cfg.AdminKey, "admin-key", "", "admin credential (prefer the SENTINEL_ADMIN_KEY environment variable)")
	f.DurationVar(&cfg.PollInterval, "poll-interval", 0, "changelog polling interval (default 1s on PostgreSQL with LISTEN/NOTIFY, 100ms on SQLite)")
	f.DurationVar(&cfg.KeyCacheTTL, "key-cache-ttl", 30*time.Second, "how long a verified service key is cached (revocations reach all replicas at once through the changelog)")
	f.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest accepted request body")
	f.DurationVar(&cfg.ConsistencyTimeout, "consistency-timeout", time.Second, "how long a read waits for a requested revision before 503")
	f.IntVar(&cfg.MaxDepth, "max-depth", 25, "resolution depth limit: deeper questions are refused as too complex")
	return cmd
}
