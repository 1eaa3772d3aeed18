package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/sentinel-auth/sentinel/identity/keys"
)

// ErrInvalidToken wraps every refusal of a token; the message after it is
// a precise reason that reveals nothing secret ("invalid token: expired").
var ErrInvalidToken = errors.New("invalid token")

// ErrCheckFailed: the denylist or the user status could not be consulted.
// The token is refused (fail closed), but it may be valid: callers answer
// 503 rather than 401.
var ErrCheckFailed = errors.New("token status could not be checked")

// KeySource finds a verification key by kid among the keys published at
// now (identity/keys Keyring).
type KeySource interface {
	VerificationKey(kid string, now time.Time) (keys.PublicKey, error)
}

// Denylist reports whether a token id has been revoked (logout, reuse).
type Denylist interface {
	Denied(ctx context.Context, jti string) (bool, error)
}

// UserStatus reports whether a user may still use their tokens: whether
// the user exists and is active, and since when their tokens count
// (validAfter: the last revocation of every token of the user, e.g. on a
// role change; zero when there was none). identity/userstatus implements
// it.
type UserStatus interface {
	Status(ctx context.Context, userID string) (active bool, validAfter time.Time, err error)
}

// DefaultSkew is the clock skew tolerated on exp, nbf and iat.
const DefaultSkew = 30 * time.Second

// maxTokenSize bounds the input before any parsing.
const maxTokenSize = 16 << 10

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Issuer is the expected iss: the server's base URL. Required.
	Issuer string
	// Skew is the tolerated clock skew (0: DefaultSkew).
	Skew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier checks Sentinel's tokens. Safe for concurrent use.
type Verifier struct {
	keys  KeySource
	deny  Denylist
	users UserStatus
	iss   string
	skew  time.Duration
	now   func() time.Time
}

// NewVerifier returns a Verifier. The denylist and the user status are
// required: a token is accepted only after both were consulted.
func NewVerifier(k KeySource, deny Denylist, users UserStatus, cfg VerifierConfig) (*Verifier, error) {
	switch {
	case k == nil:
		return nil, errors.New("token verifier: no key source")
	case deny == nil:
		return nil, errors.New("token verifier: no denylist")
	case users == nil:
		return nil, errors.New("token verifier: no user status")
	case cfg.Issuer == "":
		return nil, errors.New("token verifier: the issuer (base URL) is required")
	case cfg.Skew < 0:
		return nil, errors.New("token verifier: negative clock skew")
	}
	v := &Verifier{keys: k, deny: deny, users: users, iss: cfg.Issuer, skew: cfg.Skew, now: cfg.Now}
	if v.skew == 0 {
		v.skew = DefaultSkew
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

// Verify checks raw as a token of kind k and returns its claims. Any
// failure is an error wrapping ErrInvalidToken, or ErrCheckFailed when the
// denylist or user status could not be read; the claims are then empty.
func (v *Verifier) Verify(ctx context.Context, raw string, k Kind) (Claims, error) {
	if !k.valid() {
		return Claims{}, invalid("unknown token kind %q", k)
	}
	return v.verify(ctx, raw, k)
}

// VerifyAny is Verify for a token of any kind: the kind is the token's
// type claim, and its aud must be that kind's (introspection).
func (v *Verifier) VerifyAny(ctx context.Context, raw string) (Claims, error) {
	return v.verify(ctx, raw, "")
}

func (v *Verifier) verify(ctx context.Context, raw string, want Kind) (Claims, error) {
	now := v.now()
	payload, err := v.checkSignature(raw, now)
	if err != nil {
		return Claims{}, err
	}
	c, err := v.checkClaims(payload, want, now)
	if err != nil {
		return Claims{}, err
	}
	denied, err := v.deny.Denied(ctx, c.ID)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: denylist: %w", ErrCheckFailed, err)
	}
	if denied {
		return Claims{}, invalid("revoked")
	}
	active, validAfter, err := v.users.Status(ctx, c.Subject)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: user status: %w", ErrCheckFailed, err)
	}
	if !active {
		return Claims{}, invalid("user inactive")
	}
	if issuedBefore(c.IssuedAt, validAfter) {
		return Claims{}, invalid("revoked")
	}
	return c, nil
}

