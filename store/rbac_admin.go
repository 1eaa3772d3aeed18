package store

import "context"

// ServiceActionAdmin is what an administrator does to service actions
// across services (the original's /admin/service-actions).
type ServiceActionAdmin interface {
	// AllServiceActions lists the actions of every service, by service
	// name, then action.
	AllServiceActions(ctx context.Context) ([]ServiceAction, error)
	// DeleteServiceAction removes one action and takes it from every role
	// that had it (rows and system tuples, one transaction), and returns
	// it; ErrNotFound for an unknown id.
	DeleteServiceAction(ctx context.Context, id string) (ServiceAction, error)
}
