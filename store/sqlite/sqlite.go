// Package sqlite is the embedded store.Store: the SQL of package sqlstore
// over modernc.org/sqlite (pure Go, no cgo), in WAL mode.
//
// SQLite has a single writer: write transactions are BEGIN IMMEDIATE, so
// changelog revisions commit in ascending order without further locking.
// Times are stored as unix microseconds (see adapter.go). There is no
// cross-process notification: Notifications returns nil and readers poll.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sentinel-auth/sentinel/migrations"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/sqlstore"
)

// Store is a store.Store in an SQLite file.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it and its directory if needed) the database file at
// path, applies the migrations and returns the Store. Close releases it.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open sqlite %q: the path must be non-empty and contain no '?' or '#'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	sdb, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	if err := migrations.Apply(ctx, sdb, migrations.SQLite); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	return &Store{Store: sqlstore.New(newDB(sdb), sqlstore.Dialect{Name: "sqlite"})}, nil
}

// dsn is the modernc.org/sqlite data source name of the file at path: WAL
// (readers never block the writer), a 10 s busy timeout (for writers of
// other processes), foreign keys on, synchronous=NORMAL (durable at each
// WAL checkpoint, safe against corruption), and BEGIN IMMEDIATE for write
// transactions (take the write lock up front, so no upgrade can fail).
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}
