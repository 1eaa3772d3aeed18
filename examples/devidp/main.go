// Command devidp is a development OpenID provider for trying Sentinel's
// AuthZ mode on one machine. FOR DEVELOPMENT ONLY: every user it knows logs
// in without a password, and GET /dev/token hands an ID token for any of
// them to whoever asks. Keep it on loopback (the default address).
//
// It is the OpenID provider the tests use (internal/testidp, built on
// zitadel's certified op package): discovery, JWKS, the authorization-code
// flow with PKCE and a client secret, userinfo. On start it prints the
// issuer, the client, and a providers.yaml entry for Sentinel's oidc
// plugin; then
//
//	curl 'http://127.0.0.1:9009/dev/token?sub=alice'
//
// answers with a fresh ID token for alice, obtained through the real code
// flow. Usage:
//
//	go run ./examples/devidp [--addr 127.0.0.1:9009] [--client-id sentinel-dev]
//	    [--client-secret S] [--user "subject,email,name"]... [--redirect-uri URI]...
//	    [--plugin bin/plugins/oidc] [--write-providers providers.yaml]
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"github.com/sentinel-auth/sentinel/internal/testidp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "devidp:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	addr, clientID, clientSecret, plugin string
	writeProviders                       string
	anyUser                              string // email domain of users made up on demand
	users                                []testidp.User
	redirectURIs                         []string
}

func parseFlags(args []string, out io.Writer) (config, error) {
	c := config{}
	fs := flag.NewFlagSet("devidp", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:9009", "address to listen on; the issuer is http://<addr>")
	fs.StringVar(&c.clientID, "client-id", "sentinel-dev", "the registered client's id (the aud of ID tokens)")
	fs.StringVar(&c.clientSecret, "client-secret", "", "the client's secret (default: random, printed)")
	fs.StringVar(&c.plugin, "plugin", "bin/plugins/oidc", "Sentinel's oidc plugin binary, for the printed providers.yaml (path and sha256)")
	fs.StringVar(&c.writeProviders, "write-providers", "", "also write the providers.yaml to this file (for SENTINEL_PROVIDERS_FILE)")
	fs.Func("user", `a user "subject,email,name" with a verified email (repeatable; default "alice,alice@example.com,Alice")`, func(v string) error {
		u, err := parseUser(v)
		if err == nil {
			c.users = append(c.users, u)
		}
		return err
	})
	fs.StringVar(&c.anyUser, "any-user", "", `make up any unknown subject asked for at /dev/token as a user "<subject>@<this domain>" (for load tools)`)
	fs.Func("redirect-uri", "another redirect URI for the client, for an app doing the browser flow (repeatable)", func(v string) error {
		if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			return fmt.Errorf("redirect URI %q: want http(s)://…", v)
		}
		c.redirectURIs = append(c.redirectURIs, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.clientID == "" {
		return c, errors.New("--client-id must not be empty")
	}
	if c.clientSecret == "" {
		c.clientSecret = rand.Text()
	}
	if c.anyUser != "" && (strings.ContainsAny(c.anyUser, "@, \t\r\n") || !strings.Contains(c.anyUser, ".")) {
		return c, fmt.Errorf("--any-user %q: want an email domain such as bench.test", c.anyUser)
	}
	if len(c.users) == 0 {
		c.users = []testidp.User{{Subject: "alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice"}}
	}
	return c, nil
}

// parseUser reads "subject,email,name" (name optional).
func parseUser(v string) (testidp.User, error) {
	parts := strings.SplitN(v, ",", 3)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 2 || parts[0] == "" || !strings.Contains(parts[1], "@") {
		return testidp.User{}, fmt.Errorf("user %q: want \"subject,email,name\"", v)
	}
	u := testidp.User{Subject: parts[0], Email: parts[1], EmailVerified: true}
	if len(parts) == 3 {
		u.Name = parts[2]
	}
	return u, nil
}

// run serves the provider until ctx ends. Everything it prints is written
// before it starts waiting.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	idp, err := testidp.New(c.addr, testidp.WithClient(c.clientID, c.clientSecret))
	if err != nil {
		return err
	}
	defer idp.Close()
	known := &knownUsers{subjects: map[string]bool{}, domain: c.anyUser}
	for _, u := range c.users {
		idp.AddUser(u)
		known.subjects[u.Subject] = true
	}
	// A browser flow without login_hint (an app's own login) logs in the
	// first user.
	idp.LoginAs(c.users[0].Subject)
	for _, uri := range c.redirectURIs {
		idp.AddRedirectURI(uri)
	}
	idp.Handle("/dev/token", tokenHandler(idp, known))
	providers := providersYAML(c.plugin, idp)
	if c.writeProviders != "" {
		if err := os.WriteFile(c.writeProviders, []byte(providers), 0o600); err != nil {
			return fmt.Errorf("write providers file: %w", err)
		}
	}
	printBanner(stdout, c, idp, providers)
	<-ctx.Done()
	return nil
}

// knownUsers are the subjects /dev/token serves: those of --user, and
// with --any-user any other that is a plain name, made up on first use.
type knownUsers struct {
	mu       sync.Mutex
	subjects map[string]bool
	domain   string
}

// subjectRe is the form of a subject --any-user makes up.
var subjectRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// has reports whether sub is a user, adding it to the provider when
// --any-user allows.
func (k *knownUsers) has(idp *testidp.IdP, sub string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.subjects[sub] {
		return true
	}
	if k.domain == "" || !subjectRe.MatchString(sub) {
		return false
	}
	idp.AddUser(testidp.User{Subject: sub, Email: strings.ToLower(sub) + "@" + k.domain, EmailVerified: true, Name: sub})
	k.subjects[sub] = true
	return true
}

// tokenHandler answers GET /dev/token?sub=SUBJECT with a fresh ID token
// for the user, in plain text, obtained through the provider's real
// authorization-code flow.
func tokenHandler(idp *testidp.IdP, known *knownUsers) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := r.URL.Query().Get("sub")
		switch {
		case r.Method != http.MethodGet:
			w.Header().Set("Allow", "GET")
			http.Error(w, "devidp: use GET", http.StatusMethodNotAllowed)
			return
		case sub == "":
			http.Error(w, "devidp: ?sub=SUBJECT is required", http.StatusBadRequest)
			return
		case !known.has(idp, sub):
			http.Error(w, fmt.Sprintf("devidp: no user %q (add one with --user)", sub), http.StatusNotFound)
			return
		}
		tok, err := idp.Token(sub)
		if err != nil {
			http.Error(w, "devidp: "+err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, tok)
	})
}

