package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
)

// systemModel is the system service's model: the built-in default model
// of workspaces, groups and resources, extended with the types of custom
// RBAC (roles and actions), so the system tuples of both are admitted.
func systemModel() string { return policies.DefaultModel + policies.RBACModel }

// modelStore is what installing the system model needs of the store.
type modelStore interface {
	CurrentModel(ctx context.Context, serviceID string) (store.Model, error)
	WriteModel(ctx context.Context, serviceID, dsl, jsonModel string, opts ...store.ModelOptions) (store.Model, error)
}

// ensureSystemModel makes dsl (systemModel) the current model of the
// system service, whose tuples mirror workspaces, groups, resources and
// roles. A new model version is written only when the current one is not
// exactly dsl, so restarts add no
// versions and an upgrade that changes the model installs it once. It runs
// before datasync loads the store, so the first snapshot already evaluates
// system tuples with it. Any failure stops the start: a server must not
// answer resource questions without its model.
//
// Two replicas starting together may both write it; the versions are
// identical, so that is harmless.
func ensureSystemModel(ctx context.Context, st modelStore, dsl string, log *slog.Logger) error {
	cur, err := st.CurrentModel(ctx, store.SystemServiceID)
	switch {
	case err == nil && cur.DSL == dsl:
		return nil
	case err != nil && !errors.Is(err, store.ErrNoModel):
		return fmt.Errorf("read the system service's model: %w", err)
	}
	m, err := model.ParseDSL(dsl)
	if err != nil {
		return fmt.Errorf("parse the built-in system model: %w", err)
	}
	saved, err := st.WriteModel(ctx, store.SystemServiceID, m.DSL(), m.JSON())
	if err != nil {
		return fmt.Errorf("install the built-in system model: %w", err)
	}
	log.Info("installed the built-in model of workspaces, groups and resources", "version", saved.Version)
	return nil
}
