package sentinel

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Errors of verification; test with errors.Is.
var (
	// ErrInvalidToken: the token is not one to accept (bad signature,
	// expired, wrong audience, type, service, issuer, binding…). The
	// wrapping error says which.
	ErrInvalidToken = errors.New("invalid token")
	// ErrKeysUnavailable: the issuer's keys could not be fetched, so no
	// token can be verified now (a 503, not a 401).
	ErrKeysUnavailable = errors.New("token verification keys unavailable")
)

// Audiences and types of Sentinel's tokens.
const (
	audAuthz   = "sentinel:authz"
	audAccess  = "sentinel:access"
	typeAuthz  = "authz"
	typeAccess = "access"
)

// Defaults of VerifierOptions.
const (
	DefaultLeeway          = 30 * time.Second
	DefaultRefreshInterval = 30 * time.Second
	DefaultMaxCacheTTL     = time.Hour
	DefaultMaxStale        = 15 * time.Minute
)

// maxTokenBytes bounds a token before any parsing.
const maxTokenBytes = 16 << 10

// VerifierOptions configure a Verifier. Zero fields take the defaults.
type VerifierOptions struct {
	// JWKSURL is where the JWKS is fetched; default issuerURL +
	// "/.well-known/jwks.json". Set it when the app reaches Sentinel at
	// another address than its public issuer URL (inside a cluster).
	JWKSURL string
	// HTTPClient fetches the JWKS (and the IdP's discovery document and
	// keys); default http.DefaultClient.
	HTTPClient *http.Client
	// Leeway is the clock skew allowed on exp, nbf and iat (default 30 s;
	// negative for none).
	Leeway time.Duration
	// RefreshInterval is the least time between two JWKS fetches: an
	// unknown kid refetches at most this often (default 30 s).
	RefreshInterval time.Duration
	// MaxCacheTTL bounds the JWKS's Cache-Control max-age (default 1 h).
	MaxCacheTTL time.Duration
	// MaxStale is how long an expired JWKS is still used while refetching
	// it fails (default 15 min; negative for none); after that every
	// token is refused with ErrKeysUnavailable.
	MaxStale time.Duration
	// Clock returns the current time (default time.Now); for tests.
	Clock func() time.Time

	// IdPIssuer and IdPClientID configure VerifyPair: the OpenID provider
	// whose ID tokens the users hold, and the app's client id there (the
	// ID token's audience). Both empty: VerifyPair is not available.
	IdPIssuer   string
	IdPClientID string
}

// Verifier verifies Sentinel's JWTs offline. It is safe for concurrent
// use; make one per issuer and share it.
type Verifier struct {
	issuer string
	keys   *keySet
	leeway time.Duration
	now    func() time.Time
	idp    *oidc.IDTokenVerifier
}

