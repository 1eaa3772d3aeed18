package token

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/identity/keys"
)

// TestIssueVerifyRoundTrip issues every kind with every algorithm through
// the real keyring and checks the wire format and what Verify returns.
func TestIssueVerifyRoundTrip(t *testing.T) {
	type want struct {
		aud     string
		ttl     time.Duration
		present []string // claims beside the registered ones
		absent  []string
	}
	kinds := map[Kind]want{
		Access:  {"sentinel:access", 15 * time.Minute, []string{"email", "name", "wid", "wslug", "wrole", "groups"}, []string{"idp_sub", "svc", "actions", "fid", "admin"}},
		Refresh: {"sentinel:refresh", 7 * 24 * time.Hour, []string{"fid"}, []string{"email", "wid", "groups", "actions", "idp_sub"}},
		Admin:   {"sentinel:admin", time.Hour, []string{"email", "name", "admin"}, []string{"wid", "groups", "fid"}},
		Authz:   {"sentinel:authz", 5 * time.Minute, []string{"idp_sub", "svc", "wid", "wslug", "wrole", "groups", "actions"}, []string{"email", "fid", "admin"}},
	}
	for _, alg := range algs {
		e := newEnv(t, alg, keys.Options{})
		signer, _ := e.ring.Signer(t0)
		for _, k := range Kinds {
			w := kinds[k]
			t.Run(alg.String()+"/"+string(k), func(t *testing.T) {
				in := sampleClaims()
				in.ID, in.Issuer = "caller-chosen", "https://ignored" // overwritten by Issue
				out := e.issue(t, k, in)

				h, cl := segments(t, out.Token)
				if h["alg"] != alg.String() || h["kid"] != signer.KID || h["typ"] != "JWT" || len(h) != 3 {
					t.Fatalf("header %v, want exactly alg %s, kid %s, typ JWT", h, alg, signer.KID)
				}
				if cl["iss"] != testIssuer || cl["aud"] != w.aud || cl["type"] != string(k) || cl["sub"] != in.Subject {
					t.Fatalf("claims %v", cl)
				}
				if jti, _ := cl["jti"].(string); len(jti) != 36 || jti == "caller-chosen" {
					t.Fatalf("jti %v, want a fresh UUID", cl["jti"])
				}
				if iat, exp := cl["iat"].(float64), cl["exp"].(float64); iat != float64(t0.Unix()) || exp-iat != w.ttl.Seconds() {
					t.Fatalf("iat %v exp %v, want %v and +%v", iat, exp, t0.Unix(), w.ttl)
				}
				for _, name := range w.present {
					if _, ok := cl[name]; !ok {
						t.Errorf("claim %q missing", name)
					}
				}
				for _, name := range w.absent {
					if _, ok := cl[name]; ok {
						t.Errorf("claim %q present in a %s token", name, k)
					}
				}

				got, err := e.ver.Verify(context.Background(), out.Token, k)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, out.Claims) {
					t.Fatalf("Verify returned\n%+v\nIssue reported\n%+v", got, out.Claims)
				}
				if got.ID != cl["jti"] || got.Audience != w.aud || !got.ExpiresAt.Equal(t0.Add(w.ttl)) {
					t.Fatalf("claims %+v", got)
				}
				if any, err := e.ver.VerifyAny(context.Background(), out.Token); err != nil || any.Kind != k {
					t.Fatalf("VerifyAny = %v, %v", any.Kind, err)
				}
			})
		}
	}
}

func TestIssueEmptyListsArePresent(t *testing.T) {
	e := newEnv(t, keys.ES256, keys.Options{})
	for _, k := range []Kind{Access, Authz} {
		in := sampleClaims()
		in.Groups, in.Actions = nil, nil
		out := e.issue(t, k, in)
		_, cl := segments(t, out.Token)
		if g, ok := cl["groups"].([]any); !ok || len(g) != 0 {
			t.Fatalf("%s groups = %#v, want []", k, cl["groups"])
		}
		if a, ok := cl["actions"].([]any); k == Authz && (!ok || len(a) != 0) {
			t.Fatalf("authz actions = %#v, want []", cl["actions"])
		}
		got, err := e.ver.Verify(context.Background(), out.Token, k)
		if err != nil {
			t.Fatal(err)
		}
		if got.Groups == nil || len(got.Groups) != 0 || (k == Authz) != (got.Actions != nil) || len(got.Actions) != 0 {
			t.Fatalf("%s: verified lists %#v %#v, want empty non-nil groups (and actions for authz)", k, got.Groups, got.Actions)
		}
	}
}

