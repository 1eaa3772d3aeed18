package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/store"
)

// newKeys manages Sentinel's token signing keys in the database; running
// servers pick changes up at their next key refresh.
func newKeys(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the keys that sign Sentinel's tokens"}
	var jwksMaxAge time.Duration
	open := func(cmd *cobra.Command) (*keys.Keyring, store.Store, error) {
		st, err := g.openStore(cmd.Context())
		if err != nil {
			return nil, nil, err
		}
		master, _, err := keys.LoadOrCreateMasterKey(g.masterKeyPath(), g.masterKey, false)
		if err != nil {
			st.Close()
			return nil, nil, fmt.Errorf("master key: %w", err)
		}
		ring, err := keys.Open(cmd.Context(), st, master, keys.Options{JWKSCacheTTL: jwksMaxAge})
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		return ring, st, nil
	}
	cmd.PersistentFlags().DurationVar(&jwksMaxAge, "jwks-max-age", 5*time.Minute, "the servers' --jwks-max-age: a new key signs no sooner than this")

	var (
		alg   string
		delay time.Duration
	)
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Publish a new signing key now; it signs after --delay (old keys stay published until their tokens expire)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ring, st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			a, err := keys.ParseAlg(alg)
			if err != nil {
				return err
			}
			if delay == 0 {
				delay = jwksMaxAge
			}
			info, err := ring.Rotate(cmd.Context(), a, delay)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new key %s (%s) is published now and signs from %s\n",
				info.KID, info.Alg, info.SignFrom.Format(time.RFC3339))
			return nil
		},
	}
	rotate.Flags().StringVar(&alg, "alg", "ES256", "algorithm of the new key: ES256, RS256 or EdDSA")
	rotate.Flags().DurationVar(&delay, "delay", 0, "how long until the new key signs (default and minimum: --jwks-max-age)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the signing keys and when each signs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ring, st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			signer, err := ring.Signer(now)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "KID\tALG\tSIGNS FROM\tSIGNS UNTIL\tSTATE")
			for _, k := range ring.Keys() {
				state := "retired"
				switch {
				case k.KID == signer.KID:
					state = "signing"
				case k.SignFrom.After(now):
					state = "published, not signing yet"
				}
				until := "-"
				if !k.SignUntil.IsZero() {
					until = k.SignUntil.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.KID, k.Alg, k.SignFrom.Format(time.RFC3339), until, state)
			}
			return w.Flush()
		},
	}
	cmd.AddCommand(rotate, list)
	return cmd
}
