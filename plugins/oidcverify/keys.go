package oidcverify

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// header is what is read from a token before its signature is checked:
// only alg (checked against the allowlist) and kid (to pick a key).
type header struct {
	alg string
	kid string
}

// parseHeader reads a compact JWS's protected header. Tokens in JSON
// serialization or with several signatures are refused.
func parseHeader(raw string) (header, error) {
	if strings.Count(raw, ".") != 2 {
		return header{}, invalid("not a compact JWT")
	}
	msg, err := jws.Parse([]byte(raw), jws.WithCompact())
	if err != nil {
		return header{}, invalid("malformed JWT: %v", err)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return header{}, invalid("want exactly one signature, got %d", len(sigs))
	}
	h := sigs[0].ProtectedHeaders()
	return header{alg: h.Algorithm().String(), kid: h.KeyID()}, nil
}

// keyCache remembers the last JWKS document fetched and its parsed form,
// so a warm Verify costs one call to the host's cache and no parsing. The
// host stays the authority on which document is current.
type keyCache struct {
	mu  sync.Mutex
	raw []byte
	set jwk.Set
}

// parsed returns the parsed form of doc, reusing the last parse when the
// document is unchanged.
func (c *keyCache) parsed(doc []byte) (jwk.Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set != nil && bytes.Equal(c.raw, doc) {
		return c.set, nil
	}
	set, err := jwk.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	c.raw, c.set = bytes.Clone(doc), set
	return set, nil
}

// find returns the key that must have signed a token with header h: the
// key with h's kid (or, without a kid, the only key that suits h's alg).
// A kid missing from the document makes the host refresh it once.
func (c *keyCache) find(ctx context.Context, keys KeyFetcher, jwksURL string, h header) (jwk.Key, error) {
	for _, refresh := range []bool{false, true} {
		doc, err := keys.Fetch(ctx, jwksURL, refresh)
		if err != nil {
			return nil, fmt.Errorf("fetch JWKS %s: %w", jwksURL, err)
		}
		set, err := c.parsed(doc)
		if err != nil {
			return nil, fmt.Errorf("JWKS %s: %w", jwksURL, err)
		}
		key, found, err := pick(set, h)
		if found || err != nil {
			return key, err
		}
	}
	if h.kid == "" {
		return nil, invalid("no kid and no single key for %s in the issuer's JWKS", h.alg)
	}
	return nil, invalid("unknown key id %q", h.kid)
}

// pick selects the key for h from set. found is false when no key has the
// kid; a key that has it but does not suit alg is a refusal.
func pick(set jwk.Set, h header) (jwk.Key, bool, error) {
	if h.kid != "" {
		key, ok := set.LookupKeyID(h.kid)
		if !ok {
			return nil, false, nil
		}
		if err := suits(key, h.alg); err != nil {
			return nil, true, invalid("key %q: %v", h.kid, err)
		}
		return key, true, nil
	}
	var match jwk.Key
	for i := 0; i < set.Len(); i++ {
		key, _ := set.Key(i)
		if suits(key, h.alg) != nil {
			continue
		}
		if match != nil {
			return nil, false, nil // ambiguous: refuse rather than guess
		}
		match = key
	}
	return match, match != nil, nil
}

// suits reports whether key may verify alg: a signing key of the right
// type whose own alg, if stated, is alg.
func suits(key jwk.Key, alg string) error {
	if use := key.KeyUsage(); use != "" && use != string(jwk.ForSignature) {
		return fmt.Errorf("use %q is not sig", use)
	}
	if ka := key.Algorithm().String(); ka != "" && ka != alg {
		return fmt.Errorf("key is for %s, token says %s", ka, alg)
	}
	want := map[byte]jwa.KeyType{'R': jwa.RSA, 'P': jwa.RSA, 'E': jwa.EC}[alg[0]]
	if alg == "EdDSA" {
		want = jwa.OKP
	}
	if key.KeyType() != want {
		return fmt.Errorf("key type %s cannot verify %s", key.KeyType(), alg)
	}
	return nil
}

// singleKey is the oidc.KeySet go-oidc verifies with: exactly the key
// chosen from the issuer's JWKS for this token, with the header's alg
// (already checked against the allowlist). Nothing in the token's header
// can add or replace a key.
type singleKey struct {
	key jwk.Key
	alg string
}

func (s *singleKey) VerifySignature(_ context.Context, raw string) ([]byte, error) {
	payload, err := jws.Verify([]byte(raw), jws.WithKey(jwa.SignatureAlgorithm(s.alg), s.key), jws.WithCompact())
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return payload, nil
}
