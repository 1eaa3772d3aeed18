package testidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // hashes for jwsAlgs
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"testing"
	"time"
)

// SignOption changes how Sign builds the token.
type SignOption func(*signConfig)

type signConfig struct {
	alg        string
	kid        *string // nil: the signing key's kid
	header     map[string]any
	foreignKey bool
	hmacKey    []byte
}

// WithKID puts kid in the header instead of the signing key's own, for
// example an unknown kid or another key's.
func WithKID(kid string) SignOption { return func(c *signConfig) { c.kid = &kid } }

// WithoutKID leaves kid out of the header.
func WithoutKID() SignOption { return WithHeader("kid", nil) }

// WithAlg sets the header alg and signs accordingly: RS256/384/512 and
// PS256/384/512 need an RSA key, ES256 a P-256 key; "none" leaves the
// signature empty; HS256/384/512 use an HMAC keyed with the current public
// key in PEM form (the algorithm-confusion attack) unless WithHMACKey is given.
func WithAlg(alg string) SignOption { return func(c *signConfig) { c.alg = alg } }

// WithHMACKey sets the secret for HS* algorithms.
func WithHMACKey(secret []byte) SignOption { return func(c *signConfig) { c.hmacKey = secret } }

// WithHeader sets (or, with a nil value, removes) a header field; it wins over
// alg and kid set otherwise.
func WithHeader(name string, value any) SignOption {
	return func(c *signConfig) { c.header[name] = value }
}

// WithForeignKey signs with a freshly generated key of the same type that is
// not in the JWKS, while the header still names the current kid: a forged
// signature.
func WithForeignKey() SignOption { return func(c *signConfig) { c.foreignKey = true } }

// BaseClaims returns claims of a valid ID token for subject, as the flow
// would issue it (iss, aud, sub, iat, exp, and the user's email, name,
// picture and extra claims if the user exists), for attack tests to modify
// and pass to Sign.
func (p *IdP) BaseClaims(subject string) map[string]any {
	now := time.Now()
	c := map[string]any{}
	if u, ok := p.store.user(subject); ok {
		maps.Copy(c, u.Claims)
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
		c["name"] = u.Name
		c["picture"] = u.Picture
	}
	c["iss"] = p.issuer
	c["aud"] = []string{p.clientID}
	c["azp"] = p.clientID
	c["sub"] = subject
	c["iat"] = now.Unix()
	c["auth_time"] = now.Unix()
	c["exp"] = now.Add(p.lifetime).Unix()
	return c
}

// Sign serializes claims exactly as given into a compact JWS signed with the
// provider's current private key (header typ JWT, alg and kid of that key
// unless options change them). It exists for attack tests only: genuine
// tokens come from Login and IDToken.
func (p *IdP) Sign(t testing.TB, claims map[string]any, opts ...SignOption) string {
	t.Helper()
	key := p.store.currentKey()
	cfg := signConfig{alg: string(key.alg), header: map[string]any{}}
	for _, o := range opts {
		o(&cfg)
	}
	signer := key.priv
	if cfg.foreignKey {
		k, err := generatePrivateKey(key.alg)
		if err != nil {
			t.Fatalf("testidp: sign: %v", err)
		}
		signer = k
	}
	header := map[string]any{"alg": cfg.alg, "typ": "JWT", "kid": key.id}
	if cfg.kid != nil {
		header["kid"] = *cfg.kid
	}
	for k, v := range cfg.header {
		if v == nil {
			delete(header, k)
		} else {
			header[k] = v
		}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatalf("testidp: sign: header: %v", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("testidp: sign: claims: %v", err)
	}
	input := b64(h) + "." + b64(c)
	// HS* confusion uses the published key, not the (possibly foreign) signer.
	hmacKey := cfg.hmacKey
	if hmacKey == nil {
		hmacKey, err = publicPEM(key.priv.Public())
		if err != nil {
			t.Fatalf("testidp: sign: %v", err)
		}
	}
	sig, err := signJWS(cfg.alg, signer, hmacKey, []byte(input))
	if err != nil {
		t.Fatalf("testidp: sign: %v", err)
	}
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func publicPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// jwsAlgs are the algorithms Sign can produce (RFC 7518 section 3).
var jwsAlgs = map[string]struct {
	family string
	hash   crypto.Hash
}{
	"HS256": {"HS", crypto.SHA256}, "HS384": {"HS", crypto.SHA384}, "HS512": {"HS", crypto.SHA512},
	"RS256": {"RS", crypto.SHA256}, "RS384": {"RS", crypto.SHA384}, "RS512": {"RS", crypto.SHA512},
	"PS256": {"PS", crypto.SHA256}, "PS384": {"PS", crypto.SHA384}, "PS512": {"PS", crypto.SHA512},
	"ES256": {"ES", crypto.SHA256},
}

// signJWS computes the JWS signature of input for alg.
func signJWS(alg string, key crypto.Signer, hmacKey, input []byte) ([]byte, error) {
	if alg == "none" {
		return nil, nil
	}
	a, ok := jwsAlgs[alg]
	if !ok {
		return nil, fmt.Errorf("unsupported alg %q", alg)
	}
	d := a.hash.New()
	d.Write(input)
	digest := d.Sum(nil)
	switch a.family {
	case "HS":
		m := hmac.New(a.hash.New, hmacKey)
		m.Write(input)
		return m.Sum(nil), nil
	case "RS", "PS":
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("alg %s needs an RSA key, the provider's key is %T", alg, key)
		}
		if a.family == "RS" {
			return rsa.SignPKCS1v15(rand.Reader, rk, a.hash, digest)
		}
		return rsa.SignPSS(rand.Reader, rk, a.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	default: // ES256
		ek, ok := key.(*ecdsa.PrivateKey)
		if !ok || ek.Curve != elliptic.P256() {
			return nil, fmt.Errorf("alg %s needs a P-256 key, the provider's key is %T", alg, key)
		}
		r, s, err := ecdsa.Sign(rand.Reader, ek, digest)
		if err != nil {
			return nil, fmt.Errorf("ECDSA sign: %w", err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
}
