// Package token issues and verifies Sentinel's own JWTs: access, refresh,
// admin and authz tokens (COMPAT.md "Tokens"), signed by identity/keys.
//
// Verification follows RFC 8725: the algorithm is the one of the key found
// by kid among Sentinel's published keys, never the header's choice; no
// key is ever taken from the token (jku, x5u, x5c, jwk are ignored); iss,
// aud and the type claim must match the expected kind; and a denylist and
// the user's status are consulted, both failing closed.
package token

import "time"

// Kind is a token kind; its value is the token's "type" claim.
type Kind string

// The kinds Sentinel issues.
const (
	Access  Kind = "access"
	Refresh Kind = "refresh"
	Admin   Kind = "admin_access"
	Authz   Kind = "authz"
)

// Kinds lists every kind.
var Kinds = []Kind{Access, Refresh, Admin, Authz}

// Audience is the aud claim of tokens of kind k.
func (k Kind) Audience() string {
	switch k {
	case Access:
		return "sentinel:access"
	case Refresh:
		return "sentinel:refresh"
	case Admin:
		return "sentinel:admin"
	case Authz:
		return "sentinel:authz"
	}
	return ""
}

// DefaultTTL is the lifetime of tokens of kind k unless configured.
func (k Kind) DefaultTTL() time.Duration {
	switch k {
	case Access:
		return 15 * time.Minute
	case Refresh:
		return 7 * 24 * time.Hour
	case Admin:
		return time.Hour
	case Authz:
		return 5 * time.Minute
	}
	return 0
}

func (k Kind) valid() bool { return k.Audience() != "" }
