package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres"
	"github.com/sentinel-auth/sentinel/store/sqlite"
)

// globals are the flags every subcommand shares.
type globals struct {
	databaseURL   string
	dataDir       string
	logFormat     string
	logLevel      string
	masterKey     string
	masterKeyFile string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "sentinel",
		Short:         "Sentinel: authentication proxy and authorization service",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd.Flags())
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.databaseURL, "database-url", "", "PostgreSQL URL (postgres://…); empty uses the embedded SQLite database in --data-dir")
	pf.StringVar(&g.dataDir, "data-dir", "./data", "directory of the embedded SQLite database")
	pf.StringVar(&g.logFormat, "log-format", "json", "log format: json or text")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&g.masterKey, "master-key", "", "base64 of the 32-byte key that seals signing keys at rest (prefer SENTINEL_MASTER_KEY)")
	pf.StringVar(&g.masterKeyFile, "master-key-file", "", "file holding the master key when --master-key is unset (default <data-dir>/master.key; created on first start of the embedded database)")
	root.AddCommand(newServe(g), newMigrate(g), newAdmin(g), newModel(), newBench(), newKeys(g), newPlugins(g), newImport(g))
	return root
}

// bindEnv gives every flag not set on the command line the value of its
// environment variable: --database-url ← SENTINEL_DATABASE_URL.
func bindEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("environment variable %s: %w", name, serr)
			}
		}
	})
	return err
}

func envName(flag string) string {
	return "SENTINEL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func (g *globals) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", g.logLevel, err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", g.logFormat)
}

// embedded reports whether the store is the embedded SQLite database.
func (g *globals) embedded() bool {
	return g.databaseURL == "" || strings.HasPrefix(g.databaseURL, "sqlite:")
}

// masterKeyPath is --master-key-file or its default in the data directory.
func (g *globals) masterKeyPath() string {
	if g.masterKeyFile != "" {
		return g.masterKeyFile
	}
	return filepath.Join(g.dataDir, "master.key")
}

// openStore opens (and migrates) PostgreSQL if a URL is configured, else
// the embedded SQLite database.
func (g *globals) openStore(ctx context.Context) (store.Store, error) {
	if g.databaseURL != "" && !strings.HasPrefix(g.databaseURL, "sqlite:") {
		st, err := postgres.Open(ctx, g.databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return st, nil
	}
	path := filepath.Join(g.dataDir, "sentinel.db")
	if p, ok := strings.CutPrefix(g.databaseURL, "sqlite:"); ok && p != "" {
		path = strings.TrimPrefix(p, "//")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return st, nil
}

func newMigrate(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "%s database is migrated to the latest version\n", st.Dialect())
			return nil
		},
	}
}
