package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
	"github.com/sentinel-auth/sentinel/sdk/go/sentineltest"
)

const admin = "sa_notes_example_admin"

// TestNotes drives the example through its middleware with real tokens
// (sentineltest: Sentinel's own keys and token packages) against a real
// Sentinel server.
func TestNotes(t *testing.T) {
	ctx := context.Background()
	srv := testenv.StartServer(t, "SENTINEL_DATA_DIR="+t.TempDir(), "SENTINEL_ADMIN_KEY="+admin)
	created := testenv.Must(t, 201, testenv.Do(t, "POST", srv.URL+"/v1/admin/services", admin, map[string]any{"name": "notes"}))
	client, err := sentinel.New(srv.URL, created.Body["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureModel(ctx, client); err != nil {
		t.Fatal(err)
	}
	first, err := client.GetModel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureModel(ctx, client); err != nil {
		t.Fatal(err)
	}
	if again, _ := client.GetModel(ctx); again.Version != first.Version {
		t.Fatalf("ensureModel wrote version %d over an identical %d", again.Version, first.Version)
	}

	is := sentineltest.NewIssuer(t, "ES256")
	v, err := sentinel.NewVerifier(ctx, is.URL, sentinel.VerifierOptions{Clock: is.Now})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{client: client, notes: map[string]note{}}
	api := httptest.NewServer(a.handler(v, sentinel.AuthOptions{Service: "notes"}))
	t.Cleanup(api.Close)

	token := func(sub string, actions ...string) string {
		return is.Authz(t, sentineltest.Grant{Subject: sub, IdpSub: "idp-" + sub, Service: "notes",
			WorkspaceID: "w1", WorkspaceRole: "editor", Actions: actions})
	}
	anne, bob := token("anne"), token("bob")
	call := func(method, path, tok string, body any, want int) []byte {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, api.URL+path, r)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, out, want)
		}
		return out
	}

	call("POST", "/notes", "", map[string]string{"title": "x"}, 401)
	var n note
	if err := json.Unmarshal(call("POST", "/notes", anne, map[string]string{"title": "Plan", "body": "ship it"}, 201), &n); err != nil {
		t.Fatal(err)
	}
	if n.Owner != "anne" || n.ID == "" {
		t.Fatalf("created %+v", n)
	}
	page, err := client.ReadTuples(ctx, sentinel.TupleFilter{Object: "note:" + n.ID})
	if err != nil || len(page.Tuples) != 1 || page.Tuples[0] != (sentinel.Tuple{Object: "note:" + n.ID, Relation: "owner", User: "user:anne"}) {
		t.Fatalf("tuples of the new note: %+v, %v; want anne as owner", page, err)
	}
	path := "/notes/" + n.ID

	call("GET", path, anne, nil, 200)
	call("GET", path, bob, nil, 403)
	call("PUT", path, bob, map[string]string{"title": "mine"}, 403)
	call("POST", path+"/share", bob, map[string]string{"user": "bob", "relation": "editor"}, 403)
	call("GET", path+"/export", anne, nil, 403) // no notes:export action

	call("POST", path+"/share", anne, map[string]string{"user": "bob", "relation": "viewer"}, 204)
	call("GET", path, bob, nil, 200)
	call("PUT", path, bob, map[string]string{"title": "mine"}, 403)
	var listed struct{ Notes []note }
	if err := json.Unmarshal(call("GET", "/notes", bob, nil, 200), &listed); err != nil || len(listed.Notes) != 1 || listed.Notes[0].ID != n.ID {
		t.Fatalf("bob's notes: %+v, %v", listed, err)
	}
	call("POST", path+"/share", anne, map[string]string{"user": "bob", "relation": "editor"}, 204)
	call("PUT", path, bob, map[string]string{"title": "Plan v2", "body": "ship it now"}, 200)
	call("DELETE", path, bob, nil, 403) // editors do not own
	if got := string(call("GET", path+"/export", token("bob", "notes:export"), nil, 200)); got != "# Plan v2\n\nship it now\n" {
		t.Fatalf("export = %q", got)
	}

	call("DELETE", path, anne, nil, 204)
	call("GET", path, anne, nil, 403) // no tuples left: nobody may view it
	if page, err := client.ReadTuples(ctx, sentinel.TupleFilter{Object: "note:" + n.ID}); err != nil || len(page.Tuples) != 0 {
		t.Fatalf("tuples after delete: %+v, %v", page, err)
	}
	if err := json.Unmarshal(call("GET", "/notes", anne, nil, 200), &listed); err != nil || len(listed.Notes) != 0 {
		t.Fatalf("anne's notes after delete: %+v, %v", listed, err)
	}
}
