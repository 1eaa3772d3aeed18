package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/store/postgres"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
	"github.com/sentinel-auth/sentinel/store/storetest"
	"github.com/sentinel-auth/sentinel/tuple"
)

// open returns a Store on url, closed when t ends.
func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
	storetest.RunWorkspaces(t, func(t *testing.T) storetest.WorkspaceStore { return open(t, pgtest.URL(t)) })
	storetest.RunWorkspaceCascades(t, func(t *testing.T) storetest.CascadeStore { return open(t, pgtest.URL(t)) })
	storetest.RunResources(t, func(t *testing.T) storetest.ResourceStore { return open(t, pgtest.URL(t)) })
}

func TestReopen(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a := open(t, url)
	svc, err := a.CreateService(t.Context(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	// A second Store on the same schema: migrations are already applied.
	b := open(t, url)
	got, err := b.ServiceByID(t.Context(), svc.ID)
	if err != nil || got != svc {
		t.Fatalf("second store: %+v, %v; want %+v", got, err, svc)
	}
	if b.Dialect() != "postgres" {
		t.Fatalf("Dialect = %q", b.Dialect())
	}
}

// wait fails unless ch yields a value within d.
func wait(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-time.After(d):
		t.Fatalf("%s: no notification within %v", what, d)
	}
}

// quiet fails if ch yields a value within d.
func quiet(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: unexpected notification", what)
	case <-time.After(d):
	}
}

func TestNotifications(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	writer, reader := open(t, url), open(t, url)
	other := open(t, pgtest.URL(t)) // another schema

	ctx, cancel := context.WithCancel(t.Context())
	ch := reader.Notifications(ctx)
	wait(t, ch, 10*time.Second, "after connect")

	svc, err := writer.CreateService(t.Context(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	quiet(t, ch, 200*time.Millisecond, "CreateService (no changelog row)")
	if _, err := writer.WriteModel(t.Context(), svc.ID, "dsl", "{}"); err != nil {
		t.Fatal(err)
	}
	wait(t, ch, 10*time.Second, "after WriteModel by another Store")
	if _, err := writer.WriteTuples(t.Context(), svc.ID, store.TupleWrite{
		Writes: []tuple.Tuple{{Object: tuple.Object{Type: "doc", ID: "1"}, Relation: "viewer", User: tuple.User{Type: "user", ID: "anne"}}},
	}); err != nil {
		t.Fatal(err)
	}
	wait(t, ch, 10*time.Second, "after WriteTuples by another Store")

	// A write in another schema does not wake this one.
	osvc, err := other.CreateService(t.Context(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.WriteModel(t.Context(), osvc.ID, "dsl", "{}"); err != nil {
		t.Fatal(err)
	}
	quiet(t, ch, 300*time.Millisecond, "write in another schema")

	// A failed (rolled back) write does not notify.
	_, err = writer.WriteTuples(t.Context(), svc.ID, store.TupleWrite{
		Writes: []tuple.Tuple{{Object: tuple.Object{Type: "doc", ID: "1"}, Relation: "viewer", User: tuple.User{Type: "user", ID: "anne"}}},
	})
	if err == nil {
		t.Fatal("duplicate write succeeded")
	}
	quiet(t, ch, 300*time.Millisecond, "rolled back write")

	cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed after ctx ended")
		}
	}
}

// TestNotificationsReconnect kills the listening backend and expects the
// listener to reconnect and signal again.
func TestNotificationsReconnect(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	s := open(t, url)
	ch := s.Notifications(t.Context())
	wait(t, ch, 10*time.Second, "after connect")

	admin, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var schema string
	if err := admin.QueryRow(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf(`LISTEN "sentinel_changelog_%s"`, schema)
	var killed int
	for range 50 {
		err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE query = $1 AND pid <> pg_backend_pid()`, listen).Scan(&killed)
		if err != nil {
			t.Fatal(err)
		}
		if killed > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if killed == 0 {
		t.Fatalf("no backend found running %s", listen)
	}
	wait(t, ch, 10*time.Second, "after reconnect")
}
