package testenv

import (
	"path/filepath"
	"testing"

	"github.com/sentinel-auth/sentinel/store/postgres"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/sqlite"
)

// SQLiteStore opens a store in a fresh file under t.TempDir, closed when t ends.
func SQLiteStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sub", "sentinel.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sqlite store: %v", err)
		}
	})
	return s
}

// PostgresStore opens a store on a fresh schema of the test database (see
// pgtest.URL), closed when t ends.
func PostgresStore(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close postgres store: %v", err)
		}
	})
	return s
}
