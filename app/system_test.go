package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// systemModel is what the server installs: the default model with the
// RBAC types.
var systemModel = policies.DefaultModel + policies.RBACModel

// TestStartInstallsDefaultModel: a server start makes the default model
// (with the RBAC types) the system service's current model before datasync loads the store, restarts
// add no version, and a start after the model changed installs it again.
func TestStartInstallsDefaultModel(t *testing.T) {
	for name, open := range map[string]func(*testing.T) store.Store{
		"sqlite":   func(t *testing.T) store.Store { return testenv.SQLiteStore(t) },
		"postgres": func(t *testing.T) store.Store { return testenv.PostgresStore(t) },
	} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			cfg := app.Config{AdminKey: "sa_" + "test-admin-key-of-the-system-model-test", Identity: apptest.Identity(t),
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			start := func() *app.App {
				t.Helper()
				ctx, cancel := context.WithCancel(t.Context())
				t.Cleanup(cancel)
				a, err := app.New(ctx, st, cfg)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			a := start()
			assertModel(t, st, 1, 1)

			// The engine evaluates system tuples with it right away.
			rev, err := st.WriteTuples(t.Context(), store.SystemServiceID, store.TupleWrite{
				ModelID: currentID(t, st),
				Writes: []tuple.Tuple{{
					Object: tuple.Object{Type: "resource", ID: "notes/note/6f1c0e8a-2d4b-4c3e-9a5f-0b1c2d3e4f50"}, Relation: "owner",
					User: tuple.User{Type: "user", ID: "2c9e7b1a-5d3f-4e6a-8b0c-1d2e3f4a5b6c"},
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := a.Sync.WaitFor(wctx, rev); err != nil {
				t.Fatal(err)
			}
			res, err := a.Engine.Check(t.Context(), store.SystemServiceID, engine.CheckRequest{
				Object:   tuple.Object{Type: "resource", ID: "notes/note/6f1c0e8a-2d4b-4c3e-9a5f-0b1c2d3e4f50"},
				Relation: "edit", User: tuple.User{Type: "user", ID: "2c9e7b1a-5d3f-4e6a-8b0c-1d2e3f4a5b6c"},
			})
			if err != nil || !res.Allowed {
				t.Fatalf("the owner's edit check on a system resource: %v, %v; want allowed", res.Allowed, err)
			}

			start()
			assertModel(t, st, 1, 1) // a restart adds no version

			// Another model became current (an older release's, say).
			other, err := model.ParseDSL("model\n  schema 1.1\ntype user\n")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.WriteModel(t.Context(), store.SystemServiceID, other.DSL(), other.JSON()); err != nil {
				t.Fatal(err)
			}
			start()
			assertModel(t, st, 3, 3)
		})
	}
}

// assertModel checks that the system service's current model is the
// built-in model at version, and that its changelog holds models OpModel rows.
func assertModel(t *testing.T, st store.Store, version, models int) {
	t.Helper()
	cur, err := st.CurrentModel(t.Context(), store.SystemServiceID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.DSL != systemModel || cur.Version != version {
		t.Errorf("current system model: version %d (the built-in one: %v), want version %d of the built-in one", cur.Version, cur.DSL == systemModel, version)
	}
	changes, err := st.Changes(t.Context(), store.SystemServiceID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range changes {
		if c.Op == store.OpModel {
			n++
		}
	}
	if n != models {
		t.Errorf("the system changelog holds %d model rows, want %d", n, models)
	}
}

func currentID(t *testing.T, st store.Store) string {
	t.Helper()
	cur, err := st.CurrentModel(t.Context(), store.SystemServiceID)
	if err != nil {
		t.Fatal(err)
	}
	return cur.ID
}
