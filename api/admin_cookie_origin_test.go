package api

import "testing"

// TestAdminCookieOrigin: which Origin headers may use the admin_token
// cookie: Sentinel's and the console's, as a browser writes them (lower
// case, no default port), and a request without one.
func TestAdminCookieOrigin(t *testing.T) {
	s := &Server{cfg: Config{IssuerURL: "https://Auth.example.com/", AdminURL: "https://console.example.com:8443/admin"}}
	noConsole := &Server{cfg: Config{IssuerURL: "http://127.0.0.1:9003"}}
	cases := []struct {
		srv    *Server
		origin string
		want   bool
	}{
		{s, "", true},
		{s, "https://auth.example.com", true},
		{s, "https://auth.example.com:443", true},
		{s, "https://console.example.com:8443", true},
		{noConsole, "http://127.0.0.1:9003", true},
		{s, "https://notes.example.com", false},
		{s, "http://auth.example.com", false},
		{s, "https://auth.example.com:8443", false},
		{s, "https://console.example.com", false},
		{s, "https://auth.example.com.evil.example", false},
		{s, "https://auth.example.com@evil.example", false},
		{s, "null", false},
		{s, "file://", false},
		{noConsole, "http://127.0.0.1:9004", false},
		{noConsole, "http://localhost:9003", false},
	}
	for _, tc := range cases {
		if got := tc.srv.adminCookieOrigin(tc.origin); got != tc.want {
			t.Errorf("issuer %s, admin %q: origin %q allowed = %v, want %v", tc.srv.cfg.IssuerURL, tc.srv.cfg.AdminURL, tc.origin, got, tc.want)
		}
	}
}
