package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/app"
)

// corsProbe sends a request with an Origin and returns the response's
// status and CORS headers.
func corsProbe(t *testing.T, e *env, method, path, origin string, preflightFor string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	if preflightFor != "" {
		req.Header.Set("Access-Control-Request-Method", preflightFor)
		// As browsers send it: lowercase, sorted, comma-separated.
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-authz-token")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestCORS: browsers may call from the allowed origins of active service
// apps and from --cors-origins, and from nowhere else; a change to a
// service app's origins or its deactivation applies to the next request.
func TestCORS(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := start(t, open(t), func(c *app.Config) { c.CORSOrigins = []string{"https://admin.example"} })
			ac := &acEnv{env: e}
			r := ac.admOK(201, "POST", "/admin/service-apps", map[string]any{"name": "Notes", "service_name": "notes",
				"allowed_origins": []string{"https://notes.example", "http://localhost:3000"}})
			id := r.Body["id"].(string)

			type probe struct {
				origin  string
				allowed bool
			}
			expect := func(step string, probes ...probe) {
				t.Helper()
				for _, p := range probes {
					// A preflight of a browser helper's call (members, /users/me).
					st, h := corsProbe(t, e, "OPTIONS", "/workspaces/x/members", p.origin, "GET")
					got := h.Get("Access-Control-Allow-Origin")
					if st != http.StatusNoContent {
						t.Errorf("%s: preflight from %s = %d, want 204", step, p.origin, st)
					}
					if p.allowed {
						if got != p.origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
							!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "x-authz-token") {
							t.Errorf("%s: preflight from %s: headers %v", step, p.origin, h)
						}
					} else if got != "" {
						t.Errorf("%s: preflight from %s allowed (%q)", step, p.origin, got)
					}
					// The actual request: the route answers as usual, with
					// CORS headers only for an allowed origin.
					st, h = corsProbe(t, e, "GET", "/health", p.origin, "")
					if st != http.StatusOK {
						t.Errorf("%s: GET /health from %s = %d", step, p.origin, st)
					}
					if got := h.Get("Access-Control-Allow-Origin"); (got == p.origin) != p.allowed || (!p.allowed && got != "") {
						t.Errorf("%s: GET from %s: Access-Control-Allow-Origin %q, allowed %v", step, p.origin, got, p.allowed)
					}
				}
			}
			expect("created",
				probe{"https://notes.example", true}, probe{"http://localhost:3000", true},
				probe{"https://admin.example", true}, probe{"https://evil.example", false},
				probe{"https://notes.example.evil", false}, probe{"null", false})

			ac.admOK(200, "PATCH", "/admin/service-apps/"+id, map[string]any{"allowed_origins": []string{"https://new.example"}})
			expect("origins changed",
				probe{"https://new.example", true}, probe{"https://notes.example", false}, probe{"https://admin.example", true})

			ac.admOK(200, "POST", "/admin/service-apps/"+id+"/deactivate", nil)
			expect("deactivated", probe{"https://new.example", false}, probe{"https://admin.example", true})

			ac.admOK(200, "POST", "/admin/service-apps/"+id+"/rotate-key", nil)
			expect("active again", probe{"https://new.example", true})

			ac.admOK(204, "DELETE", "/admin/service-apps/"+id, nil)
			expect("deleted", probe{"https://new.example", false})
		})
	}
}

// TestCORSOriginsValidated: a malformed --cors-origins stops the start.
func TestCORSOriginsValidated(t *testing.T) {
	ctx := t.Context()
	st := backends["sqlite"](t)
	for _, o := range []string{"admin.example", "https://admin.example/path", "ftp://x.example"} {
		if _, err := app.New(ctx, st, app.Config{AdminKey: adminKey, CORSOrigins: []string{o}}); err == nil ||
			!strings.Contains(err.Error(), "cors-origins") {
			t.Errorf("origin %q: err %v", o, err)
		}
	}
}
