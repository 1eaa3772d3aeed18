package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/store"
)

// newImport is `sentinel import`: move the original (Python) Sentinel's
// data into this Sentinel's store, ids and times kept, in one transaction.
func newImport(g *globals) *cobra.Command {
	var (
		from      string
		dryRun    bool
		strict    bool
		providers map[string]string
	)
	cmd := &cobra.Command{
		Use:   "import --from postgres://…/original_db",
		Short: "Import the original Sentinel's data (users, workspaces, groups, permissions, roles, apps, activity) into an empty store",
		Long: `Import reads the original (Python) Sentinel's PostgreSQL database in one
read-only snapshot and writes it into this Sentinel's store (--database-url or
the embedded database in --data-dir) in one transaction: all of it or nothing.
Ids and times are kept, so apps' stored references keep working, and so do the
service apps' keys (only their SHA-256 was stored; it is what Sentinel checks).

The store must not have users, workspaces, service actions or client apps yet.
Rows Sentinel's rules refuse (a share to someone outside the resource's
workspace, a role held by a former member, …) are skipped and listed; --strict
fails instead. --dry-run does everything and rolls back.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return errors.New("--from is required: the original Sentinel's PostgreSQL URL")
			}
			ctx := cmd.Context()
			orig, err := readOriginal(ctx, from, providers)
			if err != nil {
				return err
			}
			if strict && len(orig.dropped) > 0 {
				printSkipped(cmd.ErrOrStderr(), orig.dropped)
				return fmt.Errorf("%w: %d rows of the original cannot be placed", store.ErrInvalidImport, len(orig.dropped))
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			imp, ok := st.(store.Importer)
			if !ok {
				return fmt.Errorf("the %s store cannot import", st.Dialect())
			}
			rep, err := imp.Import(ctx, orig.snap, store.ImportOptions{DryRun: dryRun, Strict: strict})
			rep.Skipped = append(orig.dropped, rep.Skipped...)
			if err != nil {
				printSkipped(cmd.ErrOrStderr(), rep.Skipped)
				return err
			}
			printImport(cmd.OutOrStdout(), st.Dialect(), orig, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "PostgreSQL URL of the original Sentinel's database (read only; add ?search_path=… if its tables are not in public)")
	f.BoolVar(&dryRun, "dry-run", false, "do everything, print the summary, then roll back")
	f.BoolVar(&strict, "strict", false, "fail instead of skipping rows Sentinel's rules refuse")
	f.StringToStringVar(&providers, "provider-map", nil, "rename social account providers to the names of your providers file, e.g. microsoft=entra_id")
	return cmd
}

// printImport writes the summary: per table, the original's rows, those
// imported and those skipped; then the skipped rows and what has no place.
func printImport(w io.Writer, dialect string, o *original, rep store.ImportReport) {
	skipped := map[string]int{}
	for _, s := range rep.Skipped {
		skipped[s.Table]++
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tREAD\tIMPORTED\tSKIPPED")
	for _, t := range store.ImportTables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", t, o.read[t], rep.Imported[t], skipped[t])
	}
	tw.Flush()
	fmt.Fprintf(w, "system tuples: %d\n", rep.SystemTuples)
	if len(rep.ReusedServices) > 0 {
		fmt.Fprintf(w, "services that existed already and received the keys: %s\n", strings.Join(rep.ReusedServices, ", "))
	}
	if len(o.missing) > 0 {
		fmt.Fprintf(w, "tables the original database does not have (nothing to import): %s\n", strings.Join(o.missing, ", "))
	}
	printSkipped(w, rep.Skipped)
	if len(o.apps) > 0 {
		fmt.Fprintln(w, "service apps: Sentinel keeps their service and key; re-enter display names and allowed origins if you use them:")
		for _, a := range o.apps {
			fmt.Fprintf(w, "  %s: name %q, allowed origins [%s]\n", a.Service, a.Name, strings.Join(a.Origins, " "))
		}
	}
	if rep.DryRun {
		fmt.Fprintf(w, "dry run: nothing was written to the %s store\n", dialect)
		return
	}
	fmt.Fprintf(w, "imported into the %s store at revision %d\n", dialect, rep.Revision)
}

// printSkipped lists the skipped rows and why.
func printSkipped(w io.Writer, skips []store.ImportSkip) {
	if len(skips) == 0 {
		return
	}
	fmt.Fprintf(w, "skipped %d rows:\n", len(skips))
	for _, s := range skips {
		fmt.Fprintf(w, "  %s %s: %s\n", s.Table, s.ID, s.Reason)
	}
}
