package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrInvalidClientApp is wrapped by the client app methods when a name or
// a redirect URI is malformed: nothing is written then.
var ErrInvalidClientApp = errors.New("invalid client app")

// MaxClientAppName bounds a client app's name, in bytes.
const MaxClientAppName = 255

// ClientAppSpec is a new client app.
type ClientAppSpec struct {
	Name         string
	RedirectURIs []string // each passes CheckRedirectURI
	CreatedBy    string   // a user id, or "" (the admin credential)
}

// ClientAppUpdate changes a client app; nil fields are kept.
type ClientAppUpdate struct {
	Name         *string
	RedirectURIs *[]string
	Active       *bool
}

// ClientAppStore keeps the client apps: the applications allowed to start
// a proxy-mode login, and the redirect URIs each may ask for. They have no
// tuples: nothing is decided on them but the login's redirect.
type ClientAppStore interface {
	// CreateClientApp stores a new, active client app with a random id.
	// A malformed name or redirect URI is ErrInvalidClientApp.
	CreateClientApp(ctx context.Context, spec ClientAppSpec) (ClientApp, error)
	// ClientApp returns the client app with that id, or ErrNotFound.
	ClientApp(ctx context.Context, id string) (ClientApp, error)
	// ClientApps lists every client app by name, then id.
	ClientApps(ctx context.Context) ([]ClientApp, error)
	// UpdateClientApp applies u and returns the app as stored; UpdatedAt
	// changes only if something did. ErrNotFound for an unknown id,
	// ErrInvalidClientApp for a malformed value.
	UpdateClientApp(ctx context.Context, id string, u ClientAppUpdate) (ClientApp, error)
	// DeleteClientApp removes the client app (ErrNotFound if none).
	DeleteClientApp(ctx context.Context, id string) error
}

// CheckClientAppName validates a client app's name: not blank, at most
// MaxClientAppName bytes.
func CheckClientAppName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > MaxClientAppName {
		return fmt.Errorf("%w: name must be 1 to %d bytes and not blank", ErrInvalidClientApp, MaxClientAppName)
	}
	return nil
}

// CheckRedirectURI validates a redirect URI a client app may ask a login
// to return to: an absolute http or https URL with a host, no user info
// and no fragment (RFC 6749 §3.1.2), at most 2048 bytes. It is compared
// exactly at login, so it is stored as given.
func CheckRedirectURI(uri string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: redirect URI %q %s", ErrInvalidClientApp, uri, why)
	}
	if len(uri) > 2048 {
		return bad("is longer than 2048 bytes")
	}
	if strings.ContainsAny(uri, " \t\r\n\\") {
		return bad("contains a space or a backslash")
	}
	u, err := url.Parse(uri)
	if err != nil {
		return bad("is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must be http or https")
	case u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		return bad("must be absolute, with a host")
	case u.User != nil:
		return bad("must not carry user info")
	case u.Fragment != "" || strings.Contains(uri, "#"):
		return bad("must not have a fragment")
	}
	return nil
}
