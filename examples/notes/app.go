package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

// model is the notes service's authorization model: an owner may edit, an
// editor may view.
const model = `model
  schema 1.1
type user
type note
  relations
    define owner: [user]
    define editor: [user] or owner
    define viewer: [user] or editor
`

// exportAction is the custom RBAC action that GET /notes/{id}/export needs.
const exportAction = "notes:export"

type note struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Owner     string    `json:"owner"` // Sentinel user id
	UpdatedAt time.Time `json:"updated_at"`
}

// app is the notes API. Notes live in memory; who may do what lives in
// Sentinel as tuples (note:<id>#owner@user:<sub>, …).
type app struct {
	client *sentinel.Client
	mu     sync.Mutex
	notes  map[string]note
}

// ensureModel writes the model unless the service already has this one.
func ensureModel(ctx context.Context, c *sentinel.Client) error {
	cur, err := c.GetModel(ctx)
	var ae *sentinel.APIError
	switch {
	case err == nil && sameDSL(cur.DSL, model):
		return nil
	case err != nil && !(errors.As(err, &ae) && ae.Status == http.StatusNotFound):
		return fmt.Errorf("read the model: %w", err)
	}
	if _, err := c.PutModel(ctx, model); err != nil {
		return fmt.Errorf("write the model: %w", err)
	}
	return nil
}

func sameDSL(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// handler returns the API, authenticated by Sentinel authz tokens.
func (a *app) handler(v *sentinel.Verifier, opts sentinel.AuthOptions) http.Handler {
	id := func(r *http.Request) string { return r.PathValue("id") }
	may := func(relation string, h http.HandlerFunc) http.Handler {
		return sentinel.RequirePermission(a.client, "note", relation, id)(h)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes", a.create)
	mux.HandleFunc("GET /notes", a.list)
	mux.Handle("GET /notes/{id}", may("viewer", a.get))
	mux.Handle("PUT /notes/{id}", may("editor", a.update))
	mux.Handle("DELETE /notes/{id}", may("owner", a.remove))
	mux.Handle("POST /notes/{id}/share", may("owner", a.share))
	mux.Handle("GET /notes/{id}/export", sentinel.RequireAction(exportAction)(may("viewer", a.export)))
	return sentinel.Middleware(v, opts)(mux)
}

func user(r *http.Request) string {
	c, _ := sentinel.FromContext(r.Context()) // Middleware guarantees it
	return c.Subject
}

type noteInput struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

func decode(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(dst); err != nil {
		sentinel.WriteError(w, http.StatusBadRequest, "invalid_argument", "body: "+err.Error())
		return false
	}
	return true
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func unavailable(w http.ResponseWriter, err error) {
	sentinel.WriteError(w, http.StatusServiceUnavailable, "unavailable", "authorization service: "+err.Error())
}

// create stores a note and makes its creator the owner in Sentinel. The
// note exists only once the tuple is written.
func (a *app) create(w http.ResponseWriter, r *http.Request) {
	var in noteInput
	if !decode(w, r, &in) {
		return
	}
	n := note{ID: strings.ToLower(rand.Text()), Title: in.Title, Body: in.Body, Owner: user(r), UpdatedAt: time.Now().UTC()}
	rev, err := a.client.WriteTuples(r.Context(), sentinel.Tuple{Object: "note:" + n.ID, Relation: "owner", User: "user:" + n.Owner})
	if err != nil {
		unavailable(w, err)
		return
	}
	a.mu.Lock()
	a.notes[n.ID] = n
	a.mu.Unlock()
	// The revision lets a client read its write on any Sentinel replica.
	w.Header().Set("X-Sentinel-Revision", rev)
	reply(w, http.StatusCreated, n)
}

func (a *app) lookup(w http.ResponseWriter, r *http.Request) (note, bool) {
	a.mu.Lock()
	n, ok := a.notes[r.PathValue("id")]
	a.mu.Unlock()
	if !ok {
		sentinel.WriteError(w, http.StatusNotFound, "not_found", "no such note")
	}
	return n, ok
}

func (a *app) get(w http.ResponseWriter, r *http.Request) {
	if n, ok := a.lookup(w, r); ok {
		reply(w, http.StatusOK, n)
	}
}

func (a *app) update(w http.ResponseWriter, r *http.Request) {
	var in noteInput
	if !decode(w, r, &in) {
		return
	}
	a.mu.Lock()
	n, ok := a.notes[r.PathValue("id")]
	if ok {
		n.Title, n.Body, n.UpdatedAt = in.Title, in.Body, time.Now().UTC()
		a.notes[n.ID] = n
	}
	a.mu.Unlock()
	if !ok {
		sentinel.WriteError(w, http.StatusNotFound, "not_found", "no such note")
		return
	}
	reply(w, http.StatusOK, n)
}

// remove deletes the note and every tuple that names it.
func (a *app) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for {
		page, err := a.client.ReadTuples(r.Context(), sentinel.TupleFilter{Object: "note:" + id, PageSize: sentinel.MaxTuplesPerWrite})
		if err != nil {
			unavailable(w, err)
			return
		}
		if len(page.Tuples) == 0 {
			break
		}
		if _, err := a.client.Write(r.Context(), sentinel.TupleWrite{Deletes: page.Tuples, IgnoreMissing: true}); err != nil {
			unavailable(w, err)
			return
		}
	}
	a.mu.Lock()
	delete(a.notes, id)
	a.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// share grants another user viewer or editor on the note.
func (a *app) share(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User     string `json:"user"`     // Sentinel user id
		Relation string `json:"relation"` // viewer or editor
	}
	if !decode(w, r, &in) {
		return
	}
	if in.User == "" || (in.Relation != "viewer" && in.Relation != "editor") {
		sentinel.WriteError(w, http.StatusBadRequest, "invalid_argument", `want {"user": "<id>", "relation": "viewer"|"editor"}`)
		return
	}
	rev, err := a.client.Write(r.Context(), sentinel.TupleWrite{IgnoreDuplicates: true,
		Writes: []sentinel.Tuple{{Object: "note:" + r.PathValue("id"), Relation: in.Relation, User: "user:" + in.User}}})
	var ae *sentinel.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		sentinel.WriteError(w, http.StatusBadRequest, "invalid_argument", ae.Message)
		return
	}
	if err != nil {
		unavailable(w, err)
		return
	}
	w.Header().Set("X-Sentinel-Revision", rev)
	w.WriteHeader(http.StatusNoContent)
}

// list answers the notes the user may view, asking Sentinel which.
func (a *app) list(w http.ResponseWriter, r *http.Request) {
	objects, _, err := a.client.ListAll(r.Context(), sentinel.ListRequest{Type: "note", Relation: "viewer", User: "user:" + user(r)})
	if err != nil {
		unavailable(w, err)
		return
	}
	out := []note{}
	a.mu.Lock()
	for _, o := range objects {
		if n, ok := a.notes[strings.TrimPrefix(o, "note:")]; ok {
			out = append(out, n)
		}
	}
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y note) int { return strings.Compare(x.ID, y.ID) })
	reply(w, http.StatusOK, map[string]any{"notes": out})
}

// export is a viewer's read that also needs the notes:export action.
func (a *app) export(w http.ResponseWriter, r *http.Request) {
	if n, ok := a.lookup(w, r); ok {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		fmt.Fprintf(w, "# %s\n\n%s\n", n.Title, n.Body)
	}
}
