package sqlstore

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Service actions: what a service lets roles grant ("notes:export"). They
// have no tuples of their own; a role's actions do (rbac_roles.go).

const serviceActionColumns = "id, service_name, action, description, created_at"

// rbacServiceNameRe is the form of a service name (COMPAT.md).
var rbacServiceNameRe = regexp.MustCompile(`^[a-z][a-z0-9_.-]*$`)

// rbacMaxName bounds service, action and role names, in bytes.
const rbacMaxName = 100

// invalidRBAC wraps store.ErrInvalidRBAC with what is wrong.
func invalidRBAC(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrInvalidRBAC, fmt.Sprintf(format, args...))
}

// checkServiceName validates a service name.
func checkServiceName(name string) error {
	if len(name) > rbacMaxName || !rbacServiceNameRe.MatchString(name) {
		return invalidRBAC("service name %q must match %s (at most %d bytes)", name, rbacServiceNameRe, rbacMaxName)
	}
	return nil
}

// checkActionName validates an action name: printable, no spaces.
func checkActionName(action string) error {
	if action == "" || len(action) > rbacMaxName || !utf8.ValidString(action) {
		return invalidRBAC("action %q must be 1 to %d bytes of UTF-8", action, rbacMaxName)
	}
	if i := strings.IndexFunc(action, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }); i >= 0 {
		return invalidRBAC("action %q contains a space or a control character", action)
	}
	return nil
}

// RegisterActions inserts the service's actions, or updates the description
// of those registered already (a nil Description keeps it), in one
// transaction, and returns them in request order (a repeated name once, at
// its first place, with its last description). Nothing is written if any
// name is invalid.
func (s *Store) RegisterActions(ctx context.Context, serviceName string, specs []store.ActionSpec) ([]store.ServiceAction, error) {
	if err := checkServiceName(serviceName); err != nil {
		return nil, fmt.Errorf("register actions: %w", err)
	}
	var order []string
	last := map[string]store.ActionSpec{}
	for _, sp := range specs {
		if err := checkActionName(sp.Action); err != nil {
			return nil, fmt.Errorf("register actions of service %q: %w", serviceName, err)
		}
		if _, seen := last[sp.Action]; !seen {
			order = append(order, sp.Action)
		} else if sp.Description == nil {
			sp.Description = last[sp.Action].Description
		}
		last[sp.Action] = sp
	}
	out := make([]store.ServiceAction, 0, len(order))
	at := now()
	err := s.writeTx(ctx, func(w *writer) error {
		for _, name := range order {
			sp := last[name]
			desc, keep := "", sp.Description == nil
			if !keep {
				desc = *sp.Description
			}
			// ON CONFLICT … DO UPDATE with RETURNING works alike on both
			// engines; CASE keeps the stored description when asked to.
			a, err := scanServiceAction(w.c.queryRow(ctx, `INSERT INTO service_actions (`+serviceActionColumns+`)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (service_name, action) DO UPDATE
				SET description = CASE WHEN ? THEN service_actions.description ELSE excluded.description END
				RETURNING `+serviceActionColumns,
				uuid.NewString(), serviceName, name, desc, at, keep))
			if err != nil {
				return fmt.Errorf("upsert action %q: %w", name, err)
			}
			out = append(out, a)
		}
		w.produce(out)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("register actions of service %q: %w", serviceName, err)
	}
	return out, nil
}

// ServiceActions lists the service's actions ordered by name.
func (s *Store) ServiceActions(ctx context.Context, serviceName string) ([]store.ServiceAction, error) {
	out, err := queryServiceActions(ctx, s.c, `SELECT `+serviceActionColumns+` FROM service_actions
		WHERE service_name = ? ORDER BY action`, serviceName)
	if err != nil {
		return nil, fmt.Errorf("actions of service %q: %w", serviceName, err)
	}
	return out, nil
}

// DeleteServiceActions removes every action of the service, takes each
// from the roles that had it (rows and action tuples), and returns how many
// actions it removed.
func (s *Store) DeleteServiceActions(ctx context.Context, serviceName string) (int, error) {
	if err := checkServiceName(serviceName); err != nil {
		return 0, fmt.Errorf("delete actions: %w", err)
	}
	var n int
	err := s.writeTx(ctx, func(w *writer) error {
		var err error
		n, err = w.deleteServiceActions(ctx, now(), `service_name = ?`, serviceName)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete actions of service %q: %w", serviceName, err)
	}
	return n, nil
}

// deleteServiceActions deletes the service actions matching where (a
// condition on service_actions, a constant of this package), takes them
// from the roles that had them (rows and action tuples), and returns how
// many actions it deleted.
func (w *writer) deleteServiceActions(ctx context.Context, at time.Time, where string, args ...any) (int, error) {
	grants, err := w.grantTuples(ctx, `sa.`+where, args...)
	if err != nil {
		return 0, err
	}
	if _, err := w.c.exec(ctx, `DELETE FROM role_actions WHERE service_action_id IN
		(SELECT id FROM service_actions WHERE `+where+`)`, args...); err != nil {
		return 0, fmt.Errorf("delete role actions: %w", err)
	}
	n, err := w.c.exec(ctx, `DELETE FROM service_actions WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("delete actions: %w", err)
	}
	return int(n), w.systemTuples(ctx, nil, grants, at)
}

// grantTuples returns the action tuples of the role_actions rows matching
// where, a condition over role_actions ra, roles r and service_actions sa
// (a constant of this package, never input).
func (w *writer) grantTuples(ctx context.Context, where string, args ...any) ([]tuple.Tuple, error) {
	rows, err := w.c.query(ctx, `SELECT r.workspace_id, ra.service_action_id, ra.role_id FROM role_actions ra
		JOIN roles r ON r.id = ra.role_id JOIN service_actions sa ON sa.id = ra.service_action_id
		WHERE `+where+` ORDER BY ra.role_id, ra.service_action_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read role actions: %w", err)
	}
	var out []tuple.Tuple
	err = scanAll(rows, func(r Rows) error {
		var wid, aid, rid string
		if err := r.Scan(&wid, &aid, &rid); err != nil {
			return err
		}
		out = append(out, grantTuple(wid, aid, rid))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read role actions: %w", err)
	}
	return out, nil
}

// queryServiceActions runs a query selecting serviceActionColumns.
func queryServiceActions(ctx context.Context, c conn, query string, args ...any) ([]store.ServiceAction, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []store.ServiceAction
	err = scanAll(rows, func(r Rows) error {
		a, err := scanServiceAction(r)
		out = append(out, a)
		return err
	})
	return out, err
}

// scanServiceAction scans one row of serviceActionColumns; no row is
// store.ErrNotFound.
func scanServiceAction(r Row) (store.ServiceAction, error) {
	var a store.ServiceAction
	if err := r.Scan(&a.ID, &a.ServiceName, &a.Action, &a.Description, &a.CreatedAt); err != nil {
		return store.ServiceAction{}, notFound(err)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}
