package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

// identityServer is a sentinel binary with two OIDC providers ("corp" and
// "partner", each a real OpenID provider on loopback served through the
// oidc plugin), Redis for the JWKS cache and denylist, and a service.
type identityServer struct {
	srv           *testenv.Server
	dataDir       string
	corp, partner *testidp.IdP
	key           string // the service key of service "notes"
}

func requireRedis(t *testing.T) string {
	t.Helper()
	const url = "redis://127.0.0.1:6379/0"
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err != nil {
		testenv.Unavailable(t, "redis at %s: %v", url, err)
	}
	return url
}

func startIdentityServer(t *testing.T) *identityServer {
	t.Helper()
	return startIdentityServerWith(t, "SENTINEL_REDIS_URL="+requireRedis(t))
}

// startIdentityServerWith starts the server with extra environment (for
// instance Redis, or nothing: the single-node default).
func startIdentityServerWith(t *testing.T, env ...string) *identityServer {
	t.Helper()
	plugin, sum := testenv.PluginBinary(t, "oidc")
	s := &identityServer{dataDir: t.TempDir(), corp: testidp.Start(t), partner: testidp.Start(t)}
	var b strings.Builder
	b.WriteString("providers:\n")
	for name, idp := range map[string]*testidp.IdP{"corp": s.corp, "partner": s.partner} {
		fmt.Fprintf(&b, "  - name: %s\n    plugin: %s\n    sha256: %s\n    timeout: 5s\n    settings:\n      issuer: %s\n      client_ids: [%s]\n",
			name, plugin, sum, idp.Issuer(), idp.ClientID())
	}
	providers := filepath.Join(s.dataDir, "providers.yaml")
	if err := os.WriteFile(providers, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.srv = testenv.StartServer(t, append([]string{"SENTINEL_ADMIN_KEY=" + e2eAdmin, "SENTINEL_DATA_DIR=" + s.dataDir,
		"SENTINEL_PROVIDERS_FILE=" + providers,
		"SENTINEL_JWKS_MAX_AGE=1s", "SENTINEL_IDP_JWKS_REFRESH=200ms", "SENTINEL_KEY_REFRESH=200ms"}, env...)...)
	r := testenv.Must(t, 201, testenv.Do(t, "POST", s.srv.URL+"/v1/admin/services", e2eAdmin, map[string]any{"name": "notes"}))
	s.key = r.Body["secret"].(string)
	return s
}

func (s *identityServer) exchange(t *testing.T, provider, idpToken string) testenv.Response {
	t.Helper()
	return testenv.Do(t, "POST", s.srv.URL+"/v1/authz/token", s.key, map[string]any{"provider": provider, "idp_token": idpToken})
}

func (s *identityServer) introspect(t *testing.T, tok string) testenv.Response {
	t.Helper()
	return testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/tokens/introspect", s.key, map[string]any{"token": tok}))
}

// TestIdentityEndToEnd exchanges genuine ID tokens of a real OpenID
// provider for authz tokens through the server, and refuses every attack
// on the IdP token with 401.
func TestIdentityEndToEnd(t *testing.T) {
	t.Parallel()
	s := startIdentityServer(t)
	s.corp.AddUser(testidp.User{Subject: "anne-sub", Email: "anne@example.com", EmailVerified: true, Name: "Anne"})
	s.corp.AddUser(testidp.User{Subject: "bob-sub", Email: "bob@example.com", EmailVerified: false, Name: "Bob"})
	s.partner.AddUser(testidp.User{Subject: "anne-elsewhere", Email: "ANNE@example.com", EmailVerified: true})

	r := testenv.Must(t, 200, s.exchange(t, "corp", s.corp.IDToken(t, "anne-sub")))
	user := r.Body["user"].(map[string]any)
	if user["email"] != "anne@example.com" || user["name"] != "Anne" || r.Body["authz_token"] == "" {
		t.Fatalf("exchange: %s", r.Raw)
	}
	if ws, ok := r.Body["workspaces"].([]any); r.Body["workspaces"] != nil && (!ok || len(ws) != 0) {
		t.Fatalf("workspaces: %s", r.Raw)
	}
	authz := r.Body["authz_token"].(string)
	claims := s.introspect(t, authz).Body["claims"].(map[string]any)
	if claims["idp_sub"] != "anne-sub" || claims["svc"] != "notes" || claims["sub"] != user["id"] ||
		claims["aud"] != "sentinel:authz" || claims["type"] != "authz" || claims["iss"] != s.srv.URL {
		t.Fatalf("claims: %v", claims)
	}

	// The same identity again is the same user.
	r2 := testenv.Must(t, 200, s.exchange(t, "corp", s.corp.IDToken(t, "anne-sub")))
	if r2.Body["user"].(map[string]any)["id"] != user["id"] {
		t.Fatal("a second sign-in provisioned another user")
	}

	t.Run("attacks are refused with 401", func(t *testing.T) {
		idp := s.corp
		base := func() map[string]any { return idp.BaseClaims("anne-sub") }
		with := func(k string, v any) map[string]any { c := base(); c[k] = v; return c }
		now := time.Now()
		valid := idp.Sign(t, base())
		parts := strings.Split(valid, ".")
		tampered := parts[0] + "." + b64(strings.Replace(unb64(t, parts[1]), "anne-sub", "bob-sub", 1)) + "." + parts[2]
		cases := map[string]string{
			"expired":           idp.Sign(t, with("exp", now.Add(-10*time.Minute).Unix())),
			"not yet valid":     idp.Sign(t, with("nbf", now.Add(10*time.Minute).Unix())),
			"wrong audience":    idp.Sign(t, with("aud", "someone-else")),
			"wrong issuer":      idp.Sign(t, with("iss", "https://evil.example")),
			"alg none":          idp.Sign(t, base(), testidp.WithAlg("none")),
			"HS256 with RSA pk": idp.Sign(t, base(), testidp.WithAlg("HS256")),
			"unknown kid":       idp.Sign(t, base(), testidp.WithKID("no-such-key")),
			"foreign signature": idp.Sign(t, base(), testidp.WithForeignKey()),
			"tampered payload":  tampered,
			"garbage":           "not-a-jwt",
		}
		for name, tok := range cases {
			r := s.exchange(t, "corp", tok)
			if r.Status != 401 || r.Code() != "unauthenticated" {
				t.Errorf("%s: status %d, want 401: %s", name, r.Status, r.Raw)
			}
		}
		// The control: the same construction, untampered, is accepted.
		testenv.Must(t, 200, s.exchange(t, "corp", valid))
	})

	t.Run("unverified email is refused", func(t *testing.T) {
		r := s.exchange(t, "corp", s.corp.IDToken(t, "bob-sub"))
		if r.Status != 401 {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})

	t.Run("a known email from another provider is a conflict", func(t *testing.T) {
		r := s.exchange(t, "partner", s.partner.IDToken(t, "anne-elsewhere"))
		if r.Status != 409 {
			t.Fatalf("status %d, want 409: %s", r.Status, r.Raw)
		}
	})

	t.Run("unknown provider", func(t *testing.T) {
		if r := s.exchange(t, "nope", s.corp.IDToken(t, "anne-sub")); r.Status != 400 {
			t.Fatalf("status %d: %s", r.Status, r.Raw)
		}
	})

	t.Run("IdP key rotation", func(t *testing.T) {
		// The unknown-kid attack above just refreshed corp's keys; a
		// refresh is allowed once per SENTINEL_IDP_JWKS_REFRESH.
		time.Sleep(300 * time.Millisecond)
		s.corp.RotateKey()
		testenv.Must(t, 200, s.exchange(t, "corp", s.corp.IDToken(t, "anne-sub")))
	})

	t.Run("the original's /authz/resolve", func(t *testing.T) {
		hdr := map[string]string{"X-Service-Key": s.key}
		r := testenv.DoHeaders(t, "POST", s.srv.URL+"/authz/resolve", hdr,
			map[string]any{"idp_token": s.corp.IDToken(t, "anne-sub"), "provider": "corp", "nonce": "ignored"})
		testenv.Must(t, 200, r)
		if u := r.Body["user"].(map[string]any); u["id"] != user["id"] || u["email"] != "anne@example.com" {
			t.Fatalf("user: %s", r.Raw)
		}
		if ws, ok := r.Body["workspaces"].([]any); !ok || len(ws) != 0 || r.Body["authz_token"] != nil {
			t.Fatalf("without a workspace only workspaces is returned: %s", r.Raw)
		}
		bad := testenv.DoHeaders(t, "POST", s.srv.URL+"/authz/resolve", hdr, map[string]any{"idp_token": "forged", "provider": "corp"})
		if bad.Status != 400 || bad.Body["detail"] == nil {
			t.Fatalf("invalid IdP token: %d %s", bad.Status, bad.Raw)
		}
		ws := testenv.DoHeaders(t, "POST", s.srv.URL+"/authz/resolve", hdr,
			map[string]any{"idp_token": s.corp.IDToken(t, "anne-sub"), "provider": "corp", "workspace_id": "00000000-0000-0000-0000-000000000001"})
		if ws.Status != 403 {
			t.Fatalf("not a member: %d %s", ws.Status, ws.Raw)
		}
		noKey := testenv.DoHeaders(t, "POST", s.srv.URL+"/authz/resolve", nil, map[string]any{"idp_token": "x", "provider": "corp"})
		if noKey.Status != 401 {
			t.Fatalf("no service key: %d %s", noKey.Status, noKey.Raw)
		}
	})

	t.Run("the original's /users/me", func(t *testing.T) {
		me := func(h map[string]string) testenv.Response {
			return testenv.DoHeaders(t, "GET", s.srv.URL+"/users/me", h, nil)
		}
		r := testenv.Must(t, 200, me(map[string]string{"Authorization": "Bearer " + authz}))
		if r.Body["id"] != user["id"] || r.Body["email"] != "anne@example.com" || r.Body["is_active"] != true {
			t.Fatalf("/users/me: %s", r.Raw)
		}
		// The dual-token pair: the user's own IdP token plus the authz token.
		testenv.Must(t, 200, me(map[string]string{"Authorization": "Bearer " + s.corp.IDToken(t, "anne-sub"), "X-Authz-Token": authz}))
		for name, h := range map[string]map[string]string{
			"another user's IdP token": {"Authorization": "Bearer " + s.corp.IDToken(t, "bob-sub"), "X-Authz-Token": authz},
			"a forged IdP token":       {"Authorization": "Bearer " + s.corp.Sign(t, s.corp.BaseClaims("anne-sub"), testidp.WithAlg("none")), "X-Authz-Token": authz},
			"no credentials":           {},
			"garbage":                  {"Authorization": "Bearer garbage"},
			"an IdP token alone":       {"Authorization": "Bearer " + s.corp.IDToken(t, "anne-sub")},
		} {
			if r := me(h); r.Status != 401 || r.Body["detail"] == nil {
				t.Errorf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
	})

	t.Run("revoked token", func(t *testing.T) {
		tok := testenv.Must(t, 200, s.exchange(t, "corp", s.corp.IDToken(t, "anne-sub"))).Body["authz_token"].(string)
		testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/tokens/revoke", s.key, map[string]any{"token": tok}))
		if r := s.introspect(t, tok); r.Body["active"] != false || !strings.Contains(r.Raw, "revoked") {
			t.Fatalf("revoked token: %s", r.Raw)
		}
		if r := testenv.DoHeaders(t, "GET", s.srv.URL+"/users/me", map[string]string{"Authorization": "Bearer " + tok}, nil); r.Status != 401 {
			t.Fatalf("/users/me with a revoked token: %d %s", r.Status, r.Raw)
		}
		if r := s.introspect(t, authz); r.Body["active"] != true {
			t.Fatalf("another token of the user was revoked too: %s", r.Raw)
		}
	})

	t.Run("deactivated user", func(t *testing.T) {
		uid := user["id"].(string)
		testenv.Must(t, 200, testenv.Do(t, "PATCH", s.srv.URL+"/v1/admin/users/"+uid, e2eAdmin, map[string]any{"is_active": false}))
		waitIntrospect(t, s, authz, false)
		if r := testenv.DoHeaders(t, "GET", s.srv.URL+"/users/me", map[string]string{"Authorization": "Bearer " + authz}, nil); r.Status != 401 {
			t.Fatalf("/users/me for a deactivated user: %d %s", r.Status, r.Raw)
		}
		if r := s.exchange(t, "corp", s.corp.IDToken(t, "anne-sub")); r.Status != 403 {
			t.Fatalf("exchange for a deactivated user: %d %s", r.Status, r.Raw)
		}
		testenv.Must(t, 200, testenv.Do(t, "PATCH", s.srv.URL+"/v1/admin/users/"+uid, e2eAdmin, map[string]any{"is_active": true}))
		waitIntrospect(t, s, authz, true)
	})

	t.Run("a token of another service is not introspected", func(t *testing.T) {
		r := testenv.Must(t, 201, testenv.Do(t, "POST", s.srv.URL+"/v1/admin/services", e2eAdmin, map[string]any{"name": "other"}))
		other := r.Body["secret"].(string)
		res := testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/tokens/introspect", other, map[string]any{"token": authz}))
		if res.Body["active"] != false {
			t.Fatalf("service 'other' introspected a token of 'notes': %s", res.Raw)
		}
		if rv := testenv.Do(t, "POST", s.srv.URL+"/v1/tokens/revoke", other, map[string]any{"token": authz}); rv.Status != 400 {
			t.Fatalf("service 'other' revoked a token of 'notes': %d %s", rv.Status, rv.Raw)
		}
	})

	t.Run("plugin process killed", func(t *testing.T) {
		// The server's only children are its plugin processes.
		if out, err := exec.Command("pkill", "-KILL", "-P", fmt.Sprint(s.srv.PID())).CombinedOutput(); err != nil {
			t.Fatalf("pkill: %v %s", err, out)
		}
		// A call that reaches the dead process before the host noticed its
		// exit fails closed (503, never a token); the host then starts a
		// new process, so a later call succeeds. The bound only keeps a
		// broken restart from hanging the test.
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := s.exchange(t, "corp", s.corp.IDToken(t, "anne-sub"))
			if r.Status == 200 {
				break
			}
			if r.Status != 503 || r.Body["authz_token"] != nil {
				t.Fatalf("exchange after the plugin was killed = %d %s, want 503 or 200", r.Status, r.Raw)
			}
			if time.Now().After(deadline) {
				t.Fatalf("the plugin was not restarted within 30s: last answer %d %s", r.Status, r.Raw)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func waitIntrospect(t *testing.T, s *identityServer, tok string, active bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s.introspect(t, tok)
		if r.Body["active"] == active {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still not active=%v after 5s: %s", active, r.Raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSigningKeyRotation rotates Sentinel's own keys with the CLI while the
// server runs: the new key is published at once and signs after the delay;
// tokens signed before and after both verify offline with the Go SDK.
func TestSigningKeyRotation(t *testing.T) {
	t.Parallel()
	s := startIdentityServer(t)
	s.corp.AddUser(testidp.User{Subject: "carl", Email: "carl@example.com", EmailVerified: true})
	mint := func() string {
		return testenv.Must(t, 200, s.exchange(t, "corp", s.corp.IDToken(t, "carl"))).Body["authz_token"].(string)
	}
	old := mint()
	oldKID := kidOf(t, old)
	ctx := context.Background()
	v, err := sentinel.NewVerifier(ctx, s.srv.URL, sentinel.VerifierOptions{RefreshInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyAuthz(ctx, old, "notes"); err != nil {
		t.Fatalf("offline verification before rotation: %v", err)
	}
	if _, err := v.VerifyAuthz(ctx, old, "other-service"); err == nil {
		t.Fatal("a token of service notes verified for another service")
	}

	cli := exec.Command(testenv.Binary(t), "keys", "rotate", "--alg", "RS256", "--delay", "1s", "--jwks-max-age", "1s")
	cli.Env = append(os.Environ(), "SENTINEL_DATA_DIR="+s.dataDir, "SENTINEL_MASTER_KEY="+testenv.TestMasterKey)
	out, err := cli.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "signs from") {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	// Published at once (at the server's next key refresh)…
	waitFor(t, 5*time.Second, "the new key in the JWKS", func() bool {
		return len(testenv.Do(t, "GET", s.srv.URL+"/.well-known/jwks.json", "", nil).Body["keys"].([]any)) == 2
	})
	// …signing after the delay.
	var fresh string
	waitFor(t, 10*time.Second, "a token signed by the new key", func() bool {
		fresh = mint()
		return kidOf(t, fresh) != oldKID
	})
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if _, err := v.VerifyAuthz(ctx, tok, "notes"); err != nil {
			t.Errorf("offline verification of the %s token after rotation: %v", name, err)
		}
		if r := s.introspect(t, tok); r.Body["active"] != true {
			t.Errorf("server verification of the %s token: %s", name, r.Raw)
		}
	}
	list := exec.Command(testenv.Binary(t), "keys", "list")
	list.Env = cli.Env
	out, err = list.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "signing") || !strings.Contains(string(out), oldKID) {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal([]byte(unb64(t, strings.Split(tok, ".")[0])), &h); err != nil || h.KID == "" {
		t.Fatalf("token header: %v", err)
	}
	return h.KID
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func unb64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPluginsList starts each configured provider's plugin and shows its
// health; a checksum that does not match the binary refuses to start.
func TestPluginsList(t *testing.T) {
	t.Parallel()
	idp := testidp.Start(t)
	plugin, sum := testenv.PluginBinary(t, "oidc")
	dir := t.TempDir()
	write := func(name, sha string) string {
		p := filepath.Join(dir, name)
		doc := fmt.Sprintf(`{"providers":[{"name":"corp","plugin":%q,"sha256":%q,"settings":{"issuer":%q,"client_ids":[%q]}}]}`,
			plugin, sha, idp.Issuer(), idp.ClientID())
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := run(t, nil, "plugins", "list", "--providers-file", write("good.json", sum))
	if err != nil || !regexp.MustCompile(`corp\s+\S+oidc\s+ok`).MatchString(out) {
		t.Fatalf("plugins list: %v\n%s", err, out)
	}
	bad := strings.Repeat("0", 64)
	out, err = run(t, nil, "plugins", "list", "--providers-file", write("bad.json", bad))
	if err == nil || !strings.Contains(out, "sha256 does not match") {
		t.Fatalf("plugins list with a wrong sha256: %v\n%s", err, out)
	}
}

// TestIdentityWithoutRedis: the single-node default keeps the IdP key cache
// and the denylist in process; exchange, revocation and introspection work
// the same.
func TestIdentityWithoutRedis(t *testing.T) {
	t.Parallel()
	s := startIdentityServerWith(t)
	s.corp.AddUser(testidp.User{Subject: "dora", Email: "dora@example.com", EmailVerified: true})
	tok := testenv.Must(t, 200, s.exchange(t, "corp", s.corp.IDToken(t, "dora"))).Body["authz_token"].(string)
	if r := s.introspect(t, tok); r.Body["active"] != true {
		t.Fatalf("introspect: %s", r.Raw)
	}
	testenv.Must(t, 200, testenv.Do(t, "POST", s.srv.URL+"/v1/tokens/revoke", s.key, map[string]any{"token": tok}))
	if r := s.introspect(t, tok); r.Body["active"] != false {
		t.Fatalf("revoked token still active: %s", r.Raw)
	}
	if r := s.exchange(t, "corp", s.corp.Sign(t, s.corp.BaseClaims("dora"), testidp.WithAlg("none"))); r.Status != 401 {
		t.Fatalf("alg none: %d %s", r.Status, r.Raw)
	}
}
