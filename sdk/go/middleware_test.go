package sentinel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

// answer is a recorded response.
type answer struct {
	status int
	code   string // error code, "" on success
	body   string
	header http.Header
}

func serve(t *testing.T, h http.Handler, hdr map[string]string, path string) answer {
	t.Helper()
	if path == "" {
		path = "/"
	}
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, body: rec.Body.String(), header: rec.Header()}
	if rec.Code >= 400 {
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("error answer %d is not Sentinel's error body: %q", rec.Code, rec.Body.String())
		}
		a.code = eb.Error.Code
	}
	return a
}

// whoami answers the verified subject.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := sentinel.FromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", 500)
		return
	}
	w.Write([]byte(c.Subject))
})

func TestMiddleware(t *testing.T) {
	e := newPairEnv(t)
	single := sentinel.Middleware(e.v, sentinel.AuthOptions{Service: "notes"})(whoami)
	pairOnly := sentinel.Middleware(e.v, sentinel.AuthOptions{Service: "notes", RequirePair: true})(whoami)
	authz := e.is.Authz(t, anne())
	idp := e.idp.IDToken(t, "idp-anne")
	bobIDP := e.idp.IDToken(t, "idp-bob")

	for _, tc := range []struct {
		name   string
		h      http.Handler
		hdr    map[string]string
		status int
		code   string
	}{
		{"authz bearer", single, map[string]string{"Authorization": "Bearer " + authz}, 200, ""},
		{"lower-case scheme", single, map[string]string{"Authorization": "bearer " + authz}, 200, ""},
		{"no token", single, nil, 401, "unauthenticated"},
		{"basic auth", single, map[string]string{"Authorization": "Basic " + authz}, 401, "unauthenticated"},
		{"garbage", single, map[string]string{"Authorization": "Bearer x.y.z"}, 401, "unauthenticated"},
		{"IdP token as authz", single, map[string]string{"Authorization": "Bearer " + idp}, 401, "unauthenticated"},
		{"pair", single, map[string]string{"Authorization": "Bearer " + idp, "X-Authz-Token": authz}, 200, ""},
		{"pair, other user's IdP token", single, map[string]string{"Authorization": "Bearer " + bobIDP, "X-Authz-Token": authz}, 401, "unauthenticated"},
		{"pair without IdP token", single, map[string]string{"X-Authz-Token": authz}, 401, "unauthenticated"},
		{"pair required, single given", pairOnly, map[string]string{"Authorization": "Bearer " + authz}, 401, "unauthenticated"},
		{"pair required, pair given", pairOnly, map[string]string{"Authorization": "Bearer " + idp, "X-Authz-Token": authz}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := serve(t, tc.h, tc.hdr, "")
			if a.status != tc.status || a.code != tc.code {
				t.Fatalf("answer %d %q (%s), want %d %q", a.status, a.code, a.body, tc.status, tc.code)
			}
			if a.status == 200 && a.body != "u-anne" {
				t.Fatalf("handler saw subject %q, want u-anne", a.body)
			}
			if a.status == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without WWW-Authenticate: Bearer")
			}
		})
	}

	// Keys unavailable is 503, not 401: the token may well be valid.
	e.is.ServeJWKS(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) })
	e.is.Advance(sentineltest.JWKSMaxAge + sentinel.DefaultMaxStale + time.Second)
	a := serve(t, single, map[string]string{"Authorization": "Bearer " + e.is.Authz(t, anne())}, "")
	if a.status != 503 || a.code != "unavailable" {
		t.Fatalf("with the JWKS down past MaxStale: %d %q, want 503 unavailable", a.status, a.code)
	}
}

