package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMasterKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // has '+', '/' in std and '-', '_' in url alphabet
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"std padded", base64.StdEncoding.EncodeToString(raw), ""},
		{"std raw", base64.RawStdEncoding.EncodeToString(raw), ""},
		{"url padded", base64.URLEncoding.EncodeToString(raw), ""},
		{"url raw", base64.RawURLEncoding.EncodeToString(raw), ""},
		{"surrounding space", "  " + base64.StdEncoding.EncodeToString(raw) + "\n", ""},
		{"empty", "   ", "empty"},
		{"16 bytes", base64.StdEncoding.EncodeToString(raw[:16]), "decodes to 16 bytes, want 32"},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(raw, 1)), "decodes to 33 bytes, want 32"},
		{"not base64", "this is not base64!", "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMasterKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.k[:], raw) {
				t.Fatalf("decoded %x, want %x", m.k, raw)
			}
		})
	}
}

func TestMasterKeyNeverPrinted(t *testing.T) {
	m, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{m.Encode(), base64.RawURLEncoding.EncodeToString(m.k[:]), hex.EncodeToString(m.k[:]), fmt.Sprint(m.k[:])}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, m), fmt.Sprintf(verb, &m), fmt.Sprintf(verb, struct{ K MasterKey }{m}))
	}
	js, err := json.Marshal(struct{ K MasterKey }{m})
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("key", "master", m)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("key", "master", m)
	outs = append(outs, string(js), logBuf.String())
	for _, out := range outs {
		if !strings.Contains(out, "redacted") {
			t.Errorf("output %q does not say redacted", out)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("output %q contains the key", out)
			}
		}
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	envKey, _ := GenerateMasterKey()
	fileKey, _ := GenerateMasterKey()
	write := func(t *testing.T, mode os.FileMode, content string) string {
		p := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // not subject to umask
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name        string
		path        func(t *testing.T) string
		env         string
		create      bool
		want        *MasterKey
		wantCreated bool
		wantErr     string
	}{
		{"env wins over file", func(t *testing.T) string { return write(t, 0o600, fileKey.Encode()) }, envKey.Encode(), false, &envKey, false, ""},
		{"bad env", func(t *testing.T) string { return "" }, "c2hvcnQ=", true, nil, false, "SENTINEL_MASTER_KEY: master key decodes to 5 bytes"},
		{"existing 0600 file", func(t *testing.T) string { return write(t, 0o600, fileKey.Encode()+"\n") }, "", true, &fileKey, false, ""},
		{"existing 0400 file", func(t *testing.T) string { return write(t, 0o400, fileKey.Encode()) }, "", false, &fileKey, false, ""},
		{"group readable", func(t *testing.T) string { return write(t, 0o640, fileKey.Encode()) }, "", true, nil, false, "mode 0640"},
		{"world readable", func(t *testing.T) string { return write(t, 0o604, fileKey.Encode()) }, "", true, nil, false, "must not be accessible by group or others"},
		{"garbage file", func(t *testing.T) string { return write(t, 0o600, "hello") }, "", true, nil, false, "master key file"},
		{"directory", func(t *testing.T) string { d := t.TempDir(); os.Chmod(d, 0o700); return d }, "", true, nil, false, "not a regular file"},
		{"missing, no create", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") }, "", false, nil, false, "does not exist"},
		{"no path, no env", func(t *testing.T) string { return "" }, "", true, nil, false, "no master key"},
		{"missing, create", func(t *testing.T) string { return filepath.Join(t.TempDir(), "new", "dir", "master.key") }, "", true, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			m, created, err := LoadOrCreateMasterKey(path, tt.env, tt.create)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if created != tt.wantCreated {
				t.Fatalf("created = %v, want %v", created, tt.wantCreated)
			}
			if tt.want != nil && m.k != tt.want.k {
				t.Fatal("loaded a different key")
			}
			if !tt.wantCreated {
				return
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("created file has mode %04o, want 0600", st.Mode().Perm())
			}
			again, created, err := LoadOrCreateMasterKey(path, "", true)
			if err != nil || created || again.k != m.k {
				t.Fatalf("reload: created=%v err=%v same=%v", created, err, again.k == m.k)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Fatalf("directory holds %d entries, want only the key file (temp file left behind?)", len(entries))
			}
		})
	}
}
