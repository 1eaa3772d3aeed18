package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// The well-known documents are what offline verifiers (the SDKs) read.
func TestWellKnown(t *testing.T) {
	e := start(t, testenv.SQLiteStore(t))
	conf := e.must(200, e.do("GET", "/.well-known/openid-configuration", "", nil))
	if conf.Body["issuer"] != apptest.TestIssuer || conf.Body["jwks_uri"] != apptest.TestIssuer+"/.well-known/jwks.json" {
		t.Fatalf("openid-configuration: %s", conf.Raw)
	}
	algs, _ := conf.Body["id_token_signing_alg_values_supported"].([]any)
	if !slices.Contains(algs, any("ES256")) {
		t.Fatalf("algorithms: %s", conf.Raw)
	}

	res, err := http.Get(e.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	jwks := e.must(200, e.do("GET", "/.well-known/jwks.json", "", nil))
	keys, _ := jwks.Body["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("jwks: %s", jwks.Raw)
	}
	k := keys[0].(map[string]any)
	if k["use"] != "sig" || k["alg"] != "ES256" || k["kid"] == "" || k["d"] != nil {
		t.Fatalf("published key: %v", k)
	}
	health := e.must(200, e.do("GET", "/health", "", nil))
	if health.Body["status"] != "ok" {
		t.Fatalf("/health: %s", health.Raw)
	}
}

// Without identity providers the exchange is unavailable, not a crash.
func TestAuthzTokenWithoutProviders(t *testing.T) {
	e := start(t, testenv.SQLiteStore(t))
	key := e.createService("notes")
	r := e.do("POST", "/v1/authz/token", key, map[string]any{"provider": "google", "idp_token": "x"})
	if r.Status != 503 || r.Code() != "unavailable" {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	bad := e.do("POST", "/v1/tokens/introspect", key, map[string]any{"token": "not-a-jwt"})
	if bad.Status != 200 || bad.Body["active"] != false {
		t.Fatalf("introspect garbage: %d %s", bad.Status, bad.Raw)
	}
}