func TestRequireAction(t *testing.T) {
	is := sentineltest.NewIssuer(t, "ES256")
	v := newVerifier(t, is, sentinel.VerifierOptions{})
	h := sentinel.Middleware(v, sentinel.AuthOptions{Service: "notes"})(sentinel.RequireAction("notes:export")(whoami))
	for _, tc := range []struct {
		name    string
		actions []string
		status  int
	}{
		{"allowed", []string{"notes:read", "notes:export"}, 200},
		{"other actions", []string{"notes:read"}, 403},
		{"no actions", nil, 403},
		{"prefix is not enough", []string{"notes:exp"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := anne()
			g.Actions = tc.actions
			a := serve(t, h, map[string]string{"Authorization": "Bearer " + is.Authz(t, g)}, "")
			if a.status != tc.status {
				t.Fatalf("answer %d (%s), want %d", a.status, a.body, tc.status)
			}
		})
	}
	// Without Middleware in front there are no claims: 401, never a pass.
	if a := serve(t, sentinel.RequireAction("notes:export")(whoami), nil, ""); a.status != 401 {
		t.Fatalf("RequireAction without Middleware: %d, want 401", a.status)
	}
}

// requirePermissionAgainst drives RequirePermission with a real client of
// the real server at target (key's service), through a failure injector
// for the unavailable cases.
func requirePermissionAgainst(t *testing.T, target, key string) {
	ctx := context.Background()
	setup, _ := newClient(t, target, key)
	if _, err := setup.PutModel(ctx, docsModel); err != nil {
		t.Fatal(err)
	}
	rev, err := setup.WriteTuples(ctx, sentinel.Tuple{Object: "doc:plan", Relation: "owner", User: "user:u-anne"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := setup.Check(ctx, sentinel.CheckRequest{Object: "doc:plan", Relation: "viewer", User: "user:u-anne"}, sentinel.AtLeast(rev))
	if err != nil || !res.Allowed {
		t.Fatalf("setup check = %+v, %v", res, err)
	}
	in, proxied := newInjector(t, target)
	client, _ := newClient(t, proxied, key, sentinel.WithRetries(1))
	badKey, _ := newClient(t, target, "sk_wrong")

	is := sentineltest.NewIssuer(t, "ES256")
	v := newVerifier(t, is, sentinel.VerifierOptions{})
	auth := sentinel.Middleware(v, sentinel.AuthOptions{Service: "notes"})
	docID := func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/docs/") }
	guarded := func(ch sentinel.Checker, rel string) http.Handler {
		return auth(sentinel.RequirePermission(ch, "doc", rel, docID)(whoami))
	}
	token := func(sub string) map[string]string {
		g := anne()
		g.Subject = sub
		return map[string]string{"Authorization": "Bearer " + is.Authz(t, g)}
	}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		sub    string
		path   string
		fail   int // injected 503s
		status int
		code   string
	}{
		{"owner may view", guarded(client, "viewer"), "u-anne", "/docs/plan", 0, 200, ""},
		{"owner may own", guarded(client, "owner"), "u-anne", "/docs/plan", 0, 200, ""},
		{"stranger may not view", guarded(client, "viewer"), "u-bob", "/docs/plan", 0, 403, "forbidden"},
		{"unknown doc", guarded(client, "viewer"), "u-anne", "/docs/nope", 0, 403, "forbidden"},
		{"no id", guarded(client, "viewer"), "u-anne", "/docs/", 0, 400, "invalid_argument"},
		{"relation the model lacks", guarded(client, "editor"), "u-anne", "/docs/plan", 0, 403, "forbidden"},
		{"malformed id", guarded(client, "viewer"), "u-anne", "/docs/a%20b", 0, 403, "forbidden"},
		{"one 503 is retried", guarded(client, "viewer"), "u-anne", "/docs/plan", 1, 200, ""},
		{"Sentinel unavailable", guarded(client, "viewer"), "u-anne", "/docs/plan", 5, 503, "unavailable"},
		{"app's key refused", guarded(badKey, "viewer"), "u-anne", "/docs/plan", 0, 503, "unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in.fail(tc.fail, status(503, ""))
			a := serve(t, tc.h, token(tc.sub), tc.path)
			if a.status != tc.status || a.code != tc.code {
				t.Fatalf("answer %d %q (%s), want %d %q", a.status, a.code, a.body, tc.status, tc.code)
			}
		})
	}
	if a := serve(t, sentinel.RequirePermission(client, "doc", "viewer", docID)(whoami), nil, "/docs/plan"); a.status != 401 {
		t.Fatalf("RequirePermission without Middleware: %d, want 401", a.status)
	}
}
