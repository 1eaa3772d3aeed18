package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/sentinel-auth/sentinel/store"
)

// The signing algorithms Sentinel supports. ES256 is the default; RS256 is
// what the original product used and its SDKs verify by default.
const (
	ES256 = jwa.ES256
	RS256 = jwa.RS256
	EdDSA = jwa.EdDSA
)

// rsaBits is the size of generated RSA keys; smaller stored keys are refused.
const rsaBits = 2048

// ParseAlg accepts exactly the supported algorithm names.
func ParseAlg(s string) (jwa.SignatureAlgorithm, error) {
	switch a := jwa.SignatureAlgorithm(s); a {
	case ES256, RS256, EdDSA:
		return a, nil
	}
	return "", fmt.Errorf("unsupported signing algorithm %q (want ES256, RS256 or EdDSA)", s)
}

// material is one usable signing key: the private key opened, the public
// key parsed and its JWK ready to publish.
type material struct {
	kid    string
	alg    jwa.SignatureAlgorithm
	priv   crypto.Signer
	pub    crypto.PublicKey
	pubJWK jwk.Key // kid, alg, use "sig"; public parameters only
}

// generate creates a new key pair for alg.
func generate(alg jwa.SignatureAlgorithm) (*material, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return newMaterial(alg, priv)
}

// newMaterial derives the kid (RFC 7638 thumbprint) and public JWK of priv.
func newMaterial(alg jwa.SignatureAlgorithm, priv crypto.Signer) (*material, error) {
	pub := priv.Public()
	if err := checkKeyType(alg, pub); err != nil {
		return nil, err
	}
	pubJWK, kid, err := publicJWK(alg, pub)
	if err != nil {
		return nil, err
	}
	return &material{kid: kid, alg: alg, priv: priv, pub: pub, pubJWK: pubJWK}, nil
}

// checkKeyType refuses a key that does not fit alg.
func checkKeyType(alg jwa.SignatureAlgorithm, pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if alg == ES256 && k.Curve == elliptic.P256() {
			return nil
		}
	case *rsa.PublicKey:
		if alg == RS256 {
			if k.N.BitLen() < rsaBits {
				return fmt.Errorf("RSA key of %d bits is too small (want at least %d)", k.N.BitLen(), rsaBits)
			}
			return nil
		}
	case ed25519.PublicKey:
		if alg == EdDSA {
			return nil
		}
	}
	return fmt.Errorf("a %T is not a %s key", pub, alg)
}

// publicJWK builds the JWK to publish from the raw public key (never from
// stored JSON, so nothing but public parameters can be published) and its
// thumbprint.
func publicJWK(alg jwa.SignatureAlgorithm, pub crypto.PublicKey) (jwk.Key, string, error) {
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, "", fmt.Errorf("public key to JWK: %w", err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, "", fmt.Errorf("JWK thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	for name, v := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: alg, jwk.KeyUsageKey: jwk.ForSignature} {
		if err := k.Set(name, v); err != nil {
			return nil, "", fmt.Errorf("set JWK %s: %w", name, err)
		}
	}
	return k, kid, nil
}

// row seals m under master as a store row.
func (m *material) row(master MasterKey, createdAt, signFrom time.Time) (store.SigningKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(m.priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode signing key %s: %w", m.kid, err)
	}
	sealed, err := master.seal(m.kid, der)
	if err != nil {
		return store.SigningKey{}, err
	}
	pubJSON, err := json.Marshal(m.pubJWK)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode public JWK %s: %w", m.kid, err)
	}
	return store.SigningKey{
		KID: m.kid, Alg: m.alg.String(),
		PrivateSealed: sealed, PublicJWK: pubJSON,
		CreatedAt: createdAt, SignFrom: signFrom,
	}, nil
}

// openRow opens a stored key and checks that every part of the row agrees:
// the algorithm is supported, the private key opens under master and fits
// the algorithm, and the kid is the thumbprint of both the private key's
// public half and the stored public JWK.
func openRow(master MasterKey, r store.SigningKey) (*material, error) {
	alg, err := ParseAlg(r.Alg)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
	}
	der, err := master.open(r.KID, r.PrivateSealed)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: decode private key: %w", r.KID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %T cannot sign", r.KID, parsed)
	}
	m, err := newMaterial(alg, priv)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
	}
	if m.kid != r.KID {
		return nil, fmt.Errorf("signing key %s: private key has thumbprint %s", r.KID, m.kid)
	}
	stored, err := jwk.ParseKey(r.PublicJWK)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: parse public JWK: %w", r.KID, err)
	}
	tp, err := stored.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: public JWK thumbprint: %w", r.KID, err)
	}
	if got := base64.RawURLEncoding.EncodeToString(tp); got != r.KID {
		return nil, fmt.Errorf("signing key %s: stored public JWK has thumbprint %s", r.KID, got)
	}
	return m, nil
}
