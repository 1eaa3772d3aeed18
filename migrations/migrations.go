// Package migrations holds Sentinel's versioned SQL schema, one goose
// migration set per dialect, and applies it with goose's Provider API (no
// goose global state, so several databases can be migrated concurrently in
// one process, as the tests do).
//
// Migration files are named NNNNN_name.sql and contain "-- +goose Up" and
// "-- +goose Down" sections. A change to the schema is always a new file;
// an applied file is never edited.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Dialect names accepted by Apply and Status; they match store.Store.Dialect.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Migration is one migration and its state in a database.
type Migration struct {
	Version   int64
	Name      string // file name, e.g. "00001_init.sql"
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

// Apply brings db up to the newest migration of dialect. On PostgreSQL it
// holds a session advisory lock (one per schema) meanwhile, so that several
// processes starting at once do not migrate the same schema concurrently.
func Apply(ctx context.Context, db *sql.DB, dialect string) error {
	p, err := newProvider(ctx, db, dialect)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply %s migrations: %w", dialect, err)
	}
	return nil
}

// Status lists every known migration of dialect and whether db has it.
func Status(ctx context.Context, db *sql.DB, dialect string) ([]Migration, error) {
	p, err := newProvider(ctx, db, dialect)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s migration status: %w", dialect, err)
	}
	out := make([]Migration, 0, len(st))
	for _, s := range st {
		out = append(out, Migration{
			Version:   s.Source.Version,
			Name:      path.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// newProvider returns a goose provider over the migration files of dialect.
func newProvider(ctx context.Context, db *sql.DB, dialect string) (*goose.Provider, error) {
	var (
		gd   goose.Dialect
		opts []goose.ProviderOption
	)
	switch dialect {
	case Postgres:
		gd = goose.DialectPostgres
		locker, err := postgresLocker(ctx, db)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case SQLite:
		gd = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	return p, nil
}

// postgresLocker returns a goose session locker whose advisory lock id is
// derived from the current schema: migrations of different schemas (tests)
// do not wait for each other, migrations of the same one are serialized.
func postgresLocker(ctx context.Context, db *sql.DB) (lock.SessionLocker, error) {
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("migrations: read current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("sentinel-migrations:" + schema))
	l, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64())),
		lock.WithLockTimeout(1, 300), // poll every second, for up to 5 minutes
	)
	if err != nil {
		return nil, fmt.Errorf("migrations: session locker: %w", err)
	}
	return l, nil
}
