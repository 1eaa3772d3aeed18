package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// Tokens is the answer of POST /auth/token and /auth/refresh.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration // of the access token
}

// checkVerifier bounds a PKCE code_verifier (RFC 7636 §4.1: 43 to 128
// unreserved characters).
func checkVerifier(v string) error {
	if len(v) < 43 || len(v) > 128 {
		return fmt.Errorf("%w: code_verifier must be 43 to 128 characters", ErrCodeVerifier)
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~') {
			return fmt.Errorf("%w: code_verifier has a character outside [A-Za-z0-9-._~]", ErrCodeVerifier)
		}
	}
	return nil
}

// peek finds the live code that code_verifier proves.
func (s *Service) peek(ctx context.Context, code, verifier string) (store.LoginCode, error) {
	if code == "" {
		return store.LoginCode{}, ErrInvalidCode
	}
	if err := checkVerifier(verifier); err != nil {
		return store.LoginCode{}, err
	}
	c, err := s.o.Store.PeekLoginCode(ctx, store.SecretHash(code), oauth2.S256ChallengeFromVerifier(verifier), s.o.Now())
	return c, codeErr(err)
}

func codeErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrInvalidCode
	case errors.Is(err, store.ErrCodeMismatch):
		return ErrCodeVerifier
	}
	return err
}

// Workspaces lists the workspaces of the code's user, without using the
// code up (the client app shows them, then asks for a token).
func (s *Service) Workspaces(ctx context.Context, code, verifier string) ([]exchange.Workspace, error) {
	c, err := s.peek(ctx, code, verifier)
	if err != nil {
		return nil, err
	}
	if _, err := s.activeUser(ctx, c.UserID); err != nil {
		return nil, err
	}
	ws, err := s.o.Members.WorkspacesOf(ctx, "", c.UserID)
	if err != nil {
		return nil, fmt.Errorf("workspaces of user %s: %w", c.UserID, err)
	}
	if ws == nil {
		ws = []exchange.Workspace{}
	}
	return ws, nil
}

// Token redeems the code, once, for an access and a refresh token of a
// workspace the user belongs to. A refused request (wrong verifier, not a
// member) leaves the code usable; of concurrent redemptions one wins. The
// code of a client app deactivated since is refused.
func (s *Service) Token(ctx context.Context, code, workspaceID, verifier string) (Tokens, error) {
	c, err := s.peek(ctx, code, verifier)
	if err != nil {
		return Tokens{}, err
	}
	if ok, err := s.clientAppActive(ctx, c.ClientAppID); err != nil {
		return Tokens{}, err
	} else if !ok {
		return Tokens{}, fmt.Errorf("%w: the client app is no longer active", ErrInvalidCode)
	}
	if workspaceID == "" {
		return Tokens{}, fmt.Errorf("%w: workspace_id is required", ErrInvalidRequest)
	}
	u, err := s.activeUser(ctx, c.UserID)
	if err != nil {
		return Tokens{}, err
	}
	g, err := s.grant(ctx, u.ID, workspaceID)
	if err != nil {
		return Tokens{}, err
	}
	if _, err := s.o.Store.TakeLoginCode(ctx, c.Hash, c.Challenge, s.o.Now()); err != nil {
		return Tokens{}, codeErr(err)
	}
	fid := uuid.NewString()
	access, refresh, err := s.pair(ctx, u, g, fid)
	if err != nil {
		return Tokens{}, err
	}
	now := s.o.Now().UTC()
	err = s.o.Store.CreateRefreshFamily(ctx, store.RefreshFamily{ID: fid, UserID: u.ID, WorkspaceID: g.ws.ID, ClientAppID: c.ClientAppID,
		CurrentHash: store.SecretHash(refresh.Claims.ID), CreatedAt: now, RotatedAt: now, ExpiresAt: refresh.Claims.ExpiresAt})
	if err != nil {
		return Tokens{}, err
	}
	return s.tokens(access, refresh), nil
}

