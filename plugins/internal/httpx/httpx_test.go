package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	cases := []struct {
		url string
		ok  bool
	}{
		{"https://login.microsoftonline.com/common/v2.0", true},
		{"http://127.0.0.1:8080/jwks", true},
		{"http://[::1]/jwks", true},
		{"http://localhost/jwks", true},
		{"http://idp.example.com/jwks", false},
		{"http://127.0.0.1.evil.com/jwks", false},
		{"https://user:pass@idp.example.com/", false},
		{"https://idp.example.com/#frag", false},
		{"file:///etc/passwd", false},
		{"ftp://idp.example.com/", false},
		{"/relative/path", false},
		{"https:opaque", false},
	}
	for _, tc := range cases {
		if _, err := CheckURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestGetBoundsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100)))
	}))
	defer srv.Close()
	c := NewClient(0)
	if r, err := Get(context.Background(), c, srv.URL, nil, 100); err != nil || len(r.Body) != 100 {
		t.Fatalf("100 bytes with limit 100: (%d bytes, %v)", len(r.Body), err)
	}
	if _, err := Get(context.Background(), c, srv.URL, nil, 99); err == nil || !strings.Contains(err.Error(), "larger than 99") {
		t.Fatalf("100 bytes with limit 99: %v", err)
	}
}

func TestRedirectsMustStaySafe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.example.com/jwks", http.StatusFound)
	}))
	defer srv.Close()
	if _, err := Get(context.Background(), NewClient(0), srv.URL, nil, 100); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("redirect to cleartext remote: %v", err)
	}
}
