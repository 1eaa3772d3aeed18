// Package pgtest gives each test its own PostgreSQL schema, so tests can run
// in parallel against one database without seeing each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the database used when SENTINEL_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test"

// URL creates a fresh schema t_<random hex> in the test database and returns
// a connection URL whose search_path is that schema; the schema is dropped
// (CASCADE) when the test ends. The database is SENTINEL_TEST_DATABASE_URL,
// or DefaultURL; it must be a URL (postgres://…), not a keyword/value string.
//
// If PostgreSQL cannot be reached the test is skipped, or fails when the
// environment variable CI is non-empty (CI must not skip silently).
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SENTINEL_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: PostgreSQL at %s is unreachable (CI is set, so this fails): %v", redact(base), err)
		}
		t.Skipf("pgtest: PostgreSQL at %s is unreachable, skipping (set SENTINEL_TEST_DATABASE_URL): %v", redact(base), err)
	}
	defer conn.Close(context.Background())

	schema := "t_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: parse %s: %v", redact(base), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// redact hides the password of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
