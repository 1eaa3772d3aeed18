package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/api"
	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/store"
)

// newAdmin groups the bootstrap commands; they act on the database directly,
// so they work before any server runs.
func newAdmin(g *globals) *cobra.Command {
	admin := &cobra.Command{Use: "admin", Short: "Manage services and their keys"}
	withStore := func(run func(cmd *cobra.Command, st store.Store, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			return run(cmd, st, args)
		}
	}
	printIssued := func(cmd *cobra.Command, is servicekey.Issued) {
		out := cmd.OutOrStdout()
		fmt.Fprintf(out, "service: %s (%s)\nkey id:  %s\nkey:     %s\n", is.Service.Name, is.Service.ID, is.Key.ID, is.Secret)
		fmt.Fprintln(cmd.ErrOrStderr(), "Store the key now: it is shown only once.")
	}

	create := &cobra.Command{
		Use:   "create-service NAME",
		Short: "Create a service and print its first key (once)",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(func(cmd *cobra.Command, st store.Store, args []string) error {
			if !api.ValidServiceName(args[0]) {
				return fmt.Errorf("service name %q must start with a lowercase letter and use only a-z 0-9 _ . - (at most 64)", args[0])
			}
			key, err := servicekey.New()
			if err != nil {
				return err
			}
			// Recorded with the service's write, as the API does (the
			// key's id is not known yet: its prefix names it).
			ctx := store.WithActivityOf(cmd.Context(), func(svc store.Service) ([]store.ActivityEntry, error) {
				return cliEntry("service.created", svc.ID, map[string]any{"name": svc.Name, "key_prefix": key.Display})
			})
			is, err := servicekey.CreateServiceWith(ctx, st, args[0], key)
			if err != nil {
				return err
			}
			printIssued(cmd, is)
			return nil
		}),
	}

	var grace time.Duration
	rotate := &cobra.Command{
		Use:   "rotate-key NAME",
		Short: "Issue a new key; the service's other keys keep working for --grace",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(func(cmd *cobra.Command, st store.Store, args []string) error {
			ctx := store.WithActivityOf(cmd.Context(), func(k store.Key) ([]store.ActivityEntry, error) {
				return cliEntry("service.key_rotated", k.ServiceID,
					map[string]any{"name": args[0], "key_id": k.ID, "key_prefix": k.Prefix, "grace": grace.String()})
			})
			is, err := servicekey.Rotate(ctx, st, args[0], grace)
			if err != nil {
				return err
			}
			printIssued(cmd, is)
			fmt.Fprintf(cmd.ErrOrStderr(), "Other keys of %s stop working in %s.\n", args[0], grace)
			return nil
		}),
	}
	rotate.Flags().DurationVar(&grace, "grace", 24*time.Hour, "how long the previous keys keep working")

	revoke := &cobra.Command{
		Use:   "revoke-key NAME KEY_ID",
		Short: "Revoke one key of a service at once (see list-keys for ids)",
		Args:  cobra.ExactArgs(2),
		RunE: withStore(func(cmd *cobra.Command, st store.Store, args []string) error {
			svc, err := st.ServiceByName(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("revoke key of %q: %w", args[0], err)
			}
			entries, err := cliEntry("service.key_revoked", svc.ID, map[string]any{"name": args[0], "key_id": args[1]})
			if err != nil {
				return err
			}
			if err := servicekey.Revoke(store.WithActivity(cmd.Context(), entries...), st, args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked key %s of %s\n", args[1], args[0])
			return nil
		}),
	}

	listKeys := &cobra.Command{
		Use:   "list-keys NAME",
		Short: "List a service's keys",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(func(cmd *cobra.Command, st store.Store, args []string) error {
			_, keys, err := servicekey.List(cmd.Context(), st, args[0])
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPREFIX\tCREATED\tEXPIRES\tREVOKED\tACTIVE")
			now := time.Now()
			for _, k := range keys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\n", k.ID, k.Prefix, k.CreatedAt.Format(time.RFC3339),
					optTime(k.ExpiresAt), optTime(k.RevokedAt), k.Active(now))
			}
			return tw.Flush()
		}),
	}

	listServices := &cobra.Command{
		Use:   "list-services",
		Short: "List services",
		Args:  cobra.NoArgs,
		RunE: withStore(func(cmd *cobra.Command, st store.Store, _ []string) error {
			svcs, err := st.ListServices(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tID\tCREATED")
			for _, s := range svcs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.ID, s.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}
	admin.AddCommand(create, rotate, revoke, listKeys, listServices)
	return admin
}

// cliEntry is the activity entry of an admin command: the same actions the
// API records for the same changes, by the administrator at the command
// line, written in the change's transaction like the API's.
func cliEntry(action, serviceID string, detail map[string]any) ([]store.ActivityEntry, error) {
	d, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("activity detail of %s: %w", action, err)
	}
	return []store.ActivityEntry{{Action: action, ActorType: store.ActorAdmin, ActorLabel: "command line (sentinel admin)",
		TargetType: "service", TargetID: serviceID, Detail: d}}, nil
}

func optTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