// issuedBefore reports whether a token issued at iat predates the user's
// revocation at validAfter (zero: never revoked). Sentinel's iat has whole
// seconds (the issuer truncates), so for a validAfter with a fraction this
// refuses every token of the revocation's second, issued before or after
// it; the store keeps the whole second after the revocation, which refuses
// that second too when the revocation fell on a whole second.
func issuedBefore(iat, validAfter time.Time) bool {
	return !validAfter.IsZero() && iat.Before(validAfter)
}

// checkSignature verifies the JWS with the published key named by kid,
// under that key's own algorithm, and returns the payload.
func (v *Verifier) checkSignature(raw string, now time.Time) ([]byte, error) {
	if len(raw) > maxTokenSize {
		return nil, invalid("token too large")
	}
	if strings.Count(raw, ".") != 2 {
		return nil, invalid("not a compact JWS")
	}
	var reason error // why the key provider refused, if it did
	called := false
	provider := jws.KeyProviderFunc(func(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
		called = true
		reason = v.keyFor(sink, sig.ProtectedHeaders(), now)
		return reason
	})
	payload, err := jws.Verify([]byte(raw), jws.WithCompact(), jws.WithKeyProvider(provider))
	switch {
	case err == nil:
		return payload, nil
	case reason != nil:
		return nil, reason
	case !called:
		return nil, invalid("malformed token")
	default:
		return nil, invalid("bad signature")
	}
}

// keyFor refuses headers Sentinel never writes and hands the sink the key
// named by kid with the key's algorithm. Keys embedded in or pointed to by
// the header (jwk, jku, x5u, x5c) are never looked at.
func (v *Verifier) keyFor(sink jws.KeySink, h jws.Headers, now time.Time) error {
	alg := h.Algorithm()
	if alg == jwa.NoSignature || alg == "" {
		return invalid("unsigned token (alg %q)", alg)
	}
	if h.Type() != "JWT" {
		return invalid("typ is %q, want JWT", h.Type())
	}
	if len(h.Critical()) > 0 {
		return invalid("unsupported critical header %q", h.Critical())
	}
	if h.ContentType() != "" {
		return invalid("nested token (cty %q)", h.ContentType())
	}
	if _, ok := h.Get("b64"); ok {
		return invalid("unencoded payload (b64) refused")
	}
	kid := h.KeyID()
	if kid == "" {
		return invalid("no kid")
	}
	pk, err := v.keys.VerificationKey(kid, now)
	if err != nil {
		if errors.Is(err, keys.ErrUnknownKey) {
			return invalid("unknown kid")
		}
		return fmt.Errorf("%w: key %s: %w", ErrCheckFailed, kid, err)
	}
	if alg != pk.Alg {
		return invalid("algorithm %s does not match key %s (%s)", alg, kid, pk.Alg)
	}
	sink.Key(pk.Alg, pk.Key)
	return nil
}

// checkClaims decodes the payload and checks type, iss, aud, times and the
// claims the kind requires.
func (v *Verifier) checkClaims(payload []byte, want Kind, now time.Time) (Claims, error) {
	var w wire
	if err := json.Unmarshal(payload, &w); err != nil {
		return Claims{}, invalid("malformed claims")
	}
	kind := Kind(w.Type)
	switch {
	case want != "" && kind != want:
		return Claims{}, invalid("token type %q, want %q", w.Type, want)
	case !kind.valid():
		return Claims{}, invalid("unknown token type %q", w.Type)
	case w.Iss != v.iss:
		return Claims{}, invalid("wrong issuer")
	case !w.Aud.contains(kind.Audience()):
		return Claims{}, invalid("wrong audience, want %s", kind.Audience())
	case w.Jti == "":
		return Claims{}, invalid("no jti")
	}
	iat, hasIat, err1 := numericDate(w.Iat)
	exp, hasExp, err2 := numericDate(w.Exp)
	nbf, hasNbf, err3 := numericDate(w.Nbf)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return Claims{}, invalid("malformed time claim")
	case !hasExp:
		return Claims{}, invalid("no exp")
	case !hasIat:
		return Claims{}, invalid("no iat")
	case !now.Before(exp.Add(v.skew)):
		return Claims{}, invalid("expired")
	case hasNbf && now.Add(v.skew).Before(nbf):
		return Claims{}, invalid("not yet valid")
	case now.Add(v.skew).Before(iat):
		return Claims{}, invalid("issued in the future")
	}
	c := w.claims(iat, exp)
	if err := required(kind, &c); err != nil {
		return Claims{}, invalid("%v", err)
	}
	return c, nil
}
