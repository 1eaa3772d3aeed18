package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/plugins"
)

// fakeGitHub serves /user and /user/emails for token "good" with the given
// emails body; other tokens get 401.
type fakeGitHub struct {
	user, emails     string
	status           map[string]int    // path → status to answer instead
	header           map[string]string // extra response headers
	gotAuth, gotAcct string
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.gotAuth, f.gotAcct = r.Header.Get("Authorization"), r.Header.Get("Accept")
	for k, v := range f.header {
		w.Header().Set(k, v)
	}
	if r.Header.Get("Authorization") != "Bearer good" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if s, ok := f.status[r.URL.Path]; ok {
		if s == http.StatusFound {
			http.Redirect(w, r, "https://elsewhere.example/steal", s)
			return
		}
		w.WriteHeader(s)
		return
	}
	switch r.URL.Path {
	case "/user":
		w.Write([]byte(f.user))
	case "/user/emails":
		w.Write([]byte(f.emails))
	default:
		http.NotFound(w, r)
	}
}

const (
	octocat  = `{"id": 1, "login": "octocat", "name": "", "avatar_url": "https://a.example/1"}`
	verified = `[{"email":"o@example.com","primary":true,"verified":true}]`
)

func TestVerify(t *testing.T) {
	cases := []struct {
		name    string
		fake    fakeGitHub
		token   string
		subject string
		refused string // non-empty: ErrInvalidToken mentioning this
		failure string // non-empty: plain error mentioning this
	}{
		{name: "verified primary", fake: fakeGitHub{user: octocat, emails: verified}, token: "good", subject: "github|1"},
		{name: "bad token", fake: fakeGitHub{user: octocat, emails: verified}, token: "bad", refused: "rejected the token"},
		{name: "token with a newline", fake: fakeGitHub{user: octocat, emails: verified}, token: "good\nX-Evil: 1", refused: "malformed"},
		{name: "primary not verified", fake: fakeGitHub{user: octocat, emails: `[{"email":"o@example.com","primary":true,"verified":false},{"email":"p@example.com","primary":false,"verified":true}]`}, token: "good", refused: "no verified primary email"},
		{name: "no emails", fake: fakeGitHub{user: octocat, emails: `[]`}, token: "good", refused: "no verified primary email"},
		{name: "no user:email scope", fake: fakeGitHub{user: octocat, status: map[string]int{"/user/emails": 404}}, token: "good", refused: "user:email scope"},
		{name: "rate limited", fake: fakeGitHub{user: octocat, status: map[string]int{"/user/emails": 403}, header: map[string]string{"X-RateLimit-Remaining": "0"}}, token: "good", failure: "status 403"},
		{name: "server error", fake: fakeGitHub{status: map[string]int{"/user": 502}}, token: "good", failure: "status 502"},
		{name: "redirect not followed", fake: fakeGitHub{status: map[string]int{"/user": http.StatusFound}}, token: "good", failure: "status 302"},
		{name: "user without id", fake: fakeGitHub{user: `{"login":"x"}`, emails: verified}, token: "good", failure: "without an id"},
		{name: "garbage body", fake: fakeGitHub{user: `<html>`, emails: verified}, token: "good", failure: "decode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&tc.fake)
			defer srv.Close()
			v := &verifier{}
			if err := v.Configure([]byte(`{"base_url":"` + srv.URL + `/"}`)); err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(context.Background(), tc.token, nil)
			switch {
			case tc.refused != "":
				if !errors.Is(err, plugins.ErrInvalidToken) || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("got %v, want ErrInvalidToken mentioning %q", err, tc.refused)
				}
			case tc.failure != "":
				if err == nil || errors.Is(err, plugins.ErrInvalidToken) || !strings.Contains(err.Error(), tc.failure) {
					t.Fatalf("got %v, want a plain error mentioning %q", err, tc.failure)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if id.Subject != tc.subject || id.Email != "o@example.com" || !id.EmailVerified || id.Name != "octocat" || id.Issuer != Issuer {
					t.Fatalf("identity %+v", id)
				}
				if tc.fake.gotAuth != "Bearer good" || tc.fake.gotAcct != "application/vnd.github+json" {
					t.Fatalf("sent Authorization %q, Accept %q", tc.fake.gotAuth, tc.fake.gotAcct)
				}
			}
			if err != nil && id.Subject != "" {
				t.Fatalf("error with an identity %+v", id)
			}
		})
	}
}

func TestConfigure(t *testing.T) {
	cases := []struct{ settings, want string }{
		{`{}`, ""},
		{`{"base_url":"https://github.example.com/api/v3","timeout":"2s"}`, ""},
		{`{"base_url":"http://github.example.com"}`, "loopback"},
		{`{"timeout":"-1s"}`, "positive duration"},
		{`{"baseurl":"https://x"}`, "unknown field"},
	}
	for _, tc := range cases {
		err := (&verifier{}).Configure([]byte(tc.settings))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Configure(%s) = %v, want %q", tc.settings, err, tc.want)
		}
	}
}
