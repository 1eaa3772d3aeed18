package testidp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of the provider's short-lived artefacts.
const (
	authRequestTTL = 10 * time.Minute // from /authorize to code redemption
	accessTokenTTL = time.Hour
)

// storage is the in-memory op.Storage behind the provider: one confidential
// client, the test's users, pending authorization requests, issued access
// tokens (for userinfo) and the key ring. Refresh tokens, client
// credentials, JWT profile and token exchange are not offered.
type storage struct {
	client *client

	mu        sync.Mutex
	users     map[string]User         // by subject
	requests  map[string]*authRequest // by id
	codes     map[string]string       // code → request id
	tokens    map[string]accessToken  // by id
	keys      []*signingKey           // oldest first; the last one signs
	loginUser string                  // who the login step authenticates without a login_hint
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

type accessToken struct {
	subject, clientID string
	scopes            []string
	expires           time.Time
}

func newStorage(c *client, first *signingKey) *storage {
	return &storage{
		client:   c,
		users:    map[string]User{},
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]accessToken{},
		keys:     []*signingKey{first},
	}
}

// errNotFound marks lookups of things that do not exist (op maps it to the
// right OAuth error).
type errNotFound struct{ what string }

func (e errNotFound) Error() string { return e.what + " not found" }
func (errNotFound) IsNotFound()     {}

func randomID() string { return rand.Text() }

// --- users and keys (driven by IdP) ---

func (s *storage) putUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Subject] = u
}

func (s *storage) user(subject string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[subject]
	return u, ok
}

func (s *storage) setLoginUser(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginUser = subject
}

func (s *storage) addKey(k *signingKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

func (s *storage) dropOldKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = s.keys[len(s.keys)-1:]
}

func (s *storage) currentKey() *signingKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1]
}

// completeLogin is the login step: it authenticates the request's
// login_hint, or else the configured login user, and marks the request done.
// An unknown or missing user fails the login.
func (s *storage) completeLogin(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return errNotFound{"auth request " + id}
	}
	subject := req.LoginHint
	if subject == "" {
		subject = s.loginUser
	}
	if subject == "" {
		return errors.New("no login_hint and no login user set (IdP.LoginAs)")
	}
	if _, ok := s.users[subject]; !ok {
		return fmt.Errorf("unknown user %q", subject)
	}
	req.subject = subject
	req.authTime = time.Now()
	req.done = true
	return nil
}

// --- op.AuthStorage ---

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(r.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired() // there is no browser session to reuse
	}
	req := &authRequest{AuthRequest: *r, id: randomID(), created: time.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[req.id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok || time.Since(req.created) > authRequestTTL {
		return nil, errNotFound{"auth request"}
	}
	return req, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound{"code"}
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs once the code was redeemed: codes are single use.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	clientID := s.client.id
	if ar, ok := r.(*authRequest); ok {
		clientID = ar.ClientID
	}
	id := randomID()
	exp := time.Now().Add(accessTokenTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = accessToken{subject: r.GetSubject(), clientID: clientID, scopes: r.GetScopes(), expires: exp}
	return id, exp, nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not offered")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, oidc.ErrInvalidGrant().WithDescription("refresh tokens are not offered")
}

func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, tok := range s.tokens {
		if tok.subject == userID && tok.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.tokens[tokenOrID]; ok {
		if tok.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.tokens, tokenOrID)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return s.currentKey(), nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.currentKey().alg}, nil
}

// KeySet is what the JWKS endpoint serves: every key not yet dropped.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, len(s.keys))
	for i, k := range s.keys {
		keys[i] = publicKey{k}
	}
	return keys, nil
}

// --- op.OPStorage ---

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errNotFound{"client " + id}
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || secret != s.client.secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, r.GetSubject(), scopes)
}

// SetUserinfoFromToken answers the userinfo endpoint for an access token.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	tok, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(tok.expires) {
		return errors.New("access token is invalid or expired")
	}
	return s.setUserinfo(info, tok.subject, tok.scopes)
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	tok, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(tok.expires) || tok.clientID != clientID {
		return errors.New("access token is invalid, expired or not this client's")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, subject, tok.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = tok.scopes
	resp.ClientID = tok.clientID
	resp.Expiration = oidc.FromTime(tok.expires)
	return nil
}

// setUserinfo maps the user to standard claims by scope, the way Google and
// Entra ID do: email and email_verified (present even when false) for
// "email", name and picture for "profile", and the user's extra claims
// (hd, tid, …) with "openid".
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.user(subject)
	if !ok {
		return fmt.Errorf("user %q not found", subject)
	}
	for _, scope := range scopes {
		switch scope {
		case oidc.ScopeOpenID:
			info.Subject = u.Subject
			for k, v := range u.Claims {
				info.AppendClaims(k, v)
			}
		case oidc.ScopeEmail:
			info.Email = u.Email
			info.EmailVerified = oidc.Bool(u.EmailVerified)
			if !u.EmailVerified {
				// oidc.Bool omits false; real IdPs send it explicitly.
				info.AppendClaims("email_verified", false)
			}
		case oidc.ScopeProfile:
			info.Name = u.Name
			info.Picture = u.Picture
		}
	}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not offered")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not offered")
}

func (s *storage) Health(context.Context) error { return nil }
