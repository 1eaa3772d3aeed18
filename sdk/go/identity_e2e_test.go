package sentinel_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

// TestIdentityThroughSentinel is AuthZ mode end to end with the SDK: a
// real OpenID provider's ID token is exchanged by a real Sentinel (oidc
// verifier plugin) for an authz token, which the SDK verifies offline
// against that server's JWKS, alone and as a pair; then introspected and
// revoked.
func TestIdentityThroughSentinel(t *testing.T) {
	ctx := context.Background()
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "anne-sub", Email: "anne@example.com", EmailVerified: true, Name: "Anne"})
	idp.AddUser(testidp.User{Subject: "bob-sub", Email: "bob@example.com", EmailVerified: true, Name: "Bob"})
	plugin, sum := testenv.PluginBinary(t, "oidc")
	dir := t.TempDir()
	providers := filepath.Join(dir, "providers.yaml")
	cfg := fmt.Sprintf("providers:\n  - name: corp\n    plugin: %s\n    sha256: %s\n    timeout: 5s\n    settings:\n      issuer: %s\n      client_ids: [%s]\n",
		plugin, sum, idp.Issuer(), idp.ClientID())
	if err := os.WriteFile(providers, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	const issuer = "http://sentinel.sdk-test" // the public URL; the app reaches the server elsewhere
	srv := testenv.StartServer(t, "SENTINEL_ADMIN_KEY="+testAdmin, "SENTINEL_DATA_DIR="+dir,
		"SENTINEL_PROVIDERS_FILE="+providers, "SENTINEL_ISSUER_URL="+issuer, "SENTINEL_REDIS_URL="+requireRedis(t))
	key := (&sentinelServer{URL: srv.URL}).service(t, "notes")
	c, _ := newClient(t, srv.URL, key)

	anneIDP := idp.IDToken(t, "anne-sub")
	res, err := c.AuthzToken(ctx, sentinel.AuthzTokenRequest{IdpToken: anneIDP, Provider: "corp"})
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID == "" || res.User.Email != "anne@example.com" || res.AuthzToken == "" || res.ExpiresIn <= 0 {
		t.Fatalf("AuthzToken = %+v", res)
	}
	_, err = c.AuthzToken(ctx, sentinel.AuthzTokenRequest{IdpToken: anneIDP + "x", Provider: "corp"})
	apiError(t, err, 401, "unauthenticated")
	_, err = c.AuthzToken(ctx, sentinel.AuthzTokenRequest{IdpToken: anneIDP, Provider: "nosuch"})
	apiError(t, err, 400, "invalid_argument")

	v, err := sentinel.NewVerifier(ctx, issuer, sentinel.VerifierOptions{JWKSURL: srv.URL + "/.well-known/jwks.json",
		IdPIssuer: idp.Issuer(), IdPClientID: idp.ClientID()})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v.VerifyAuthz(ctx, res.AuthzToken, "notes")
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != res.User.ID || claims.IdpSub != "anne-sub" || claims.Svc != "notes" {
		t.Fatalf("claims %+v for user %s", claims, res.User.ID)
	}
	if _, err := v.VerifyPair(ctx, anneIDP, res.AuthzToken, "notes"); err != nil {
		t.Fatalf("VerifyPair with anne's own IdP token: %v", err)
	}
	if _, err := v.VerifyPair(ctx, idp.IDToken(t, "bob-sub"), res.AuthzToken, "notes"); err == nil {
		t.Fatal("VerifyPair accepted anne's authz token with bob's IdP token")
	}
	if _, err := v.VerifyAuthz(ctx, res.AuthzToken, "billing"); err == nil {
		t.Fatal("the token verified for another service")
	}
	wrongIssuer, err := sentinel.NewVerifier(ctx, srv.URL, sentinel.VerifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrongIssuer.VerifyAuthz(ctx, res.AuthzToken, "notes"); err == nil {
		t.Fatalf("a verifier expecting iss %s accepted a token of %s", srv.URL, issuer)
	}

	in, err := c.Introspect(ctx, res.AuthzToken)
	if err != nil || !in.Active || in.Claims["sub"] != res.User.ID || in.Claims["type"] != "authz" {
		t.Fatalf("Introspect = %+v, %v", in, err)
	}
	if err := c.Revoke(ctx, res.AuthzToken); err != nil {
		t.Fatal(err)
	}
	in, err = c.Introspect(ctx, res.AuthzToken)
	if err != nil || in.Active || in.Reason == "" {
		t.Fatalf("Introspect after Revoke = %+v, %v; want inactive with a reason", in, err)
	}
	// Offline verification cannot see the denylist: that is what
	// Introspect is for.
	if _, err := v.VerifyAuthz(ctx, res.AuthzToken, "notes"); err != nil {
		t.Fatalf("offline verification of a revoked, unexpired token: %v", err)
	}
	err = c.Revoke(ctx, "not-a-token")
	apiError(t, err, 400, "invalid_argument")
}

// requireRedis returns the test Redis URL after a PING, or skips (fails
// under CI) when Redis is not there.
func requireRedis(t *testing.T) string {
	t.Helper()
	const addr = "127.0.0.1:6379"
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		var line string
		if _, err = conn.Write([]byte("PING\r\n")); err == nil {
			line, err = bufio.NewReader(conn).ReadString('\n')
		}
		if err == nil && !strings.HasPrefix(line, "+PONG") {
			err = fmt.Errorf("answered %q to PING", line)
		}
	}
	if err != nil {
		testenv.Unavailable(t, "redis at %s: %v", addr, err)
	}
	return "redis://" + addr + "/0"
}
