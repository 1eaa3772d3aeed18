package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/cache"
	"github.com/sentinel-auth/sentinel/plugins"
)

func newPlugins(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "Identity provider verifier plugins"}
	var providersFile string
	list := &cobra.Command{
		Use:   "list",
		Short: "Start every configured provider's plugin and show its health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if providersFile == "" {
				return fmt.Errorf("--providers-file (or SENTINEL_PROVIDERS_FILE) is required")
			}
			configs, err := app.LoadProviders(providersFile)
			if err != nil {
				return err
			}
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			jwks, err := cache.NewJWKS(nil, cache.JWKSOptions{Logger: log})
			if err != nil {
				return err
			}
			host, err := plugins.NewHost(cmd.Context(), configs, jwks, log)
			if err != nil {
				return err
			}
			defer host.Close()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tPLUGIN\tHEALTH")
			unhealthy := 0
			for _, s := range host.Providers(cmd.Context()) {
				health := "ok"
				if !s.Healthy {
					health, unhealthy = "unhealthy: "+s.Error, unhealthy+1
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", s.Name, s.Plugin, health)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if unhealthy > 0 {
				return fmt.Errorf("%d of %d providers are unhealthy", unhealthy, len(configs))
			}
			return nil
		},
	}
	list.Flags().StringVar(&providersFile, "providers-file", "", "the providers file the server uses")
	cmd.AddCommand(list)
	return cmd
}
