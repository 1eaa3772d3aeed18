package login

import (
	"context"
	"fmt"
	"net/url"

	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// The admin console's login: the same IdP round trip, for users with the
// admin flag only, ending in an admin_access token that the API sets as
// the admin_token cookie.

// AdminSession is a completed admin login.
type AdminSession struct {
	Token string
	// Claims are the admin token's (ExpiresAt: when the cookie expires).
	Claims token.Claims
	User   store.User
}

// BeginAdmin returns the IdP URL of an admin login with the provider,
// bound to the browser (see Request.Browser).
func (s *Service) BeginAdmin(ctx context.Context, provider, browser string) (string, error) {
	c, err := s.client(provider)
	if err != nil {
		return "", err
	}
	return s.start(ctx, c, kindAdmin, s.adminCallbackURI(provider), browser, stateData{})
}

func (s *Service) adminCallbackURI(provider string) string {
	return s.base + "/auth/admin/callback/" + url.PathEscape(provider)
}

// AdminCallback completes an admin login: the user must be an active
// administrator (ErrNotAdmin otherwise), in the browser that started the
// login. It signs an admin_access token.
func (s *Service) AdminCallback(ctx context.Context, provider, browser string, q url.Values) (AdminSession, error) {
	c, err := s.client(provider)
	if err != nil {
		return AdminSession{}, err
	}
	cb, err := s.take(ctx, kindAdmin, provider, browser, q)
	if err != nil {
		return AdminSession{}, err
	}
	u, err := s.signIn(ctx, c, s.adminCallbackURI(provider), cb, q)
	if err != nil {
		return AdminSession{}, err
	}
	if !u.Admin {
		return AdminSession{}, fmt.Errorf("%w: %s", ErrNotAdmin, u.Email)
	}
	tok, err := s.o.Issuer.Issue(ctx, token.Admin, token.Claims{Subject: u.ID, Email: u.Email, Name: u.Name})
	if err != nil {
		return AdminSession{}, err
	}
	return AdminSession{Token: tok.Token, Claims: tok.Claims, User: u}, nil
}

// VerifyAdmin checks an admin_access token (the admin_token cookie) and
// that its user is still an active administrator: a deactivated or
// demoted admin's token stops working at once, not at its expiry.
func (s *Service) VerifyAdmin(ctx context.Context, raw string) (token.Claims, store.User, error) {
	c, err := s.verify(ctx, raw, token.Admin)
	if err != nil {
		return token.Claims{}, store.User{}, err
	}
	u, err := s.o.Store.UserByID(ctx, c.Subject)
	if err != nil {
		return token.Claims{}, store.User{}, fmt.Errorf("admin user %s: %w", c.Subject, err)
	}
	if !u.Active || !u.Admin {
		return token.Claims{}, store.User{}, fmt.Errorf("%w: %s is no longer an active administrator", ErrInvalidToken, u.Email)
	}
	return c, u, nil
}

// AdminLogout denylists the admin token until it expires.
func (s *Service) AdminLogout(ctx context.Context, raw string) error {
	c, err := s.verify(ctx, raw, token.Admin)
	if err != nil {
		return err
	}
	if err := s.o.Deny.Deny(ctx, c.ID, c.ExpiresAt.Add(s.o.Skew)); err != nil {
		return fmt.Errorf("denylist admin token %s: %w", c.ID, err)
	}
	return nil
}
