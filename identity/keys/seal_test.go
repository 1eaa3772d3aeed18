package keys

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	m, _ := GenerateMasterKey()
	other, _ := GenerateMasterKey()
	plain := []byte("private key bytes")
	sealed, err := m.seal("kid-a", plain)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := m.seal("kid-a", plain); bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same key are identical: the nonce is not random")
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed blob contains the plaintext")
	}
	flip := func(i int) []byte { b := bytes.Clone(sealed); b[i] ^= 1; return b }
	tests := []struct {
		name    string
		master  MasterKey
		kid     string
		blob    []byte
		wantErr string
		wrong   bool // errors.Is ErrWrongMasterKey
	}{
		{"round trip", m, "kid-a", sealed, "", false},
		{"other master key", other, "kid-a", sealed, "master key does not open signing key kid-a", true},
		{"moved to another row", m, "kid-b", sealed, "master key does not open signing key kid-b", true},
		{"ciphertext altered", m, "kid-a", flip(len(sealed) - 20), "master key does not open signing key kid-a", true},
		{"tag altered", m, "kid-a", flip(len(sealed) - 1), "master key does not open signing key kid-a", true},
		{"nonce altered", m, "kid-a", flip(3), "master key does not open signing key kid-a", true},
		{"unknown version", m, "kid-a", flip(0), "unknown format version", false},
		{"truncated", m, "kid-a", sealed[:20], "truncated", false},
		{"empty", m, "kid-a", nil, "truncated", false},
		{"zero master key", MasterKey{}, "kid-a", sealed, "master key is not set", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.master.open(tt.kid, tt.blob)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("open = %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrWrongMasterKey) != tt.wrong {
				t.Fatalf("errors.Is(err, ErrWrongMasterKey) = %v, want %v", !tt.wrong, tt.wrong)
			}
		})
	}
}
