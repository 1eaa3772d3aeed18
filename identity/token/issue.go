package token

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Signer signs a JWT payload with the key current at now (identity/keys
// Keyring), returning a compact JWS with alg, kid and typ "JWT".
type Signer interface {
	Sign(now time.Time, payload []byte) ([]byte, error)
}

// IssuerConfig configures an Issuer.
type IssuerConfig struct {
	// Issuer is the iss claim: the server's base URL. Required.
	Issuer string
	// TTL overrides Kind.DefaultTTL per kind.
	TTL map[Kind]time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Issuer signs Sentinel's tokens. Safe for concurrent use.
type Issuer struct {
	signer Signer
	iss    string
	ttl    map[Kind]time.Duration
	now    func() time.Time
}

// NewIssuer returns an Issuer signing with s.
func NewIssuer(s Signer, cfg IssuerConfig) (*Issuer, error) {
	if s == nil {
		return nil, errors.New("token issuer: no signer")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("token issuer: the issuer (base URL) is required")
	}
	i := &Issuer{signer: s, iss: cfg.Issuer, ttl: make(map[Kind]time.Duration, len(Kinds)), now: cfg.Now}
	for _, k := range Kinds {
		i.ttl[k] = k.DefaultTTL()
	}
	for k, d := range cfg.TTL {
		if !k.valid() {
			return nil, fmt.Errorf("token issuer: TTL for unknown kind %q", k)
		}
		if d < time.Second {
			return nil, fmt.Errorf("token issuer: %s TTL %s is shorter than a second", k, d)
		}
		i.ttl[k] = d
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i, nil
}

// TTL is the lifetime of tokens of kind k.
func (i *Issuer) TTL(k Kind) time.Duration { return i.ttl[k] }

// Issued is a signed token and the claims it carries (those of its kind
// only, as Verify will return them).
type Issued struct {
	Token  string
	Claims Claims
}

// Issue signs a token of kind k. It sets iss, a random jti, aud, iat, exp
// and type; c supplies the rest (see Claims for what each kind carries).
func (i *Issuer) Issue(ctx context.Context, k Kind, c Claims) (Issued, error) {
	if !k.valid() {
		return Issued{}, fmt.Errorf("issue token: unknown kind %q", k)
	}
	if k == Admin {
		c.Admin = true
	}
	if err := required(k, &c); err != nil {
		return Issued{}, fmt.Errorf("issue token: %w", err)
	}
	at := i.now()
	now := at.UTC().Truncate(time.Second) // NumericDate has whole seconds
	jti, err := uuid.NewRandom()
	if err != nil {
		return Issued{}, fmt.Errorf("issue %s token: jti: %w", k, err)
	}
	c.Issuer, c.ID, c.Audience, c.Kind = i.iss, jti.String(), k.Audience(), k
	c.IssuedAt, c.ExpiresAt = now, now.Add(i.ttl[k])
	payload, err := encode(k, &c)
	if err != nil {
		return Issued{}, fmt.Errorf("issue %s token: %w", k, err)
	}
	signed, err := i.signer.Sign(at, payload)
	if err != nil {
		return Issued{}, fmt.Errorf("issue %s token: %w", k, err)
	}
	return Issued{Token: string(signed), Claims: project(k, c)}, nil
}
