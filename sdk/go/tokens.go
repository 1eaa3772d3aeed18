package sentinel

import (
	"context"
	"net/http"
	"time"
)

// AuthzTokenRequest exchanges a user's IdP token for an authz token.
type AuthzTokenRequest struct {
	IdpToken string
	Provider string // "google", "github", "entra_id" or a configured OIDC provider
	// WorkspaceID picks the workspace; without it the answer lists the
	// user's workspaces and the token carries none.
	WorkspaceID string
}

// User is a Sentinel user.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	AvatarURL string    `json:"avatar_url"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
}

// Workspace is a user's membership in a workspace.
type Workspace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Role string `json:"role"` // owner, admin, editor or viewer
}

// AuthzTokenResult is the answer of AuthzToken.
type AuthzTokenResult struct {
	User       User
	Workspaces []Workspace // without a WorkspaceID
	Workspace  *Workspace  // with one
	AuthzToken string
	ExpiresIn  time.Duration
}

// AuthzToken verifies the IdP token, provisions the user on first sight
// and returns an authz token for this service (POST /v1/authz/token). An
// IdP token Sentinel refuses is a 401 *APIError; a user who is inactive or
// not a member of the workspace, 403.
func (c *Client) AuthzToken(ctx context.Context, req AuthzTokenRequest) (*AuthzTokenResult, error) {
	var out struct {
		User       User        `json:"user"`
		Workspaces []Workspace `json:"workspaces"`
		Workspace  *Workspace  `json:"workspace"`
		AuthzToken string      `json:"authz_token"`
		ExpiresIn  int         `json:"expires_in"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/authz/token", out: &out, in: struct {
		IDPToken    string `json:"idp_token"`
		Provider    string `json:"provider"`
		WorkspaceID string `json:"workspace_id,omitempty"`
	}{req.IdpToken, req.Provider, req.WorkspaceID}})
	if err != nil {
		return nil, err
	}
	return &AuthzTokenResult{User: out.User, Workspaces: out.Workspaces, Workspace: out.Workspace,
		AuthzToken: out.AuthzToken, ExpiresIn: time.Duration(out.ExpiresIn) * time.Second}, nil
}

// Introspection is Sentinel's server-side verdict on a token: unlike
// offline verification it knows the denylist and deactivated users.
type Introspection struct {
	Active bool           `json:"active"`
	Claims map[string]any `json:"claims,omitempty"`
	Reason string         `json:"reason,omitempty"` // why it is not active
}

// Introspect asks Sentinel whether a token is valid now (POST
// /v1/tokens/introspect). A token of another service is inactive.
func (c *Client) Introspect(ctx context.Context, token string) (*Introspection, error) {
	var out Introspection
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens/introspect", idempotent: true, out: &out,
		in: struct {
			Token string `json:"token"`
		}{token}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke denylists a token of this service until it expires (POST
// /v1/tokens/revoke). Offline verifiers do not see revocations; use
// Introspect where that matters.
func (c *Client) Revoke(ctx context.Context, token string) error {
	return c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens/revoke", idempotent: true,
		in: struct {
			Token string `json:"token"`
		}{token}})
}
