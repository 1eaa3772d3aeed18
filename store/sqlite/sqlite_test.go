package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/sqlite"
	"github.com/sentinel-auth/sentinel/store/storetest"
)

var open = testenv.SQLiteStore

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
	storetest.RunWorkspaces(t, func(t *testing.T) storetest.WorkspaceStore { return open(t) })
	storetest.RunWorkspaceCascades(t, func(t *testing.T) storetest.CascadeStore { return open(t) })
	storetest.RunResources(t, func(t *testing.T) storetest.ResourceStore { return open(t) })
}

func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sentinel.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := s.CreateService(t.Context(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Migrations are applied once; data and times survive a reopen.
	s, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.ServiceByID(t.Context(), svc.ID)
	if err != nil || got != svc {
		t.Fatalf("after reopen: %+v, %v; want %+v", got, err, svc)
	}
	if s.Dialect() != "sqlite" || s.Notifications(t.Context()) != nil {
		t.Fatal("sqlite store: wrong dialect or non-nil notifications")
	}
}

func TestOpenRejectsBadPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "a.db?mode=ro"} {
		if s, err := sqlite.Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}
