package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

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

func (f *fakeModels) WriteModel(_ context.Context, _, dsl, _ string) (store.Model, error) {
	f.written = append(f.written, dsl)
	return store.Model{Version: 1}, f.writeErr
}

// TestEnsureSystemModel: when it writes, and that a failure to read or
// write the model stops the start (fail closed: no server without it).
func TestEnsureSystemModel(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		store   fakeModels
		writes  int
		wantErr error
	}{
		{"no model yet: write", fakeModels{readErr: store.ErrNoModel}, 1, nil},
		{"current is the default: nothing", fakeModels{current: store.Model{DSL: policies.DefaultModel}}, 0, nil},
		{"current differs: write", fakeModels{current: store.Model{DSL: "model\n  schema 1.1\ntype user\n"}}, 1, nil},
		{"read fails: error, no write", fakeModels{readErr: boom}, 0, boom},
		{"system service missing: error, no write", fakeModels{readErr: store.ErrNotFound}, 0, store.ErrNotFound},
		{"write fails: error", fakeModels{readErr: store.ErrNoModel, writeErr: boom}, 1, boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ensureSystemModel(t.Context(), &c.store, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Errorf("error: got %v, want %v", err, c.wantErr)
			}
			if len(c.store.written) != c.writes {
				t.Fatalf("%d writes, want %d", len(c.store.written), c.writes)
			}
			for _, dsl := range c.store.written {
				if dsl != policies.DefaultModel {
					t.Errorf("wrote a model other than the default:\n%s", dsl)
				}
			}
		})
	}
}
