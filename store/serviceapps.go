package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrInvalidServiceApp is wrapped by the service app methods when a name
// or an origin is malformed: nothing is written then.
var ErrInvalidServiceApp = errors.New("invalid service app")

// MaxServiceAppName bounds a service app's display name, in bytes.
const MaxServiceAppName = 255

// ServiceApp is what the original Sentinel called a service app: one of
// our services (its key is the service's key), with a display name, the
// browser origins allowed to call with it, and whether an administrator
// deactivated it. Every service is an app; one never given a record is
// named after its service, with no origins, active.
type ServiceApp struct {
	ServiceID      string
	Name           string   // the display name
	AllowedOrigins []string // each passes CheckOrigin; never nil
	// Active is false once an administrator deactivated the app (which
	// revoked its keys), until it is activated again. The service's keys
	// alone decide authentication: an active app without an active key
	// cannot authenticate either.
	Active    bool
	UpdatedAt time.Time // the service's creation time until a record changes
}

// ServiceAppSpec is what a new service app records besides its service.
type ServiceAppSpec struct {
	Name           string // "" means the service's name
	AllowedOrigins []string
}

// ServiceAppUpdate changes a service app's record; nil fields are kept.
type ServiceAppUpdate struct {
	Name           *string
	AllowedOrigins *[]string
}

// ServiceDeletion says what DeleteService removed.
type ServiceDeletion struct {
	Service   Service
	Resources int // registered resources (with their shares) of the service's name
	Actions   int // service actions of the service's name, taken from every role
	Tuples    int // the service's own tuples
	Keys      int
}

// ServiceAppStore keeps service apps and deletes services whole.
type ServiceAppStore interface {
	// CreateServiceApp creates the service (ErrAlreadyExists for a taken
	// name) and its app record in one transaction. It issues no key.
	CreateServiceApp(ctx context.Context, serviceName string, spec ServiceAppSpec) (Service, ServiceApp, error)
	// ServiceApp returns the service's app, or ErrNotFound for an unknown
	// service (the system service included).
	ServiceApp(ctx context.Context, serviceID string) (ServiceApp, error)
	// ServiceApps returns the app of every service (not the system
	// service), by service id.
	ServiceApps(ctx context.Context) (map[string]ServiceApp, error)
	// UpdateServiceApp applies u and returns the app.
	UpdateServiceApp(ctx context.Context, serviceID string, u ServiceAppUpdate) (ServiceApp, error)
	// SetServiceAppActive marks the app active or not. Deactivating also
	// revokes every key of the service now, in the same transaction, with
	// an OpKey change; activating issues no key.
	SetServiceAppActive(ctx context.Context, serviceID string, active bool) (ServiceApp, error)
	// DeleteService removes, in one transaction, the service's registered
	// resources and their shares and its service actions (by its name,
	// with their system tuples), then its own tuples (an OpDelete change
	// each, so every replica's engine drops them), models, keys (an OpKey
	// change) and app record, then the service. ErrNotFound for an
	// unknown service; the system service cannot be deleted.
	DeleteService(ctx context.Context, serviceID string) (ServiceDeletion, error)
}

// CheckServiceAppName validates a display name: not blank, at most
// MaxServiceAppName bytes.
func CheckServiceAppName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > MaxServiceAppName {
		return fmt.Errorf("%w: name must be 1 to %d bytes and not blank", ErrInvalidServiceApp, MaxServiceAppName)
	}
	return nil
}

// CheckOrigin validates an allowed origin: scheme://host[:port] with
// scheme http or https, as a browser sends it in Origin (no path, query,
// fragment or user info; at most 255 bytes).
func CheckOrigin(origin string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: origin %q %s", ErrInvalidServiceApp, origin, why)
	}
	if len(origin) > 255 {
		return bad("is longer than 255 bytes")
	}
	u, err := url.Parse(origin)
	if err != nil || strings.ContainsAny(origin, " \t\r\n\\") {
		return bad("is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must be http or https")
	case u.Hostname() == "" || u.Opaque != "" || u.User != nil:
		return bad("must be scheme://host[:port]")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(origin, "?#"):
		return bad("must have no path, query or fragment")
	}
	return nil
}
