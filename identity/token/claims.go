package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Claims are a token's claims. Issue fills the registered ones (Issuer,
// ID, Audience, IssuedAt, ExpiresAt, Kind) and ignores what the caller put
// there; Verify returns them all. Each kind carries only its own fields:
//
//	access:       Subject, Email, Name, WorkspaceID, WorkspaceSlug, WorkspaceRole, Groups
//	refresh:      Subject, Family
//	admin_access: Subject, Email, Name, Admin (always true)
//	authz:        Subject, IdpSub, Service, WorkspaceID, WorkspaceSlug, WorkspaceRole, Groups, Actions
//
// Groups and Actions are always present in the token, [] when empty;
// they are nil in Claims only for kinds that do not carry them.
type Claims struct {
	Issuer    string
	ID        string // jti
	Audience  string
	IssuedAt  time.Time
	ExpiresAt time.Time
	Kind      Kind // the type claim

	Subject       string // the user's id
	Email         string
	Name          string
	Admin         bool
	Family        string // fid: the refresh token family
	IdpSub        string // idp_sub: the IdP subject the authz token is bound to
	Service       string // svc
	WorkspaceID   string // wid
	WorkspaceSlug string // wslug
	WorkspaceRole string // wrole
	Groups        []string
	Actions       []string
}

// wire is the JSON form of every kind; nil pointers are absent claims.
type wire struct {
	Iss     string    `json:"iss"`
	Sub     string    `json:"sub"`
	Jti     string    `json:"jti"`
	Aud     audience  `json:"aud"`
	Email   *string   `json:"email,omitempty"`
	Name    *string   `json:"name,omitempty"`
	Admin   *bool     `json:"admin,omitempty"`
	Fid     *string   `json:"fid,omitempty"`
	IdpSub  *string   `json:"idp_sub,omitempty"`
	Svc     *string   `json:"svc,omitempty"`
	Wid     *string   `json:"wid,omitempty"`
	Wslug   *string   `json:"wslug,omitempty"`
	Wrole   *string   `json:"wrole,omitempty"`
	Groups  *[]string `json:"groups,omitempty"`
	Actions *[]string `json:"actions,omitempty"`
	Iat     *float64  `json:"iat"`
	Exp     *float64  `json:"exp"`
	Nbf     *float64  `json:"nbf,omitempty"`
	Type    string    `json:"type"`
}

// audience is aud: one string (what Sentinel writes) or an array.
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

func (a *audience) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		return json.Unmarshal(b, (*[]string)(a))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*a = audience{s}
	return nil
}

func (a audience) contains(s string) bool {
	for _, x := range a {
		if x == s {
			return true
		}
	}
	return false
}

func str(s string) *string { return &s }

func list(l []string) *[]string {
	l = nonNil(l)
	return &l
}

func unix(t time.Time) *float64 {
	f := float64(t.Unix())
	return &f
}

// required lists claims a kind cannot do without, checked when issuing and
// when verifying (a token missing one is refused).
func required(k Kind, c *Claims) error {
	missing := func(name string) error { return fmt.Errorf("%s token without %s", k, name) }
	if c.Subject == "" {
		return missing("sub")
	}
	switch k {
	case Refresh:
		if c.Family == "" {
			return missing("fid")
		}
	case Access:
		if c.WorkspaceID == "" || c.WorkspaceRole == "" {
			return missing("wid and wrole")
		}
	case Authz:
		switch {
		case c.IdpSub == "":
			return missing("idp_sub")
		case c.Service == "":
			return missing("svc")
		case (c.WorkspaceID == "") != (c.WorkspaceRole == ""):
			// A workspace-less authz token (no wid, no wrole) is what
			// AuthZ mode issues before the user picks a workspace; a
			// workspace without a role is never valid.
			return missing("wid and wrole together")
		}
	case Admin:
		if !c.Admin {
			return missing("admin: true")
		}
	}
	return nil
}

