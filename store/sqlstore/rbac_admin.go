package sqlstore

import (
	"context"
	"fmt"

	"github.com/sentinel-auth/sentinel/store"
)

var _ store.ServiceActionAdmin = (*Store)(nil)

// AllServiceActions lists every service's actions by service name, then
// action.
func (s *Store) AllServiceActions(ctx context.Context) ([]store.ServiceAction, error) {
	out, err := queryServiceActions(ctx, s.c, `SELECT `+serviceActionColumns+` FROM service_actions
		ORDER BY service_name, action`)
	if err != nil {
		return nil, fmt.Errorf("list service actions: %w", err)
	}
	return out, nil
}

// DeleteServiceAction removes one action, and it from every role that had
// it (rows and action tuples), in one transaction; an unknown id is
// store.ErrNotFound.
func (s *Store) DeleteServiceAction(ctx context.Context, id string) (store.ServiceAction, error) {
	var a store.ServiceAction
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		a, err = scanServiceAction(w.c.queryRow(ctx, `SELECT `+serviceActionColumns+` FROM service_actions WHERE id = ?`, id))
		if err != nil {
			return err
		}
		w.produce(a)
		_, err = w.deleteServiceActions(ctx, now(), `id = ?`, id)
		return err
	})
	if err != nil {
		return store.ServiceAction{}, fmt.Errorf("delete service action %s: %w", id, err)
	}
	return a, nil
}
