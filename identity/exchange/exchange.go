// Package exchange is Sentinel's AuthZ mode: an app hands over a user's
// identity-provider token, Sentinel verifies it (through a verifier
// plugin), provisions the user on first sight and answers with the user,
// their workspaces and, for a chosen workspace, a short-lived authz token
// bound to the IdP subject (idp_sub) and to the calling service (svc).
package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// Errors of Exchange; the API maps each to a status code.
var (
	// ErrInvalidToken: the IdP token was refused (wraps the reason). It
	// is the plugins' error, so a plugin's reason passes through as is.
	ErrInvalidToken = plugins.ErrInvalidToken
	// ErrUnknownProvider: no provider of that name is configured.
	ErrUnknownProvider = plugins.ErrUnknownProvider
	// ErrEmailUnverified: the IdP does not vouch for the email.
	ErrEmailUnverified = errors.New("the identity provider did not verify the email address")
	// ErrEmailTaken: the email belongs to a user signed in through another
	// identity; accounts are never linked by email.
	ErrEmailTaken = errors.New("the email address belongs to an account of another identity provider")
	// ErrInactive: the user is deactivated.
	ErrInactive = errors.New("user is deactivated")
	// ErrNotMember: the user is not a member of the requested workspace.
	ErrNotMember = errors.New("user is not a member of the workspace")
)

// Verifier verifies IdP tokens of configured providers (plugins.Host).
type Verifier interface {
	Verify(ctx context.Context, provider, rawToken string) (plugins.Identity, error)
}

// Users provisions users (store.Store).
type Users interface {
	ProvisionUser(ctx context.Context, s store.IdentitySighting) (store.User, bool, error)
	// AcceptInvitations turns the pending invitations of a new user's
	// email into memberships.
	AcceptInvitations(ctx context.Context, userID, email string) ([]store.Membership, error)
}

// Workspace is a user's membership in a workspace.
type Workspace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Role string `json:"role"`
}

// Membership answers which workspaces a user belongs to, with the groups
// and actions an authz token for one of them carries.
// service is the asking service's name.
type Membership interface {
	WorkspacesOf(ctx context.Context, service, userID string) ([]Workspace, error)
	// Grant returns the user's membership in the workspace with their
	// groups and the service's actions they may do there; ErrNotMember if
	// not a member.
	Grant(ctx context.Context, service, userID, workspaceID string) (w Workspace, groups, actions []string, err error)
}

// Grant is what an authz token asserts.
type Grant struct {
	UserID    string
	IdpSub    string
	ServiceID string // the service whose key asked
	Service   string // its name: the svc claim
	Workspace Workspace
	Groups    []string
	Actions   []string
}

// Minter signs authz tokens (identity/token).
type Minter interface {
	MintAuthz(ctx context.Context, g Grant) (token string, ttl time.Duration, err error)
}

// Exchanger runs the exchange; safe for concurrent use.
type Exchanger struct {
	verifier   Verifier
	users      Users
	membership Membership // nil: no workspaces exist yet
	minter     Minter
}

// New returns an Exchanger. membership may be nil until workspaces exist:
// every user then has no workspace.
func New(v Verifier, u Users, m Membership, minter Minter) *Exchanger {
	return &Exchanger{verifier: v, users: u, membership: m, minter: minter}
}

// Request is one exchange.
type Request struct {
	ServiceID   string
	ServiceName string // the svc claim of the token
	Provider    string
	IDPToken    string
	WorkspaceID string // optional
}

// Result is the answer: Workspaces without a workspace request, Token and
// Workspace with one.
type Result struct {
	User       store.User
	Identity   plugins.Identity
	Workspaces []Workspace
	Workspace  *Workspace
	Token      string
	ExpiresIn  time.Duration
}

// Exchange verifies the IdP token and provisions the user; with a
// workspace it mints an authz token for it.
func (e *Exchanger) Exchange(ctx context.Context, r Request) (Result, error) {
	u, id, err := e.SignIn(ctx, r.Provider, r.IDPToken, nil)
	if err != nil {
		return Result{}, err
	}
	res := Result{User: u, Identity: id}
	if r.WorkspaceID == "" {
		res.Workspaces = []Workspace{}
		if e.membership != nil {
			ws, err := e.membership.WorkspacesOf(ctx, r.ServiceName, u.ID)
			if err != nil {
				return Result{}, fmt.Errorf("list workspaces of user %s: %w", u.ID, err)
			}
			res.Workspaces = ws
		}
		return res, nil
	}
	if e.membership == nil {
		return Result{}, ErrNotMember
	}
	w, groups, actions, err := e.membership.Grant(ctx, r.ServiceName, u.ID, r.WorkspaceID)
	if err != nil {
		return Result{}, err
	}
	return e.mint(ctx, res, Grant{
		UserID: u.ID, IdpSub: id.Subject, ServiceID: r.ServiceID, Service: r.ServiceName,
		Workspace: w, Groups: groups, Actions: actions,
	})
}

