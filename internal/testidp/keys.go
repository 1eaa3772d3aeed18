package testidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// signingKey is one of the provider's key pairs. It is both the op.SigningKey
// the provider signs with and, through publicKey, an op.Key in the JWKS.
type signingKey struct {
	id   string // RFC 7638 thumbprint, as the original Sentinel and many IdPs use
	alg  jose.SignatureAlgorithm
	priv crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
}

// newSigningKey generates a key pair for alg (RS256 or ES256).
func newSigningKey(alg jose.SignatureAlgorithm) (*signingKey, error) {
	priv, err := generatePrivateKey(alg)
	if err != nil {
		return nil, err
	}
	thumb, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("thumbprint of new %s key: %w", alg, err)
	}
	return &signingKey{id: base64.RawURLEncoding.EncodeToString(thumb), alg: alg, priv: priv}, nil
}

// generatePrivateKey makes a fresh private key of the type alg needs.
func generatePrivateKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.RS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate RSA key: %w", err)
		}
		return k, nil
	case jose.ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate P-256 key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("unsupported signing algorithm %q (want RS256 or ES256)", alg)
	}
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.priv }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the JWKS view of a signingKey.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return p.k.alg }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.priv.Public() }
