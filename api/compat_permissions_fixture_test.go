package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/app"
	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// permEnv is an in-process server for the original's /permissions and
// /roles routes, with a way to mint the tokens it verifies and to wait
// until its engine has applied what tests wrote to the store directly.
type permEnv struct {
	t      testing.TB
	url    string
	st     store.Store
	app    *app.App
	tokens *apptest.Tokens
}

func startPerm(t testing.TB, st store.Store) *permEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := app.Config{AdminKey: adminKey, Identity: apptest.Identity(t)}
	if _, bench := t.(*testing.B); bench { // keep benchmark output parseable
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := app.New(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &permEnv{t: t, url: srv.URL, st: st, app: a, tokens: apptest.NewTokens(t, st, cfg.Identity)}
}

// service creates a service and returns its key.
func (e *permEnv) service(name string) string {
	e.t.Helper()
	r := testenv.Must(e.t, 201, testenv.Do(e.t, "POST", e.url+"/v1/admin/services", adminKey, map[string]any{"name": name}))
	return r.Body["secret"].(string)
}

// synced waits until the engine has applied every write committed so far.
func (e *permEnv) synced() {
	e.t.Helper()
	ctx := context.Background()
	head, err := e.st.HeadRevision(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.app.Sync.WaitFor(ctx, head); err != nil {
		e.t.Fatal(err)
	}
}

// call sends a request as the original's SDKs do: JSON content type on
// every request, the service key, and the user's token when given.
func (e *permEnv) call(method, path, key, token string, body any) testenv.Response {
	e.t.Helper()
	h := map[string]string{}
	if key != "" {
		h["X-Service-Key"] = key
	}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return testenv.DoHeaders(e.t, method, e.url+path, h, body)
}

// user provisions a user and returns its id.
func (e *permEnv) user(name string) string {
	e.t.Helper()
	u, _, err := e.st.ProvisionUser(context.Background(), store.IdentitySighting{
		Provider: "p", Subject: name + "-" + uuid.NewString(), Email: name + "-" + uuid.NewString()[:8] + "@example.test", Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// workspace creates a workspace owned by owner; members join with roles.
func (e *permEnv) workspace(slug, owner string, members map[string]store.Role) string {
	e.t.Helper()
	ctx := context.Background()
	w, err := e.st.CreateWorkspace(ctx, slug+"-"+uuid.NewString()[:8], slug, "", owner)
	if err != nil {
		e.t.Fatal(err)
	}
	for uid, role := range members {
		if _, err := e.st.AddMember(ctx, w.ID, uid, role); err != nil {
			e.t.Fatal(err)
		}
	}
	return w.ID
}

// register stores a resource through the store (parents are not in the
// original's API) and returns its registration.
func (e *permEnv) register(svc, typ, wid, owner string, v store.Visibility, parentID string) store.Resource {
	e.t.Helper()
	r, _, err := e.st.RegisterResource(context.Background(), store.ResourceRegistration{
		Key:         store.ResourceKey{Service: svc, Type: typ, ID: uuid.NewString()},
		WorkspaceID: wid, OwnerID: owner, Visibility: v, ParentID: parentID})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *permEnv) share(r store.Resource, t store.GranteeType, id string, p store.SharePermission, by string) {
	e.t.Helper()
	if _, err := e.st.ShareResource(context.Background(), r.ID, store.ResourceGrant{GranteeType: t, GranteeID: id, Permission: p, GrantedBy: by}); err != nil {
		e.t.Fatal(err)
	}
}

// access mints an access token of the user in the workspace.
func (e *permEnv) access(uid, wid string, role store.Role) string {
	return e.tokens.Access(e.t, uid, wid, role)
}

// authz mints an authz token for the service.
func (e *permEnv) authz(uid, wid, svc string, role store.Role) string {
	return e.tokens.Issue(e.t, sentineltoken.Authz, sentineltoken.Claims{
		Subject: uid, IdpSub: "idp|" + uid, Service: svc, WorkspaceID: wid, WorkspaceRole: string(role)})
}

// permState is what a refused request must leave as it was.
type permState struct {
	head      uint64
	resources string
	activity  int
}

func (e *permEnv) state() permState {
	e.t.Helper()
	ctx := context.Background()
	head, err := e.st.HeadRevision(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	rs, _, err := e.st.ListResources(ctx, store.ResourceFilter{}, 1, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := json.Marshal(rs)
	if err != nil {
		e.t.Fatal(err)
	}
	_, n, err := e.st.ListActivity(ctx, store.ActivityFilter{}, 1, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	return permState{head: head, resources: string(raw), activity: n}
}

func (e *permEnv) unchanged(before permState, what string) {
	e.t.Helper()
	if after := e.state(); after != before {
		e.t.Errorf("%s changed the database: head %d → %d, activity %d → %d, resources equal: %v",
			what, before.head, after.head, before.activity, after.activity, before.resources == after.resources)
	}
}

// activity returns the entries recorded with that action.
func (e *permEnv) activity(action string) []store.ActivityEntry {
	e.t.Helper()
	got, _, err := e.st.ListActivity(context.Background(), store.ActivityFilter{Action: action}, 1, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// permList decodes a JSON array answer.
func permList(t testing.TB, r testenv.Response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.Raw), &out); err != nil {
		t.Fatalf("answer is not a JSON array: %v: %s", err, r.Raw)
	}
	return out
}

// strs converts a JSON array of strings.
func permStrs(t testing.TB, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a JSON array: %#v", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.(string)
	}
	return out
}
