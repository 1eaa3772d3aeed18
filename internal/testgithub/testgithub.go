// Package testgithub is a fake GitHub on loopback for tests of GitHub
// login: the OAuth authorization and token endpoints of an OAuth app (with
// PKCE) and the two REST endpoints Sentinel's github verifier plugin calls,
// /user and /user/emails. It is strict where GitHub is: the client id and
// secret, the redirect URI and the PKCE verifier must match, and a code is
// good once.
package testgithub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// User is a GitHub account.
type User struct {
	ID    int64
	Login string
	Name  string
	Email string // the verified primary address
}

// GitHub is a running fake. Its methods are safe for concurrent use.
type GitHub struct {
	srv *httptest.Server
	// ClientID and Secret are the OAuth app's credentials.
	ClientID, Secret string

	mu       sync.Mutex
	login    *User            // who the authorize step signs in
	codes    map[string]grant // code → grant
	tokens   map[string]User  // access token → user
	redeemed int
}

type grant struct {
	user                   User
	redirectURI, challenge string
}

// Start serves a fake GitHub until the test ends.
func Start(t testing.TB) *GitHub {
	g := &GitHub{ClientID: "gh-client", Secret: rand.Text(), codes: map[string]grant{}, tokens: map[string]User{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.accessToken)
	mux.HandleFunc("GET /user", g.api(func(u User) any {
		return map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "avatar_url": ""}
	}))
	mux.HandleFunc("GET /user/emails", g.api(func(u User) any {
		return []map[string]any{{"email": u.Email, "primary": true, "verified": true}}
	}))
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

// URL is the fake's base URL: the API base (the plugin's base_url) and
// the base of AuthURL and TokenURL.
func (g *GitHub) URL() string { return g.srv.URL }

// AuthURL is the authorization endpoint.
func (g *GitHub) AuthURL() string { return g.srv.URL + "/login/oauth/authorize" }

// TokenURL is the token endpoint.
func (g *GitHub) TokenURL() string { return g.srv.URL + "/login/oauth/access_token" }

// LoginAs makes the authorize step sign u in (nil: the user declines).
func (g *GitHub) LoginAs(u *User) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.login = u
}

// Redeemed is how many codes were exchanged for tokens.
func (g *GitHub) Redeemed() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.redeemed
}

// authorize signs the LoginAs user in at once and sends the browser back
// with a code, or with error=access_denied when there is none.
func (g *GitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("client_id") != g.ClientID || err != nil || redirect.Host == "" {
		http.Error(w, "fake GitHub: unknown client or bad redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "fake GitHub: this test requires PKCE S256", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	g.mu.Lock()
	if g.login == nil {
		back.Set("error", "access_denied")
	} else {
		code := rand.Text()
		g.codes[code] = grant{user: *g.login, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		back.Set("code", code)
	}
	g.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// accessToken redeems a code once, checking the client's credentials
// (form or basic auth), the redirect URI and the PKCE verifier.
func (g *GitHub) accessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	if id != g.ClientID || secret != g.Secret {
		fail("incorrect_client_credentials")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	code := r.PostForm.Get("code")
	gr, ok := g.codes[code]
	delete(g.codes, code)
	h := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		fail("bad_verification_code")
		return
	case gr.redirectURI != r.PostForm.Get("redirect_uri"):
		fail("redirect_uri_mismatch")
		return
	case base64.RawURLEncoding.EncodeToString(h[:]) != gr.challenge:
		fail("bad_verification_code")
		return
	}
	tok := "gho_" + strings.ToLower(rand.Text())
	g.tokens[tok] = gr.user
	g.redeemed++
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

// api answers a REST call for the bearer token's user.
func (g *GitHub) api(body func(User) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		g.mu.Lock()
		u, ok := g.tokens[tok]
		g.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body(u))
	}
}

// Provider is the providers-file entry of a "github" provider served by
// the github plugin at path (with its sha256) against this fake, with its
// login block; the client secret is read from secretEnv.
func (g *GitHub) Provider(plugin, sum, secretEnv string) string {
	return fmt.Sprintf("  - name: github\n    plugin: %s\n    sha256: %s\n    settings:\n      base_url: %s\n"+
		"    login:\n      client_id: %s\n      client_secret_env: %s\n      auth_url: %s\n      token_url: %s\n",
		plugin, sum, g.URL(), g.ClientID, secretEnv, g.AuthURL(), g.TokenURL())
}