// encode writes the claims of kind k (registered claims already set).
func encode(k Kind, c *Claims) ([]byte, error) {
	w := wire{
		Iss: c.Issuer, Sub: c.Subject, Jti: c.ID, Aud: audience{k.Audience()},
		Iat: unix(c.IssuedAt), Exp: unix(c.ExpiresAt), Type: string(k),
	}
	switch k {
	case Access:
		w.Email, w.Name = str(c.Email), str(c.Name)
		w.Wid, w.Wslug, w.Wrole = str(c.WorkspaceID), str(c.WorkspaceSlug), str(c.WorkspaceRole)
		w.Groups = list(c.Groups)
	case Refresh:
		w.Fid = str(c.Family)
	case Admin:
		admin := true
		w.Email, w.Name, w.Admin = str(c.Email), str(c.Name), &admin
	case Authz:
		w.IdpSub, w.Svc = str(c.IdpSub), str(c.Service)
		w.Wid, w.Wslug, w.Wrole = str(c.WorkspaceID), str(c.WorkspaceSlug), str(c.WorkspaceRole)
		w.Groups, w.Actions = list(c.Groups), list(c.Actions)
	default:
		return nil, fmt.Errorf("unknown token kind %q", k)
	}
	return json.Marshal(&w)
}

// errMalformedTime: a time claim is not a plausible NumericDate.
var errMalformedTime = errors.New("time claim out of range")

func numericDate(f *float64) (time.Time, bool, error) {
	if f == nil {
		return time.Time{}, false, nil
	}
	// Seconds since 1970, before the year 5000; NaN fails both tests.
	if !(*f >= 0 && *f < 1e11) {
		return time.Time{}, true, errMalformedTime
	}
	sec, frac := math.Modf(*f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// derefList is nil for an absent list, non-nil for a present one.
func derefList(p *[]string) []string {
	if p == nil {
		return nil
	}
	if *p == nil {
		return []string{}
	}
	return *p
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// project keeps the claims kind k carries: what a token of that kind
// holds after a round trip.
func project(k Kind, c Claims) Claims {
	out := Claims{Issuer: c.Issuer, ID: c.ID, Audience: c.Audience, IssuedAt: c.IssuedAt,
		ExpiresAt: c.ExpiresAt, Kind: c.Kind, Subject: c.Subject}
	switch k {
	case Access:
		out.Email, out.Name = c.Email, c.Name
		out.WorkspaceID, out.WorkspaceSlug, out.WorkspaceRole = c.WorkspaceID, c.WorkspaceSlug, c.WorkspaceRole
		out.Groups = nonNil(c.Groups)
	case Refresh:
		out.Family = c.Family
	case Admin:
		out.Email, out.Name, out.Admin = c.Email, c.Name, true
	case Authz:
		out.IdpSub, out.Service = c.IdpSub, c.Service
		out.WorkspaceID, out.WorkspaceSlug, out.WorkspaceRole = c.WorkspaceID, c.WorkspaceSlug, c.WorkspaceRole
		out.Groups, out.Actions = nonNil(c.Groups), nonNil(c.Actions)
	}
	return out
}

// claims converts a decoded payload (times are checked by the caller).
func (w *wire) claims(iat, exp time.Time) Claims {
	c := Claims{
		Issuer: w.Iss, ID: w.Jti, IssuedAt: iat, ExpiresAt: exp, Kind: Kind(w.Type),
		Subject: w.Sub, Email: deref(w.Email), Name: deref(w.Name),
		Admin: w.Admin != nil && *w.Admin, Family: deref(w.Fid),
		IdpSub: deref(w.IdpSub), Service: deref(w.Svc),
		WorkspaceID: deref(w.Wid), WorkspaceSlug: deref(w.Wslug), WorkspaceRole: deref(w.Wrole),
		Groups: derefList(w.Groups), Actions: derefList(w.Actions),
	}
	if c.Kind.valid() {
		c.Audience = c.Kind.Audience()
	}
	return c
}