func TestIssueRefusesIncompleteClaims(t *testing.T) {
	e := newEnv(t, keys.ES256, keys.Options{})
	without := func(f func(*Claims)) Claims { c := sampleClaims(); f(&c); return c }
	tests := []struct {
		name    string
		kind    Kind
		claims  Claims
		wantErr string
	}{
		{"unknown kind", "session", sampleClaims(), `unknown kind "session"`},
		{"no subject", Access, without(func(c *Claims) { c.Subject = "" }), "access token without sub"},
		{"access without workspace", Access, without(func(c *Claims) { c.WorkspaceID = "" }), "without wid and wrole"},
		{"refresh without family", Refresh, without(func(c *Claims) { c.Family = "" }), "without fid"},
		{"authz without idp_sub", Authz, without(func(c *Claims) { c.IdpSub = "" }), "without idp_sub"},
		{"authz without svc", Authz, without(func(c *Claims) { c.Service = "" }), "without svc"},
		{"authz without role", Authz, without(func(c *Claims) { c.WorkspaceRole = "" }), "without wid and wrole together"},
		{"authz without workspace but with role", Authz, without(func(c *Claims) { c.WorkspaceID = "" }), "without wid and wrole together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.iss.Issue(context.Background(), tt.kind, tt.claims)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestIssuerConfig(t *testing.T) {
	key := newTestKey(t, keys.EdDSA)
	if _, err := NewIssuer(key, IssuerConfig{}); err == nil {
		t.Fatal("issuer without iss accepted")
	}
	if _, err := NewIssuer(key, IssuerConfig{Issuer: testIssuer, TTL: map[Kind]time.Duration{"session": time.Hour}}); err == nil {
		t.Fatal("TTL for an unknown kind accepted")
	}
	if _, err := NewIssuer(key, IssuerConfig{Issuer: testIssuer, TTL: map[Kind]time.Duration{Access: 0}}); err == nil {
		t.Fatal("zero TTL accepted")
	}
	c := &clock{now: t0}
	iss, err := NewIssuer(key, IssuerConfig{Issuer: testIssuer, TTL: map[Kind]time.Duration{Authz: 2 * time.Minute}, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	out, err := iss.Issue(context.Background(), Authz, sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	if !out.Claims.ExpiresAt.Equal(t0.Add(2*time.Minute)) || iss.TTL(Authz) != 2*time.Minute || iss.TTL(Access) != 15*time.Minute {
		t.Fatalf("exp %v, TTLs %v %v", out.Claims.ExpiresAt, iss.TTL(Authz), iss.TTL(Access))
	}
	ver, _ := NewVerifier(key, &denylist{}, &users{}, VerifierConfig{Issuer: testIssuer, Skew: time.Second, Now: c.Now})
	c.Set(t0.Add(2*time.Minute + time.Second))
	if _, err := ver.Verify(context.Background(), out.Token, Authz); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("configured skew of 1s: err = %v", err)
	}
}

// TestRotation: after a rotation the old key keeps signing until the
// delay ends, its tokens verify until it leaves the JWKS, and the new key
// signs only after the delay.
func TestRotation(t *testing.T) {
	const (
		delay  = time.Hour
		maxTTL = 2 * time.Hour // shorter than the refresh TTL, to see the key leave first
		grace  = time.Minute
	)
	next := map[string]string{"ES256": "RS256", "RS256": "EdDSA", "EdDSA": "ES256"}
	for _, alg := range algs {
		t.Run(alg.String()+"->"+next[alg.String()], func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, alg, keys.Options{JWKSCacheTTL: delay, MaxTokenTTL: maxTTL, Grace: grace})
			oldKID := e.ring.Keys()[0].KID
			newAlg, _ := keys.ParseAlg(next[alg.String()])
			rotated, err := e.ring.Rotate(ctx, newAlg, delay)
			if err != nil {
				t.Fatal(err)
			}
			kidOf := func(raw string) string { h, _ := segments(t, raw); return h["kid"].(string) }

			oldToken := e.issue(t, Refresh, sampleClaims()).Token // lives 7 days
			e.clock.Set(t0.Add(delay - time.Second))
			if got := kidOf(e.issue(t, Authz, sampleClaims()).Token); got != oldKID {
				t.Fatalf("before the delay the token is signed by %s, want the old key", got)
			}
			e.clock.Set(t0.Add(delay))
			newToken := e.issue(t, Authz, sampleClaims())
			if got := kidOf(newToken.Token); got != rotated.KID {
				t.Fatalf("after the delay the token is signed by %s, want the new key", got)
			}
			if h, _ := segments(t, newToken.Token); h["alg"] != newAlg.String() {
				t.Fatalf("new token alg %v", h["alg"])
			}
			if _, err := e.ver.Verify(ctx, newToken.Token, Authz); err != nil {
				t.Fatalf("new key's token: %v", err)
			}

			left := t0.Add(delay + maxTTL + grace) // the old key leaves the JWKS
			for _, tc := range []struct {
				at     time.Time
				reason string
			}{
				{t0.Add(delay), ""},
				{left.Add(-time.Second), ""},
				{left, "unknown kid"},
			} {
				e.clock.Set(tc.at)
				_, err := e.ver.Verify(ctx, oldToken, Refresh)
				if tc.reason == "" && err != nil {
					t.Fatalf("at %v the old key's token is refused: %v", tc.at.Sub(t0), err)
				}
				if tc.reason != "" && (err == nil || !strings.Contains(err.Error(), tc.reason)) {
					t.Fatalf("at %v: err = %v, want %q", tc.at.Sub(t0), err, tc.reason)
				}
				jwks, _ := e.ring.JWKS(tc.at)
				if listed := strings.Contains(string(jwks), oldKID); listed != (tc.reason == "") {
					t.Fatalf("at %v old key listed in JWKS = %v, but verification %v", tc.at.Sub(t0), listed, err)
				}
			}
		})
	}
}

// TestIssueSignsWithTheKeyOfTheInstant: keys start signing at instants
// with sub-second precision while iat has whole seconds; the key is chosen
// by the exact time, not the truncated iat.
func TestIssueSignsWithTheKeyOfTheInstant(t *testing.T) {
	start := t0.Add(700 * time.Millisecond)
	e := newEnvAt(t, keys.ES256, keys.Options{JWKSCacheTTL: time.Minute}, start)
	rotated, err := e.ring.Rotate(context.Background(), keys.ES256, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(time.Minute + 100*time.Millisecond))
	out := e.issue(t, Authz, sampleClaims())
	if h, _ := segments(t, out.Token); h["kid"] != rotated.KID {
		t.Fatalf("signed by %v, want the key signing since %v", h["kid"], rotated.SignFrom)
	}
	if want := t0.Add(time.Minute); !out.Claims.IssuedAt.Equal(want) {
		t.Fatalf("iat %v, want %v", out.Claims.IssuedAt, want)
	}
	if _, err := e.ver.Verify(context.Background(), out.Token, Authz); err != nil {
		t.Fatal(err)
	}
}

// AuthZ mode issues an authz token before the user picks a workspace: no
// wid, no wrole; it must verify as such.
func TestWorkspacelessAuthz(t *testing.T) {
	e := newEnv(t, keys.ES256, keys.Options{})
	in := sampleClaims()
	in.WorkspaceID, in.WorkspaceSlug, in.WorkspaceRole = "", "", ""
	out := e.issue(t, Authz, in)
	got, err := e.ver.Verify(context.Background(), out.Token, Authz)
	if err != nil {
		t.Fatal(err)
	}
	if got.WorkspaceID != "" || got.WorkspaceRole != "" || got.IdpSub != in.IdpSub || got.Service != in.Service {
		t.Fatalf("claims = %+v", got)
	}
}
