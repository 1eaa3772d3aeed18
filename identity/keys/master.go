package keys

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of the master key in bytes (AES-256).
const MasterKeySize = 32

// MasterKey encrypts signing keys at rest. Its bytes never leave the
// package: printing, logging or JSON-encoding it shows "[redacted]".
type MasterKey struct {
	k [MasterKeySize]byte
	// set is false for the zero value, which is refused everywhere.
	set bool
}

// String, Format, GoString, LogValue and MarshalText keep the key out of
// logs and error messages whatever verb or encoder is used.
func (MasterKey) String() string                { return "[redacted]" }
func (MasterKey) GoString() string              { return "keys.MasterKey{[redacted]}" }
func (MasterKey) Format(f fmt.State, verb rune) { io.WriteString(f, "[redacted]") }
func (MasterKey) LogValue() slog.Value          { return slog.StringValue("[redacted]") }
func (MasterKey) MarshalText() ([]byte, error)  { return []byte("[redacted]"), nil }

// ParseMasterKey decodes a master key written in base64 (standard or URL
// alphabet, padded or not). It must decode to exactly 32 bytes.
func ParseMasterKey(s string) (MasterKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return MasterKey{}, errors.New("master key is empty")
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != MasterKeySize {
			return MasterKey{}, fmt.Errorf("master key decodes to %d bytes, want %d (generate one with: head -c 32 /dev/urandom | base64)", len(b), MasterKeySize)
		}
		var m MasterKey
		copy(m.k[:], b)
		m.set = true
		return m, nil
	}
	return MasterKey{}, errors.New("master key is not base64 (generate one with: head -c 32 /dev/urandom | base64)")
}

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() (MasterKey, error) {
	var m MasterKey
	if _, err := rand.Read(m.k[:]); err != nil {
		return MasterKey{}, fmt.Errorf("generate master key: %w", err)
	}
	m.set = true
	return m, nil
}

// Encode returns the key in standard base64, the form ParseMasterKey reads
// and the key file holds. Only for writing it where the operator asked.
func (m MasterKey) Encode() string { return base64.StdEncoding.EncodeToString(m.k[:]) }

// LoadOrCreateMasterKey returns the master key. fromEnv (the value of
// SENTINEL_MASTER_KEY) wins when non-empty. Otherwise the key is read from
// the file at path, which must not be readable or writable by group or
// others. If the file does not exist and create is true (the embedded
// single-node default), a new key is generated and written there with mode
// 0600; created reports that. With create false a missing file is an error.
func LoadOrCreateMasterKey(path, fromEnv string, create bool) (m MasterKey, created bool, err error) {
	if strings.TrimSpace(fromEnv) != "" {
		m, err := ParseMasterKey(fromEnv)
		if err != nil {
			return MasterKey{}, false, fmt.Errorf("SENTINEL_MASTER_KEY: %w", err)
		}
		return m, false, nil
	}
	if path == "" {
		return MasterKey{}, false, errors.New("no master key: set SENTINEL_MASTER_KEY or a master key file")
	}
	m, err = readMasterKeyFile(path)
	if err == nil {
		return m, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return MasterKey{}, false, err
	}
	if !create {
		return MasterKey{}, false, fmt.Errorf("no master key: %s does not exist and SENTINEL_MASTER_KEY is not set", path)
	}
	m, err = GenerateMasterKey()
	if err != nil {
		return MasterKey{}, false, err
	}
	won, err := writeNewFile(path, []byte(m.Encode()+"\n"))
	if err != nil {
		return MasterKey{}, false, fmt.Errorf("write master key file %s: %w", path, err)
	}
	if !won {
		// Another process created the file first: use its key.
		m, err = readMasterKeyFile(path)
		return m, false, err
	}
	return m, true, nil
}

// readMasterKeyFile reads and checks a key file. The permission check is
// made on the opened file, so the file checked is the file read.
func readMasterKeyFile(path string) (MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("open master key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return MasterKey{}, fmt.Errorf("stat master key file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return MasterKey{}, fmt.Errorf("master key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("master key file %s has mode %04o: it must not be accessible by group or others (chmod 600 %s)", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return MasterKey{}, fmt.Errorf("read master key file %s: %w", path, err)
	}
	m, err := ParseMasterKey(string(bytes.TrimSpace(b)))
	if err != nil {
		return MasterKey{}, fmt.Errorf("master key file %s: %w", path, err)
	}
	return m, nil
}

// writeNewFile writes data to path with mode 0600 only if path does not
// exist, atomically: the content goes to a temporary file first and is
// then hard-linked into place, so no reader ever sees a partial key and
// two processes racing create exactly one file. won is false if path
// existed already.
func writeNewFile(path string, data []byte) (won bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
