package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// TestCompatUsersMePatch changes the caller's name and avatar through PATCH
// /users/me, reads them back through GET /users/me, and checks the
// refusals leave the user as it was.
func TestCompatUsersMePatch(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	anne, bob := w.user("anne"), w.user("bob")
	wid := w.createWorkspace(anne, "team")
	tok := w.as(anne, wid)
	meKeys := []string{"id", "email", "name", "avatar_url", "is_active", "created_at"}

	steps := []struct {
		name       string
		body       any
		wantName   string
		wantAvatar any // nil: JSON null
	}{
		{"name", map[string]any{"name": "  Anne Smith "}, "Anne Smith", nil},
		{"avatar", map[string]any{"avatar_url": "https://img.example/anne.png"}, "Anne Smith", "https://img.example/anne.png"},
		{"nulls change nothing", map[string]any{"name": nil, "avatar_url": nil, "email": "evil@example.com"}, "Anne Smith", "https://img.example/anne.png"},
		{"empty avatar clears it", map[string]any{"avatar_url": "", "name": "A. Smith"}, "A. Smith", nil},
	}
	for _, st := range steps {
		r := w.must(200, w.do("PATCH", "/users/me", tok, st.body))
		wantKeys(t, st.name, r.Body, meKeys...)
		if r.Body["id"] != anne.ID || r.Body["email"] != "anne@example.com" || r.Body["name"] != st.wantName ||
			r.Body["avatar_url"] != st.wantAvatar || r.Body["is_active"] != true {
			t.Fatalf("%s: PATCH /users/me = %s", st.name, r.Raw)
		}
		got := w.must(200, w.do("GET", "/users/me", tok, nil))
		if got.Raw != r.Raw {
			t.Fatalf("%s: GET /users/me = %s, PATCH answered %s", st.name, got.Raw, r.Raw)
		}
	}
	if u, _ := w.st.UserByID(context.Background(), bob.ID); u != bob {
		t.Fatalf("another user changed: %+v", u)
	}
	entries, _, err := w.st.ListActivity(context.Background(), store.ActivityFilter{Action: "user.profile_updated"}, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[0].ActorID != anne.ID || entries[0].TargetID != anne.ID ||
		!strings.Contains(string(entries[0].Detail), `"name":"A. Smith"`) {
		t.Fatalf("activity = %+v, want 3 entries (the null-only PATCH records none)", entries)
	}

	before := w.state()
	refusals := []struct {
		name   string
		token  string
		body   any
		status int
	}{
		{"no token", "", map[string]any{"name": "x"}, 401},
		{"forged token", tamper(t, tok), map[string]any{"name": "x"}, 401},
		{"empty name", tok, map[string]any{"name": " "}, 422},
		{"long name", tok, map[string]any{"name": strings.Repeat("n", 256)}, 422},
		{"javascript avatar", tok, map[string]any{"avatar_url": "javascript:alert(1)"}, 422},
		{"relative avatar", tok, map[string]any{"avatar_url": "/img.png"}, 422},
		{"avatar with credentials", tok, map[string]any{"avatar_url": "https://u:p@img.example/a.png"}, 422},
		{"malformed JSON", tok, "{", 422},
		{"a valid name with a bad avatar", tok, map[string]any{"name": "ok", "avatar_url": "ftp://img.example/a"}, 422},
	}
	for _, c := range refusals {
		r := w.do("PATCH", "/users/me", c.token, c.body)
		if r.Status != c.status || r.Body["detail"] == nil {
			t.Errorf("%s: %d %s, want %d with a detail", c.name, r.Status, r.Raw, c.status)
		}
		if after := w.state(); after != before {
			t.Fatalf("%s changed the database:\n before %s\n after  %s", c.name, before, after)
		}
	}
}
