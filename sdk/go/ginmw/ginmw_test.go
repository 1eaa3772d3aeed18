package ginmw_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/ginmw"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

const admin = "sa_ginmw_test_admin"

const model = `model
  schema 1.1
type user
type doc
  relations
    define owner: [user]
    define viewer: [user] or owner
`

// TestGinMiddleware runs the gin middleware against real tokens and a
// real Sentinel server.
func TestGinMiddleware(t *testing.T) {
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	srv := testenv.StartServer(t, "SENTINEL_DATA_DIR="+t.TempDir(), "SENTINEL_ADMIN_KEY="+admin)
	created := testenv.Must(t, 201, testenv.Do(t, "POST", srv.URL+"/v1/admin/services", admin, map[string]any{"name": "notes"}))
	client, err := sentinel.New(srv.URL, created.Body["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutModel(ctx, model); err != nil {
		t.Fatal(err)
	}
	if _, err := client.WriteTuples(ctx, sentinel.Tuple{Object: "doc:plan", Relation: "owner", User: "user:u-anne"}); err != nil {
		t.Fatal(err)
	}

	is := sentineltest.NewIssuer(t, "ES256")
	v, err := sentinel.NewVerifier(ctx, is.URL, sentinel.VerifierOptions{Clock: is.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(ginmw.Auth(v, sentinel.AuthOptions{Service: "notes"}))
	whoami := func(c *gin.Context) {
		claims, ok := ginmw.Claims(c)
		same, _ := sentinel.FromContext(c.Request.Context())
		if !ok || claims != same {
			c.String(500, "claims missing from the request context")
			return
		}
		c.String(200, claims.Subject)
	}
	r.GET("/me", whoami)
	r.GET("/docs/:id", ginmw.RequirePermission(client, "doc", "viewer", func(c *gin.Context) string { return c.Param("id") }), whoami)
	r.GET("/export", ginmw.RequireAction("notes:export"), whoami)

	token := func(sub string, actions ...string) string {
		return "Bearer " + is.Authz(t, sentineltest.Grant{Subject: sub, IdpSub: "idp-" + sub, Service: "notes",
			WorkspaceID: "w1", WorkspaceRole: "editor", Actions: actions})
	}
	for _, tc := range []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"verified", "/me", token("u-anne"), 200, ""},
		{"no token", "/me", "", 401, "unauthenticated"},
		{"token of another service", "/me", "Bearer " + is.Authz(t, sentineltest.Grant{Subject: "u-anne", IdpSub: "i",
			Service: "billing", WorkspaceID: "w1", WorkspaceRole: "owner"}), 401, "unauthenticated"},
		{"owner may view", "/docs/plan", token("u-anne"), 200, ""},
		{"stranger may not", "/docs/plan", token("u-bob"), 403, "forbidden"},
		{"action allowed", "/export", token("u-bob", "notes:export"), 200, ""},
		{"action missing", "/export", token("u-anne", "notes:read"), 403, "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("%s: %d %s, want %d", tc.path, rec.Code, rec.Body, tc.status)
			}
			if tc.status != http.StatusOK {
				var eb struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error.Code != tc.code || eb.Error.Message == "" {
					t.Fatalf("error body %s, want code %q", rec.Body, tc.code)
				}
			}
		})
	}
}