// Refresh trades a refresh token for a new pair: the old one is spent
// (rotation), a spent one coming back revokes its whole family, and the
// membership, role and groups are read again, so a removed member gets
// ErrNotMember (and loses the family) and a deactivated user
// ErrInvalidToken. The family of a client app deactivated or deleted
// since is revoked (ErrInvalidToken): without that, rotation would keep a
// compromised app's stolen refresh tokens alive for ever.
func (s *Service) Refresh(ctx context.Context, raw string) (Tokens, error) {
	c, err := s.verify(ctx, raw, token.Refresh)
	if err != nil {
		return Tokens{}, err
	}
	f, err := s.o.Store.RefreshFamily(ctx, c.Family)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Tokens{}, fmt.Errorf("%w: unknown refresh token family", ErrInvalidToken)
	case err != nil:
		return Tokens{}, err
	case f.UserID != c.Subject:
		return Tokens{}, fmt.Errorf("%w: the refresh token does not belong to its family", ErrInvalidToken)
	case f.RevokedAt != nil:
		return Tokens{}, fmt.Errorf("%w: the refresh token was revoked", ErrInvalidToken)
	}
	if ok, err := s.clientAppActive(ctx, f.ClientAppID); err != nil {
		return Tokens{}, err
	} else if !ok {
		if err := s.o.Store.RevokeRefreshFamily(ctx, f.ID, s.o.Now()); err != nil {
			return Tokens{}, err
		}
		return Tokens{}, fmt.Errorf("%w: the client app is no longer active", ErrInvalidToken)
	}
	u, err := s.activeUser(ctx, c.Subject)
	if err != nil {
		return Tokens{}, err
	}
	g, err := s.grant(ctx, u.ID, f.WorkspaceID)
	if errors.Is(err, ErrNotMember) {
		if rerr := s.o.Store.RevokeRefreshFamily(ctx, f.ID, s.o.Now()); rerr != nil {
			return Tokens{}, rerr
		}
	}
	if err != nil {
		return Tokens{}, err
	}
	access, refresh, err := s.pair(ctx, u, g, f.ID)
	if err != nil {
		return Tokens{}, err
	}
	err = s.o.Store.RotateRefresh(ctx, f.ID, store.SecretHash(c.ID), store.SecretHash(refresh.Claims.ID), refresh.Claims.ExpiresAt, s.o.Now())
	switch {
	case errors.Is(err, store.ErrRefreshReused):
		return Tokens{}, fmt.Errorf("%w: the refresh token was used already; its family is revoked", ErrInvalidToken)
	case errors.Is(err, store.ErrRefreshRevoked), errors.Is(err, store.ErrNotFound):
		return Tokens{}, fmt.Errorf("%w: the refresh token was revoked", ErrInvalidToken)
	case err != nil:
		return Tokens{}, err
	}
	return s.tokens(access, refresh), nil
}

// Logout ends the session of an access token's user: every refresh
// family of the user is revoked and the access token's jti denylisted.
func (s *Service) Logout(ctx context.Context, rawAccess string) error {
	c, err := s.verify(ctx, rawAccess, token.Access)
	if err != nil {
		return err
	}
	if _, err := s.o.Store.RevokeUserRefreshFamilies(ctx, c.Subject, s.o.Now()); err != nil {
		return err
	}
	if err := s.o.Deny.Deny(ctx, c.ID, c.ExpiresAt.Add(s.o.Skew)); err != nil {
		return fmt.Errorf("denylist access token %s: %w", c.ID, err)
	}
	return nil
}

// verify checks a Sentinel token of kind k; a refusal is ErrInvalidToken
// with its reason, a failure to check (denylist down) a plain error.
func (s *Service) verify(ctx context.Context, raw string, k token.Kind) (token.Claims, error) {
	if raw == "" {
		return token.Claims{}, fmt.Errorf("%w: no %s token", ErrInvalidToken, k)
	}
	c, err := s.o.Verifier.Verify(ctx, raw, k)
	if errors.Is(err, token.ErrInvalidToken) {
		return token.Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return c, err
}

// clientAppActive reports whether the client app a code or a refresh
// family was issued to still exists and is active.
func (s *Service) clientAppActive(ctx context.Context, id string) (bool, error) {
	app, err := s.o.Store.ClientApp(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("client app %s: %w", id, err)
	}
	return app.Active, nil
}

// activeUser reads the user; a deactivated one is ErrInactive.
func (s *Service) activeUser(ctx context.Context, id string) (store.User, error) {
	u, err := s.o.Store.UserByID(ctx, id)
	if err != nil {
		return store.User{}, fmt.Errorf("user %s: %w", id, err)
	}
	if !u.Active {
		return store.User{}, ErrInactive
	}
	return u, nil
}

// grantOf is what an access token asserts about the workspace.
type grantOf struct {
	ws     exchange.Workspace
	groups []string
}

func (s *Service) grant(ctx context.Context, userID, workspaceID string) (grantOf, error) {
	ws, groups, _, err := s.o.Members.Grant(ctx, "", userID, workspaceID)
	if err != nil {
		return grantOf{}, err
	}
	return grantOf{ws: ws, groups: groups}, nil
}

// pair signs an access token and a refresh token of family fid.
func (s *Service) pair(ctx context.Context, u store.User, g grantOf, fid string) (token.Issued, token.Issued, error) {
	groups := g.groups
	if groups == nil {
		groups = []string{}
	}
	access, err := s.o.Issuer.Issue(ctx, token.Access, token.Claims{Subject: u.ID, Email: u.Email, Name: u.Name,
		WorkspaceID: g.ws.ID, WorkspaceSlug: g.ws.Slug, WorkspaceRole: g.ws.Role, Groups: groups})
	if err != nil {
		return token.Issued{}, token.Issued{}, err
	}
	refresh, err := s.o.Issuer.Issue(ctx, token.Refresh, token.Claims{Subject: u.ID, Family: fid})
	if err != nil {
		return token.Issued{}, token.Issued{}, err
	}
	return access, refresh, nil
}

func (s *Service) tokens(access, refresh token.Issued) Tokens {
	return Tokens{AccessToken: access.Token, RefreshToken: refresh.Token, ExpiresIn: s.o.Issuer.TTL(token.Access)}
}
