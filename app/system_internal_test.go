package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
)

// fakeModels is a modelStore whose answers a test chooses.
type fakeModels struct {
	current  store.Model
	readErr  error
	writeErr error
	written  []string // DSL of each WriteModel call
}

func (f *fakeModels) CurrentModel(context.Context, string) (store.Model, error) {
	return f.current, f.readErr
}

func (f *fakeModels) WriteModel(_ context.Context, _, dsl, _ string, _ ...store.ModelOptions) (store.Model, error) {
	f.written = append(f.written, dsl)
	return store.Model{Version: 1}, f.writeErr
}

// TestEnsureSystemModel: when it writes, and that a failure to read or
// write the model stops the start (fail closed: no server without it).
func TestEnsureSystemModel(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		dsl     string
		store   fakeModels
		writes  int
		wantErr error
	}{
		{"no model yet: write", policies.DefaultModel, fakeModels{readErr: store.ErrNoModel}, 1, nil},
		{"current is the default: nothing", policies.DefaultModel, fakeModels{current: store.Model{DSL: policies.DefaultModel}}, 0, nil},
		{"current differs: write", policies.DefaultModel, fakeModels{current: store.Model{DSL: "model\n  schema 1.1\ntype user\n"}}, 1, nil},
		{"read fails: error, no write", policies.DefaultModel, fakeModels{readErr: boom}, 0, boom},
		{"system service missing: error, no write", policies.DefaultModel, fakeModels{readErr: store.ErrNotFound}, 0, store.ErrNotFound},
		{"write fails: error", policies.DefaultModel, fakeModels{readErr: store.ErrNoModel, writeErr: boom}, 1, boom},
		{"a broken model: error, no write", "model\n  schema 1.1\ntype user\n  relations\n    define x: y\n", fakeModels{readErr: store.ErrNoModel}, 0, model.ErrInvalidModel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ensureSystemModel(t.Context(), &c.store, c.dsl, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if !errors.Is(err, c.wantErr) {
				t.Errorf("error: got %v, want %v", err, c.wantErr)
			}
			if len(c.store.written) != c.writes {
				t.Fatalf("%d writes, want %d", len(c.store.written), c.writes)
			}
			for _, dsl := range c.store.written {
				if dsl != c.dsl {
					t.Errorf("wrote a model other than the one given:\n%s", dsl)
				}
			}
		})
	}
}

// TestSystemModel: the model the server installs parses, and has the
// types of the default model and of RBAC.
func TestSystemModel(t *testing.T) {
	m, err := model.ParseDSL(systemModel())
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"user", "workspace", "group", "resource", "role", "action"} {
		if !m.HasType(typ) {
			t.Errorf("type %s is missing", typ)
		}
	}
}