func printBanner(w io.Writer, c config, idp *testidp.IdP, providers string) {
	fmt.Fprintln(w, "devidp: a development OpenID provider; every user logs in without a password. NOT FOR PRODUCTION.")
	if host, _, err := net.SplitHostPort(c.addr); err == nil && !isLoopback(host) {
		fmt.Fprintf(w, "WARNING: listening on %s: anyone who reaches it can get ID tokens from /dev/token\n", c.addr)
	}
	fmt.Fprintf(w, "issuer:        %s\n", idp.Issuer())
	fmt.Fprintf(w, "client id:     %s\n", idp.ClientID())
	fmt.Fprintf(w, "client secret: %s\n", idp.ClientSecret())
	for _, u := range c.users {
		fmt.Fprintf(w, "user:          %s <%s> %s\n", u.Subject, u.Email, u.Name)
	}
	if c.anyUser != "" {
		fmt.Fprintf(w, "any user:      any other subject S is made up as S@%s on first use\n", c.anyUser)
	}
	fmt.Fprintf(w, "ID token:      curl '%s/dev/token?sub=%s'\n", idp.Issuer(), c.users[0].Subject)
	fmt.Fprintln(w)
	if c.writeProviders != "" {
		fmt.Fprintf(w, "providers.yaml for Sentinel, written to %s (SENTINEL_PROVIDERS_FILE); exchange with \"provider\": \"devidp\":\n\n", c.writeProviders)
	} else {
		fmt.Fprintln(w, "providers.yaml for Sentinel (SENTINEL_PROVIDERS_FILE); exchange with \"provider\": \"devidp\":")
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, providers)
}

// providersYAML is the identity providers file naming this IdP for
// Sentinel's oidc plugin.
func providersYAML(pluginPath string, idp *testidp.IdP) string {
	plugin, sum := pluginEntry(pluginPath)
	return fmt.Sprintf("providers:\n  - name: devidp\n    plugin: %s\n    sha256: %s\n    settings:\n      issuer: %s\n      client_ids: [%s]\n",
		plugin, sum, idp.Issuer(), idp.ClientID())
}

// pluginEntry is the plugin's absolute path and SHA-256 when the binary
// exists, else the path as given and a placeholder saying how to get it.
func pluginEntry(path string) (string, string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return path, fmt.Sprintf("<sha256sum %s; build it with 'make build'>", path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
