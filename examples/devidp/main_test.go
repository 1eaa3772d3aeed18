package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.yaml.in/yaml/v3"
)

// devIdP is run started in-process on a free port, with what it printed.
type devIdP struct {
	issuer, clientID string
	providers        string // the printed providers.yaml
}

// startDevIdP runs the command with args on 127.0.0.1:0 until the test ends
// and reads its banner.
func startDevIdP(t *testing.T, args ...string) devIdP {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), pw)
		pw.CloseWithError(err)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	var d devIdP
	var yml strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "issuer:"):
			d.issuer = strings.TrimSpace(strings.TrimPrefix(line, "issuer:"))
		case strings.HasPrefix(line, "client id:"):
			d.clientID = strings.TrimSpace(strings.TrimPrefix(line, "client id:"))
		case line == "providers:" || (yml.Len() > 0 && strings.HasPrefix(line, " ")):
			yml.WriteString(line + "\n")
		}
		if yml.Len() > 0 && line == "" {
			break // the snippet ends the banner
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read banner: %v", err)
	}
	go io.Copy(io.Discard, pr) // never block run on a write
	d.providers = yml.String()
	if d.issuer == "" || d.providers == "" {
		t.Fatalf("banner without issuer or providers.yaml: %+v", d)
	}
	return d
}

func httpGet(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestDevTokenVerifies fetches /dev/token and verifies the ID token with
// go-oidc against the discovery document, as Sentinel's oidc plugin does.
func TestDevTokenVerifies(t *testing.T) {
	d := startDevIdP(t, "--client-id", "my-app", "--user", "bob,bob@example.com,Bob Builder", "--user", "carol,carol@example.com")
	if !strings.HasPrefix(d.issuer, "http://127.0.0.1:") || d.clientID != "my-app" {
		t.Fatalf("issuer %q client %q", d.issuer, d.clientID)
	}
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, d.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	v := prov.Verifier(&oidc.Config{ClientID: "my-app"})

	status, body := httpGet(t, "GET", d.issuer+"/dev/token?sub=bob")
	if status != 200 {
		t.Fatalf("/dev/token: %d %s", status, body)
	}
	tok, err := v.Verify(ctx, strings.TrimSpace(body))
	if err != nil {
		t.Fatalf("verify the ID token: %v", err)
	}
	var c struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if tok.Subject != "bob" || c.Email != "bob@example.com" || !c.EmailVerified || c.Name != "Bob Builder" {
		t.Fatalf("sub %q claims %+v", tok.Subject, c)
	}
	// Each call is a new login: a new token.
	_, again := httpGet(t, "GET", d.issuer+"/dev/token?sub=bob")
	if again == body {
		t.Fatal("two /dev/token calls returned the same token")
	}
	if _, err := prov.Verifier(&oidc.Config{ClientID: "another-app"}).Verify(ctx, strings.TrimSpace(body)); err == nil {
		t.Fatal("the ID token verified for another client id")
	}

	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"second user", "GET", "/dev/token?sub=carol", 200},
		{"no sub", "GET", "/dev/token", 400},
		{"unknown user", "GET", "/dev/token?sub=mallory", 404},
		{"not GET", "POST", "/dev/token?sub=bob", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := httpGet(t, tc.method, d.issuer+tc.path); status != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, status, body, tc.status)
			}
		})
	}
}

