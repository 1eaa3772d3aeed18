// Package postgres is the PostgreSQL store.Store: the SQL of package
// sqlstore over a pgx connection pool, with LISTEN/NOTIFY to wake up
// changelog readers.
//
// All tables live in the connection's current schema, so one database can
// host several Sentinels (or test runs) by giving each a search_path in the
// URL, e.g. postgres://host/db?search_path=sentinel. Writers of one schema
// are serialized by a transaction-scoped advisory lock whose key is derived
// from the schema, and NOTIFY uses a channel named after it.
package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sentinel-auth/sentinel/migrations"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/sqlstore"
)

// Store is a store.Store on PostgreSQL.
type Store struct {
	*sqlstore.Store
	connConfig *pgx.ConnConfig // for the LISTEN connections
	channel    string          // NOTIFY channel of this schema
}

var _ store.Store = (*Store)(nil)

// Open connects to url (a pgx connection URL or keyword/value string; pool
// settings such as pool_max_conns are honoured), applies the migrations and
// returns the Store. Close releases the pool.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: parse url: %w", err)
	}
	if err := migrate(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: read current schema: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: no schema of the search_path exists")
	}
	lockKey, channel := lockKey(*schema), channelName(*schema)
	d := sqlstore.Dialect{
		Name:   "postgres",
		Rebind: sqlstore.DollarPlaceholders,
		LockWrites: func(ctx context.Context, tx sqlstore.Tx) error {
			_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey)
			return err
		},
		Notify: func(ctx context.Context, tx sqlstore.Tx) error {
			_, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", channel)
			return err
		},
	}
	return &Store{
		Store:      sqlstore.New(newPoolDB(pool), d),
		connConfig: cfg.ConnConfig.Copy(),
		channel:    channel,
	}, nil
}

// migrate applies the migrations through pgx's database/sql driver on a
// short-lived connection with the same settings (and search_path) as the pool.
func migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cc.Copy())
	defer db.Close()
	if err := migrations.Apply(ctx, db, migrations.Postgres); err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	return nil
}

// lockKey is the advisory lock that serializes the writers of one schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("sentinel-changelog:" + schema))
	return int64(h.Sum64())
}

// channelName is the NOTIFY channel of one schema: "sentinel_changelog_"
// and the schema reduced to [a-z0-9_], at most 63 bytes (PostgreSQL's
// identifier limit).
func channelName(schema string) string {
	var b strings.Builder
	b.WriteString("sentinel_changelog_")
	for _, r := range strings.ToLower(schema) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}
