package plugins

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestProviderConfigJSON(t *testing.T) {
	var c ProviderConfig
	err := json.Unmarshal([]byte(`{"name":"corp","plugin":"bin/oidc","sha256":"`+strings.Repeat("0f", 32)+`","timeout":"1500ms","settings":{"issuer":"https://idp"}}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "corp" || c.Timeout != 1500*time.Millisecond || c.Settings["issuer"] != "https://idp" {
		t.Fatalf("decoded %+v", c)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back ProviderConfig
	if err := json.Unmarshal(raw, &back); err != nil || back.Timeout != c.Timeout {
		t.Fatalf("round trip %s: (%+v, %v)", raw, back, err)
	}
	if err := json.Unmarshal([]byte(`{"timeout":"soon"}`), &c); err == nil {
		t.Fatal("a bad timeout was accepted")
	}
}

func TestCheckDefaults(t *testing.T) {
	c, err := ProviderConfig{Name: "corp", Plugin: "bin/oidc", SHA256: strings.Repeat("AB", 32)}.check()
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != DefaultTimeout || string(c.settings) != "{}" || !strings.HasPrefix(c.path, "/") || len(c.checksum) != 32 {
		t.Fatalf("checked %+v", c)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{0, 0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
	for n, w := range want {
		if got := backoff(n); got != w {
			t.Errorf("backoff(%d) = %s, want %s", n, got, w)
		}
	}
	if got := backoff(100); got != backoffMax {
		t.Errorf("backoff(100) = %s, want the cap %s", got, backoffMax)
	}
}
