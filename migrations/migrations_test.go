package migrations

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
)

// openDB returns an empty database of the dialect, closed when t ends.
func openDB(t *testing.T, dialect string) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	switch dialect {
	case SQLite:
		db, err = sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	case Postgres:
		db, err = sql.Open("pgx", pgtest.URL(t))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestApply(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{SQLite, Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openDB(t, dialect)

			st, err := Status(ctx, db, dialect)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if len(st) == 0 || st[0].Version != 1 || st[0].Name != "00001_init.sql" || st[0].Applied {
				t.Fatalf("Status before Apply = %+v", st)
			}
			for range 2 { // idempotent
				if err := Apply(ctx, db, dialect); err != nil {
					t.Fatalf("Apply: %v", err)
				}
			}
			st, err = Status(ctx, db, dialect)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			for _, m := range st {
				if !m.Applied || m.AppliedAt.IsZero() {
					t.Fatalf("after Apply: %+v", m)
				}
			}
			for _, table := range []string{"services", "service_keys", "admin_keys", "models", "tuples", "changelog"} {
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
					t.Fatalf("table %s: %v", table, err)
				}
			}

			// Every Down section works, and Up again after it.
			p, err := newProvider(ctx, db, dialect)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 0); err != nil {
				t.Fatalf("down: %v", err)
			}
			if _, err := db.ExecContext(ctx, "SELECT count(*) FROM tuples"); err == nil {
				t.Fatal("tuples still exists after down")
			}
			if err := Apply(ctx, db, dialect); err != nil {
				t.Fatalf("Apply after down: %v", err)
			}
		})
	}
}

func TestUnknownDialect(t *testing.T) {
	t.Parallel()
	db := openDB(t, SQLite)
	if err := Apply(t.Context(), db, "oracle"); err == nil {
		t.Fatal("Apply accepted an unknown dialect")
	}
	if _, err := Status(t.Context(), db, "oracle"); err == nil {
		t.Fatal("Status accepted an unknown dialect")
	}
}
