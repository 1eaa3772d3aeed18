package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrWrongMasterKey: a sealed signing key does not open under the master
// key (another master key sealed it, or the blob was altered or moved to
// another key's row).
var ErrWrongMasterKey = errors.New("master key does not open signing key")

// sealVersion prefixes every sealed blob so the format can change later.
const sealVersion byte = 1

// sealAAD binds a blob to its key id: a blob copied into another row does
// not open.
func sealAAD(kid string) []byte {
	return append([]byte("sentinel signing key v1\x00"), kid...)
}

func (m MasterKey) aead() (cipher.AEAD, error) {
	if !m.set {
		return nil, errors.New("master key is not set")
	}
	block, err := aes.NewCipher(m.k[:])
	if err != nil {
		return nil, fmt.Errorf("master key cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts plaintext with AES-256-GCM under a random nonce:
// version || nonce || ciphertext+tag.
func (m MasterKey) seal(kid string, plaintext []byte) ([]byte, error) {
	gcm, err := m.aead()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+gcm.NonceSize(), 1+gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal signing key %s: nonce: %w", kid, err)
	}
	return gcm.Seal(out, out[1:], plaintext, sealAAD(kid)), nil
}

// open reverses seal. Any failure to authenticate is ErrWrongMasterKey.
func (m MasterKey) open(kid string, sealed []byte) ([]byte, error) {
	gcm, err := m.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+gcm.NonceSize()+gcm.Overhead() {
		return nil, fmt.Errorf("sealed signing key %s is truncated (%d bytes)", kid, len(sealed))
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("sealed signing key %s has unknown format version %d", kid, sealed[0])
	}
	nonce := sealed[1 : 1+gcm.NonceSize()]
	plain, err := gcm.Open(nil, nonce, sealed[1+gcm.NonceSize():], sealAAD(kid))
	if err != nil {
		return nil, fmt.Errorf("%w %s (was it sealed under another SENTINEL_MASTER_KEY?)", ErrWrongMasterKey, kid)
	}
	return plain, nil
}
