package cache

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTTLFromCacheControl(t *testing.T) {
	b := ttlBounds{min: time.Minute, max: 24 * time.Hour, def: 15 * time.Minute}
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"no header: default", http.Header{}, 15 * time.Minute},
		{"max-age honoured", http.Header{"Cache-Control": {"public, max-age=300"}}, 5 * time.Minute},
		{"below the minimum", http.Header{"Cache-Control": {"max-age=10"}}, time.Minute},
		{"zero", http.Header{"Cache-Control": {"max-age=0"}}, time.Minute},
		{"above the maximum", http.Header{"Cache-Control": {"max-age=999999999999999"}}, 24 * time.Hour},
		{"case and quotes", http.Header{"Cache-Control": {`Public, MAX-AGE="600"`}}, 10 * time.Minute},
		{"age subtracted", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"100"}}, 500 * time.Second},
		{"age past max-age", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"700"}}, time.Minute},
		{"no-store: minimum", http.Header{"Cache-Control": {"no-store"}}, time.Minute},
		{"no-cache beats max-age", http.Header{"Cache-Control": {"max-age=600, no-cache"}}, time.Minute},
		{"negative: default", http.Header{"Cache-Control": {"max-age=-5"}}, 15 * time.Minute},
		{"garbage: default", http.Header{"Cache-Control": {"max-age=soon"}}, 15 * time.Minute},
		{"first valid max-age", http.Header{"Cache-Control": {"max-age=x", "max-age=120, max-age=900"}}, 2 * time.Minute},
		{"other directives only", http.Header{"Cache-Control": {"public, must-revalidate"}}, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.ttl(tt.header); got != tt.want {
				t.Errorf("ttl = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateJWKS(t *testing.T) {
	good := string(keySet(t, "a", "b"))
	noKid := strings.Replace(string(keySet(t, "x")), `"kid":"x",`, "", 1)
	if noKid == string(keySet(t, "x")) || strings.Contains(noKid, `"kid"`) {
		t.Fatalf("test setup: kid not removed from %s", noKid)
	}
	tests := []struct {
		name, doc string
		wantErr   string // "" = valid
	}{
		{"two keys", good, ""},
		{"not JSON", "<html>", "not a JSON object"},
		{"no keys member", `{}`, "no keys"},
		{"empty keys", `{"keys":[]}`, "no keys"},
		{"a single JWK, not a set", `{"kty":"EC","crv":"P-256","kid":"a","x":"1","y":"2"}`, "no keys"},
		{"key without kid", noKid, "no kid"},
		{"symmetric key", `{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}`, "symmetric"},
		{"RSA key missing its modulus", `{"keys":[{"kty":"RSA","kid":"r","e":"AQAB"}]}`, "JWKS"},
		{"unknown key type", `{"keys":[{"kty":"XYZ","kid":"u"}]}`, "JWKS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateJWKS([]byte(tt.doc))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatal("accepted")
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		from, to string
		ok       bool
	}{
		{"https://idp.example/jwks", "https://idp.example/v2/jwks", true},
		{"https://idp.example/jwks", "https://IDP.example:443/jwks", true},
		{"http://idp.example/jwks", "https://idp.example/jwks", true},
		{"https://idp.example/jwks", "http://idp.example/jwks", false},
		{"https://idp.example/jwks", "https://evil.example/jwks", false},
		{"https://idp.example/jwks", "https://idp.example.evil/jwks", false},
		{"https://idp.example/jwks", "https://idp.example:8443/jwks", false},
		{"http://127.0.0.1:8080/jwks", "http://127.0.0.1:6379/", false},
		{"https://idp.example/jwks", "ftp://idp.example/jwks", false},
	}
	for _, tt := range tests {
		from, _ := url.Parse(tt.from)
		to, _ := url.Parse(tt.to)
		if err := sameOrigin(from, to); (err == nil) != tt.ok {
			t.Errorf("%s → %s: err %v, want ok=%v", tt.from, tt.to, err, tt.ok)
		}
	}
}

// TestFetchHTTPRules drives the HTTP side through Fetch: scheme, status,
// size limit, redirects.
func TestFetchHTTPRules(t *testing.T) {
	doc := keySet(t, "k1")
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) { w.Write(doc) })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/created", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write(doc)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// A valid document padded past the limit, sent without a length.
		w.Write(doc[:len(doc)-1])
		w.(http.Flusher).Flush()
		w.Write([]byte(`,"pad":"` + strings.Repeat("x", 4096) + `"}`))
	})
	mux.HandleFunc("/here", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/jwks", http.StatusFound) })
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(doc) }))
	defer other.Close()
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/jwks", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := NewJWKS(nil, JWKSOptions{MaxBytes: 2048})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url     string
		wantErr string
	}{
		{srv.URL + "/jwks", ""},
		{srv.URL + "/here", ""},
		{srv.URL + "/missing", "status 404"},
		{srv.URL + "/created", "status 201"},
		{srv.URL + "/big", "byte limit"},
		{srv.URL + "/away", "another port"},
		{srv.URL + "/loop", "redirects"},
		{"file:///etc/passwd", "http or https"},
		{"ftp://" + strings.TrimPrefix(srv.URL, "http://") + "/jwks", "http or https"},
		{"http:///jwks", "no host"},
		{"://", "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := c.Fetch(t.Context(), tt.url, false)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(doc) {
					t.Fatalf("got %s, want %s", got, doc)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}