// NewVerifier returns a verifier of tokens issued by the Sentinel server
// at issuerURL (the iss of its tokens). It fetches the JWKS
// (issuerURL/.well-known/jwks.json unless opts.JWKSURL says otherwise)
// now and fails if it cannot, so a misconfiguration shows at start; with
// IdPIssuer set it also discovers the IdP.
func NewVerifier(ctx context.Context, issuerURL string, opts VerifierOptions) (*Verifier, error) {
	issuer := strings.TrimRight(issuerURL, "/")
	if !strings.HasPrefix(issuer, "https://") && !strings.HasPrefix(issuer, "http://") {
		return nil, fmt.Errorf("sentinel: issuer URL %q: want http(s)://…", issuerURL)
	}
	jwksURL := opts.JWKSURL
	if jwksURL == "" {
		jwksURL = issuer + "/.well-known/jwks.json"
	} else if !strings.HasPrefix(jwksURL, "https://") && !strings.HasPrefix(jwksURL, "http://") {
		return nil, fmt.Errorf("sentinel: JWKS URL %q: want http(s)://…", jwksURL)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Leeway == 0 {
		opts.Leeway = DefaultLeeway
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.MaxCacheTTL <= 0 {
		opts.MaxCacheTTL = DefaultMaxCacheTTL
	}
	if opts.MaxStale < 0 {
		opts.MaxStale = 0
	} else if opts.MaxStale == 0 {
		opts.MaxStale = DefaultMaxStale
	}
	v := &Verifier{
		issuer: issuer,
		leeway: max(opts.Leeway, 0),
		now:    opts.Clock,
		keys: &keySet{
			url: jwksURL, hc: opts.HTTPClient, now: opts.Clock,
			refresh: opts.RefreshInterval, maxTTL: max(opts.MaxCacheTTL, opts.RefreshInterval), maxStale: opts.MaxStale,
		},
	}
	if err := v.keys.fetch(ctx); err != nil {
		return nil, fmt.Errorf("sentinel: new verifier: %w", err)
	}
	if opts.IdPIssuer != "" || opts.IdPClientID != "" {
		idp, err := newIdPVerifier(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("sentinel: new verifier: %w", err)
		}
		v.idp = idp
	}
	return v, nil
}

// AuthzClaims are the claims of a verified authz token.
type AuthzClaims struct {
	Subject   string   // Sentinel user id
	IdpSub    string   // the IdP subject the token is bound to
	Svc       string   // the service it was issued to
	Wid       string   // workspace id; empty for a workspace-less token
	Wslug     string   // workspace slug
	Wrole     string   // owner, admin, editor or viewer
	Groups    []string // group ids in the workspace
	Actions   []string // RBAC actions allowed in the workspace
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasAction reports whether the token allows the RBAC action.
func (c *AuthzClaims) HasAction(action string) bool {
	for _, a := range c.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// AccessClaims are the claims of a verified access token (proxy mode).
type AccessClaims struct {
	Subject   string
	Email     string
	Name      string
	Wid       string
	Wslug     string
	Wrole     string
	Groups    []string
	JTI       string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// VerifyAuthz verifies an authz token issued to expectedService: the
// signature by the published key its kid names (with that key's own
// algorithm), iss, aud "sentinel:authz", type "authz", exp/nbf/iat within
// the leeway, and svc. Offline verification cannot see revocations; use
// Client.Introspect where they matter.
func (v *Verifier) VerifyAuthz(ctx context.Context, raw, expectedService string) (*AuthzClaims, error) {
	if expectedService == "" {
		return nil, fmt.Errorf("%w: no expected service given", ErrInvalidToken)
	}
	c, err := v.verify(ctx, raw, audAuthz, typeAuthz)
	if err != nil {
		return nil, err
	}
	switch {
	case c.IdpSub == "":
		return nil, fmt.Errorf("%w: authz token has no idp_sub", ErrInvalidToken)
	case c.Svc == "":
		return nil, fmt.Errorf("%w: authz token has no svc", ErrInvalidToken)
	case subtle.ConstantTimeCompare([]byte(c.Svc), []byte(expectedService)) != 1:
		return nil, fmt.Errorf("%w: authz token was issued to service %q, not %q", ErrInvalidToken, c.Svc, expectedService)
	}
	return &AuthzClaims{
		Subject: c.Sub, IdpSub: c.IdpSub, Svc: c.Svc, Wid: c.Wid, Wslug: c.Wslug, Wrole: c.Wrole,
		Groups: c.Groups, Actions: c.Actions, JTI: c.JTI, IssuedAt: c.Iat.time(), ExpiresAt: c.Exp.time(),
	}, nil
}

// VerifyAccess verifies an access token (aud "sentinel:access", type
// "access") the same way.
func (v *Verifier) VerifyAccess(ctx context.Context, raw string) (*AccessClaims, error) {
	c, err := v.verify(ctx, raw, audAccess, typeAccess)
	if err != nil {
		return nil, err
	}
	return &AccessClaims{
		Subject: c.Sub, Email: c.Email, Name: c.Name, Wid: c.Wid, Wslug: c.Wslug, Wrole: c.Wrole,
		Groups: c.Groups, JTI: c.JTI, IssuedAt: c.Iat.time(), ExpiresAt: c.Exp.time(),
	}, nil
}

// header is the part of the protected header verification looks at.
type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
}

var b64 = base64.RawURLEncoding.Strict()

// verify checks the signature, then the claims common to every token.
func (v *Verifier) verify(ctx context.Context, raw, aud, typ string) (*claims, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: token is empty", ErrInvalidToken)
	}
	if len(raw) > maxTokenBytes {
		return nil, fmt.Errorf("%w: token is longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	h64, rest, _ := strings.Cut(raw, ".")
	p64, s64, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(s64, ".") {
		return nil, fmt.Errorf("%w: not a compact JWS (three dot-separated parts)", ErrInvalidToken)
	}
	var h header
	if err := decodePart(h64, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrInvalidToken, err)
	}
	if h.Crit != nil || h.B64 != nil {
		return nil, fmt.Errorf("%w: header has crit or b64 (unsupported extensions)", ErrInvalidToken)
	}
	if h.Kid == "" {
		return nil, fmt.Errorf("%w: header has no kid", ErrInvalidToken)
	}
	key, err := v.keys.key(ctx, h.Kid)
	if err != nil {
		return nil, err
	}
	// The algorithm is the key's; a header naming another (none, HS256
	// with the public key as secret, …) is refused, not obeyed.
	if h.Alg != key.alg.String() {
		return nil, fmt.Errorf("%w: header alg %q does not match key %s (%s)", ErrInvalidToken, h.Alg, key.kid, key.alg)
	}
	sig, err := b64.DecodeString(s64)
	if err != nil {
		return nil, fmt.Errorf("%w: signature encoding: %w", ErrInvalidToken, err)
	}
	if err := key.ver.Verify([]byte(raw[:len(h64)+1+len(p64)]), sig, key.pub); err != nil {
		return nil, fmt.Errorf("%w: signature does not verify with key %s", ErrInvalidToken, key.kid)
	}
	var c claims
	if err := decodePart(p64, &c); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrInvalidToken, err)
	}
	if err := v.checkClaims(&c, aud, typ); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return &c, nil
}

func decodePart(part string, dst any) error {
	b, err := b64.DecodeString(part)
	if err != nil {
		return fmt.Errorf("base64url: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("JSON: %w", err)
	}
	return nil
}

// checkClaims checks iss, aud, type, exp, nbf, iat and that sub and jti
// are present.
func (v *Verifier) checkClaims(c *claims, aud, typ string) error {
	now := v.now()
	switch {
	case strings.TrimRight(c.Iss, "/") != v.issuer:
		return fmt.Errorf("issuer %q is not %q", c.Iss, v.issuer)
	case !c.Aud.has(aud):
		return fmt.Errorf("audience %q does not include %q", []string(c.Aud), aud)
	case c.Type != typ:
		return fmt.Errorf("token type %q is not %q", c.Type, typ)
	case c.Exp == nil:
		return errors.New("token has no exp")
	case c.Iat == nil:
		return errors.New("token has no iat")
	case !now.Before(c.Exp.time().Add(v.leeway)):
		return fmt.Errorf("token expired at %s", c.Exp.time().UTC().Format(time.RFC3339))
	case c.Nbf != nil && now.Add(v.leeway).Before(c.Nbf.time()):
		return fmt.Errorf("token is not valid before %s", c.Nbf.time().UTC().Format(time.RFC3339))
	case now.Add(v.leeway).Before(c.Iat.time()):
		return fmt.Errorf("token was issued in the future (%s)", c.Iat.time().UTC().Format(time.RFC3339))
	case c.Sub == "":
		return errors.New("token has no sub")
	case c.JTI == "":
		return errors.New("token has no jti")
	}
	return nil
}