// SignIn verifies an IdP token with the provider's plugin and provisions
// its user: on first sight a new user, whose pending invitations become
// memberships. It is the one sign-in path of AuthZ mode and of proxy-mode
// login. check, when set, inspects the verified identity before anything
// is written (proxy-mode login checks the ID token's nonce there); its
// error is returned as is. The errors are Exchange's: ErrUnknownProvider,
// ErrInvalidToken, ErrEmailUnverified, ErrEmailTaken, ErrInactive, or a
// failure to verify or to store.
func (e *Exchanger) SignIn(ctx context.Context, provider, rawToken string, check func(plugins.Identity) error) (store.User, plugins.Identity, error) {
	if provider == "" {
		return store.User{}, plugins.Identity{}, fmt.Errorf("%w: provider is required", ErrUnknownProvider)
	}
	if strings.TrimSpace(rawToken) == "" {
		return store.User{}, plugins.Identity{}, fmt.Errorf("%w: idp_token is empty", ErrInvalidToken)
	}
	id, err := e.verifier.Verify(ctx, provider, rawToken)
	switch {
	case errors.Is(err, plugins.ErrUnknownProvider):
		return store.User{}, plugins.Identity{}, fmt.Errorf("%w %q", ErrUnknownProvider, provider)
	case errors.Is(err, plugins.ErrInvalidToken):
		return store.User{}, plugins.Identity{}, err
	case err != nil:
		// The plugin failed (crashed, timed out): fail closed, as an
		// outage rather than a verdict on the token.
		return store.User{}, plugins.Identity{}, fmt.Errorf("verify identity token with provider %q: %w", provider, err)
	}
	if id.Subject == "" {
		return store.User{}, plugins.Identity{}, fmt.Errorf("%w: the provider returned no subject", ErrInvalidToken)
	}
	if id.Email == "" || !id.EmailVerified {
		return store.User{}, plugins.Identity{}, ErrEmailUnverified
	}
	if check != nil {
		if err := check(id); err != nil {
			return store.User{}, plugins.Identity{}, err
		}
	}
	if id.Claims == nil {
		id.Claims = map[string]any{}
	}
	claims, err := json.Marshal(id.Claims)
	if err != nil {
		return store.User{}, plugins.Identity{}, fmt.Errorf("encode identity claims: %w", err)
	}
	u, created, err := e.users.ProvisionUser(ctx, store.IdentitySighting{
		Provider: id.Provider, Subject: id.Subject, Issuer: id.Issuer,
		Email: id.Email, Name: id.Name, AvatarURL: id.Picture, Claims: claims,
	})
	if errors.Is(err, store.ErrEmailTaken) {
		return store.User{}, plugins.Identity{}, ErrEmailTaken
	}
	if err != nil {
		return store.User{}, plugins.Identity{}, fmt.Errorf("provision user: %w", err)
	}
	if !u.Active {
		return store.User{}, plugins.Identity{}, ErrInactive
	}
	if created {
		// Invitations wait for the invitee's first sign-in. (Later ones
		// to a known email become memberships at once.)
		if _, err := e.users.AcceptInvitations(ctx, u.ID, u.Email); err != nil {
			return store.User{}, plugins.Identity{}, fmt.Errorf("accept invitations of user %s: %w", u.ID, err)
		}
	}
	return u, id, nil
}

// Mint issues a workspace-less authz token for an exchange's user: the
// native API's answer when no workspace is asked for (wid, wrole, groups
// and actions empty).
func (e *Exchanger) Mint(ctx context.Context, res Result, serviceID, serviceName string) (Result, error) {
	return e.mint(ctx, res, Grant{UserID: res.User.ID, IdpSub: res.Identity.Subject, ServiceID: serviceID, Service: serviceName})
}

func (e *Exchanger) mint(ctx context.Context, res Result, g Grant) (Result, error) {
	tok, ttl, err := e.minter.MintAuthz(ctx, g)
	if err != nil {
		return Result{}, fmt.Errorf("mint authz token: %w", err)
	}
	res.Token, res.ExpiresIn = tok, ttl
	if g.Workspace.ID != "" {
		w := g.Workspace
		res.Workspace = &w
	}
	return res, nil
}
