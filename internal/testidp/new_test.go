package testidp

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestNewOutsideTests runs the provider the way a development IdP does:
// New on an address, Token without a testing.TB, an extra route, Close.
func TestNewOutsideTests(t *testing.T) {
	p, err := New("127.0.0.1:0", WithClient("dev-client", "dev-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.HasPrefix(p.Issuer(), "http://127.0.0.1:") || p.ClientID() != "dev-client" || p.ClientSecret() != "dev-secret" {
		t.Fatalf("issuer %q client %q/%q", p.Issuer(), p.ClientID(), p.ClientSecret())
	}
	p.AddUser(alice)

	raw, err := p.Token(alice.Subject, WithNonce("n-1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := verifier(t, p).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if tok.Subject != alice.Subject || tok.Nonce != "n-1" {
		t.Fatalf("sub %q nonce %q", tok.Subject, tok.Nonce)
	}
	if _, err := p.Token("nobody"); err == nil || !strings.Contains(err.Error(), "unknown user") {
		t.Fatalf("token of an unknown user: %v", err)
	}

	p.Handle("GET /extra", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "extra") }))
	if body := get(t, p.Issuer()+"/extra"); body != "extra" {
		t.Fatalf("extra route answered %q", body)
	}

	p.Close()
	if resp, err := http.Get(p.Issuer() + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Fatalf("discovery answered %s after Close", resp.Status)
	}
}

func TestNewAddresses(t *testing.T) {
	// An unspecified host is published as localhost, which clients reach.
	p, err := New(":0")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.HasPrefix(p.Issuer(), "http://localhost:") {
		t.Fatalf("issuer %q, want http://localhost:<port>", p.Issuer())
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	getJSON(t, p.Issuer()+"/.well-known/openid-configuration", &doc)
	if doc.Issuer != p.Issuer() {
		t.Fatalf("discovery issuer %q, want %q", doc.Issuer, p.Issuer())
	}

	// A taken address is an error, not a panic or a fatal.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.Issuer(), "http://"))
	if q, err := New("127.0.0.1:" + port); err == nil {
		q.Close()
		t.Fatal("New on a taken port succeeded")
	}
	if _, err := New("127.0.0.1:0", WithClient("", "")); err == nil {
		t.Fatal("New without a client id succeeded")
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	return string(b)
}
