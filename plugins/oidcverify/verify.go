package oidcverify

import (
	"context"

	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/internal/httpx"
)

// discoveryRetry is how long a failed discovery is remembered before the
// next Verify tries again, so a down IdP is not hammered.
const discoveryRetry = 5 * time.Second

// KeyFetcher gets JWKS documents (the host's cache, via plugins/sdk).
type KeyFetcher interface {
	Fetch(ctx context.Context, jwksURL string, refresh bool) ([]byte, error)
}

// Verifier verifies ID tokens of one issuer. It is safe for concurrent use.
type Verifier struct {
	cfg  Config
	keys keyCache

	mu       sync.Mutex
	jwksURL  string // set once discovery succeeded
	discErr  error
	discTime time.Time
}

// New validates cfg. It does no I/O: discovery happens on the first
// Verify (and is retried while it fails), so an IdP that is briefly down
// does not stop Sentinel from starting.
func New(cfg Config) (*Verifier, error) {
	cfg, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if _, err := httpx.CheckURL(strings.ReplaceAll(cfg.Issuer, TenantPlaceholder, "t")); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if _, err := httpx.CheckURL(cfg.DiscoveryURL); err != nil {
		return nil, fmt.Errorf("discovery url: %w", err)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = httpx.NewClient(10 * time.Second)
	}
	return &Verifier{cfg: cfg}, nil
}

// Health reports whether discovery has succeeded, trying it if not.
func (v *Verifier) Health(ctx context.Context) error {
	_, err := v.discover(ctx)
	return err
}

// discover returns the issuer's jwks_uri, reading the discovery document
// the first time. The document must name the configured issuer.
func (v *Verifier) discover(ctx context.Context) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.jwksURL != "" {
		return v.jwksURL, nil
	}
	if v.discErr != nil && time.Since(v.discTime) < discoveryRetry {
		return "", v.discErr
	}
	v.jwksURL, v.discErr = v.fetchDiscovery(ctx)
	v.discTime = time.Now()
	return v.jwksURL, v.discErr
}

func (v *Verifier) fetchDiscovery(ctx context.Context) (string, error) {
	ctx = oidc.ClientContext(ctx, v.cfg.HTTPClient)
	if v.cfg.DiscoveryURL != v.cfg.Issuer {
		// go-oidc compares the document's issuer with the URL it fetched;
		// here they differ by design, so it is compared below instead.
		ctx = oidc.InsecureIssuerURLContext(ctx, v.cfg.Issuer)
	}
	p, err := oidc.NewProvider(ctx, v.cfg.DiscoveryURL)
	if err != nil {
		return "", fmt.Errorf("discover %s: %w", v.cfg.DiscoveryURL, err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil {
		return "", fmt.Errorf("discover %s: %w", v.cfg.DiscoveryURL, err)
	}
	if doc.Issuer != v.cfg.Issuer {
		return "", fmt.Errorf("discover %s: document names issuer %q, configured %q", v.cfg.DiscoveryURL, doc.Issuer, v.cfg.Issuer)
	}
	if _, err := httpx.CheckURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("discover %s: jwks_uri: %w", v.cfg.DiscoveryURL, err)
	}
	return doc.JWKSURI, nil
}

// invalid wraps a refusal reason as plugins.ErrInvalidToken.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", plugins.ErrInvalidToken, fmt.Sprintf(format, args...))
}

// Verify checks raw and returns its identity (Provider left empty for the
// host to fill in; Claims holds every claim of the token).
func (v *Verifier) Verify(ctx context.Context, raw string, keys KeyFetcher) (plugins.Identity, error) {
	hdr, err := parseHeader(raw)
	if err != nil {
		return plugins.Identity{}, err
	}
	if !slices.Contains(v.cfg.Algorithms, hdr.alg) {
		return plugins.Identity{}, invalid("signing algorithm %q is not accepted", hdr.alg)
	}
	jwksURL, err := v.discover(ctx)
	if err != nil {
		return plugins.Identity{}, err
	}
	key, err := v.keys.find(ctx, keys, jwksURL, hdr)
	if err != nil {
		return plugins.Identity{}, err
	}
	now := time.Now()
	tok, err := oidc.NewVerifier(v.cfg.Issuer, &singleKey{key: key, alg: hdr.alg}, &oidc.Config{
		SkipClientIDCheck:    true, // several client ids: checked below
		SkipIssuerCheck:      v.templated(),
		SupportedSigningAlgs: []string{hdr.alg},
		Now:                  func() time.Time { return now.Add(-v.cfg.Skew) }, // exp with skew
	}).Verify(ctx, raw)
	if err != nil {
		return plugins.Identity{}, invalid("%s", strings.TrimPrefix(err.Error(), "oidc: "))
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return plugins.Identity{}, invalid("claims: %v", err)
	}
	if err := v.checkClaims(tok, claims, now); err != nil {
		return plugins.Identity{}, err
	}
	return identity(tok, claims), nil
}

func (v *Verifier) templated() bool { return strings.Contains(v.cfg.Issuer, TenantPlaceholder) }

var tenantID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ExpectedIssuer is the iss a token must carry: the configured issuer,
// with the token's tid substituted when the issuer is a tenant template.
func ExpectedIssuer(issuer string, claims map[string]any) (string, error) {
	if !strings.Contains(issuer, TenantPlaceholder) {
		return issuer, nil
	}
	tid, _ := claims["tid"].(string)
	if !tenantID.MatchString(tid) {
		return "", invalid("tid claim %q is not a tenant id", tid)
	}
	return strings.ReplaceAll(issuer, TenantPlaceholder, tid), nil
}

// checkClaims does what go-oidc leaves to the caller: the templated
// issuer, several audiences, nbf and iat with our skew, a subject.
func (v *Verifier) checkClaims(tok *oidc.IDToken, claims map[string]any, now time.Time) error {
	want, err := ExpectedIssuer(v.cfg.Issuer, claims)
	if err != nil {
		return err
	}
	if v.templated() && tok.Issuer != want {
		return invalid("issued by %q, expected %q", tok.Issuer, want)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(v.cfg.ClientIDs, a) }) {
		return invalid("audience %q is not one of the configured client ids", tok.Audience)
	}
	late := now.Add(v.cfg.Skew)
	if nbf, ok, err := numericDate(claims, "nbf"); err != nil {
		return err
	} else if ok && nbf.After(late) {
		return invalid("token not valid before %s", nbf.UTC().Format(time.RFC3339))
	}
	if iat, ok, err := numericDate(claims, "iat"); err != nil {
		return err
	} else if ok && iat.After(late) {
		return invalid("token issued in the future (%s)", iat.UTC().Format(time.RFC3339))
	}
	if tok.Subject == "" {
		return invalid("no subject")
	}
	return nil
}

// numericDate reads a JSON NumericDate claim.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	raw, ok := claims[name]
	if !ok || raw == nil {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok {
		return time.Time{}, false, invalid("%s claim is not a number", name)
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true, nil
}

// identity maps verified claims onto the plugin contract.
func identity(tok *oidc.IDToken, claims map[string]any) plugins.Identity {
	str := func(k string) string { s, _ := claims[k].(string); return s }
	return plugins.Identity{
		Issuer:        tok.Issuer,
		Subject:       tok.Subject,
		Email:         str("email"),
		EmailVerified: truthy(claims["email_verified"]),
		Name:          str("name"),
		Picture:       str("picture"),
		Claims:        claims,
	}
}

// truthy reads a boolean claim that some IdPs send as a string.
func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}