// TestAnyUser: with --any-user, /dev/token makes up a user for an unknown
// plain subject, with a verified email in that domain; other subjects are
// still refused.
func TestAnyUser(t *testing.T) {
	d := startDevIdP(t, "--any-user", "bench.test")
	ctx := context.Background()
	prov, err := oidc.NewProvider(ctx, d.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	v := prov.Verifier(&oidc.Config{ClientID: d.clientID})
	for _, tc := range []struct {
		sub    string
		status int
		email  string
	}{
		{"bench1-w0-u3", 200, "bench1-w0-u3@bench.test"},
		{"Zed.Q_9", 200, "zed.q_9@bench.test"},
		{"alice", 200, "alice@example.com"}, // the default user keeps her email
		{"-dash-first", 404, ""},
		{"two%20words", 404, ""},
		{strings.Repeat("x", 65), 404, ""},
	} {
		t.Run(tc.sub, func(t *testing.T) {
			status, body := httpGet(t, "GET", d.issuer+"/dev/token?sub="+tc.sub)
			if status != tc.status {
				t.Fatalf("/dev/token?sub=%s: %d %s, want %d", tc.sub, status, body, tc.status)
			}
			if status != 200 {
				return
			}
			tok, err := v.Verify(ctx, strings.TrimSpace(body))
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			var c struct {
				Email         string `json:"email"`
				EmailVerified bool   `json:"email_verified"`
			}
			if err := tok.Claims(&c); err != nil {
				t.Fatal(err)
			}
			if c.Email != tc.email || !c.EmailVerified {
				t.Fatalf("claims %+v, want email %s verified", c, tc.email)
			}
		})
	}
}

// TestProvidersSnippet checks the printed providers.yaml: the default
// client and user, and the plugin's real path and checksum when it exists.
func TestProvidersSnippet(t *testing.T) {
	plugin := filepath.Join(t.TempDir(), "oidc")
	if err := os.WriteFile(plugin, []byte("not really a plugin"), 0o700); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("not really a plugin"))
	tests := []struct {
		name       string
		plugin     string
		wantPlugin string
		wantSum    string
	}{
		{"plugin built", plugin, plugin, hex.EncodeToString(sum[:])},
		{"plugin missing", "no/such/plugin", "no/such/plugin", "<sha256sum no/such/plugin; build it with 'make build'>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			written := filepath.Join(t.TempDir(), "providers.yaml")
			d := startDevIdP(t, "--plugin", tt.plugin, "--write-providers", written)
			if b, err := os.ReadFile(written); err != nil || string(b) != d.providers {
				t.Fatalf("written providers file %q (%v), printed:\n%s", b, err, d.providers)
			}
			var f struct {
				Providers []struct {
					Name, Plugin, SHA256 string
					Settings             struct {
						Issuer    string   `yaml:"issuer"`
						ClientIDs []string `yaml:"client_ids"`
					}
				}
			}
			if err := yaml.Unmarshal([]byte(d.providers), &f); err != nil {
				t.Fatalf("providers.yaml: %v\n%s", err, d.providers)
			}
			if len(f.Providers) != 1 {
				t.Fatalf("providers.yaml: %s", d.providers)
			}
			p := f.Providers[0]
			if p.Name != "devidp" || p.Plugin != tt.wantPlugin || p.SHA256 != tt.wantSum ||
				p.Settings.Issuer != d.issuer || len(p.Settings.ClientIDs) != 1 || p.Settings.ClientIDs[0] != "sentinel-dev" {
				t.Fatalf("provider %+v\n%s", p, d.providers)
			}
			// The default user exists.
			if status, body := httpGet(t, "GET", d.issuer+"/dev/token?sub=alice"); status != 200 {
				t.Fatalf("default user alice: %d %s", status, body)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"user without email", []string{"--user", "dave"}},
		{"user with a bad email", []string{"--user", "dave,not-an-email,Dave"}},
		{"empty client id", []string{"--client-id", ""}},
		{"redirect URI not a URL", []string{"--redirect-uri", "javascript:alert(1)"}},
		{"stray argument", []string{"extra"}},
		{"any-user not a domain", []string{"--any-user", "me@bench.test"}},
		{"providers file unwritable", []string{"--write-providers", "/no/such/dir/providers.yaml"}},
		{"address taken", nil}, // filled in below
	}
	// An address in use is refused.
	d := startDevIdP(t)
	tests[len(tests)-1].args = []string{"--addr", strings.TrimPrefix(d.issuer, "http://")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a run that started would return at once
			args := append([]string{"--addr", "127.0.0.1:0"}, tt.args...)
			if err := run(ctx, args, io.Discard); err == nil {
				t.Fatalf("run %q succeeded", tt.args)
			}
		})
	}

	c, err := parseFlags([]string{"--user", " erin , erin@example.com , Erin E "}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.users[0]; u.Subject != "erin" || u.Email != "erin@example.com" || u.Name != "Erin E" || !u.EmailVerified || c.clientSecret == "" {
		t.Fatalf("config %+v", c)
	}
}
