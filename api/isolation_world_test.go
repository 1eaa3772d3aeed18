package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sentinel-auth/sentinel/app"
	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

// The world of the tenant-isolation test (isolation_test.go): one server
// with a real IdP, two services and two workspaces, each workspace with a
// member at every role, groups (one nested), a custom role and resources of
// both services. Attacks come from workspace A and service one against
// workspace B and service two; B's own members are the controls.

// isoProvider is the name of the test IdP in the server's config.
const isoProvider = "corp"

type isoUser struct {
	id, subject, email, name string
}

// isoService is a service with its key and registered action.
type isoService struct {
	name, key, id string
	action        store.ServiceAction
}

// isoTenant is a workspace and what lives in it.
type isoTenant struct {
	name                         string // "A" or "B"
	ws                           store.Workspace
	owner, admin, editor, viewer isoUser
	// group has the editor and the nested group as members; spare is
	// in no group.
	group, nested, spare store.Group
	// role grants service one's action; it is assigned to the viewer.
	role store.RBACRole
	// res1 is service one's, private, owned by the editor, shared with
	// group (view); res2 service two's, workspace-visible, owned by the
	// owner, shared with group (edit).
	res1, res2 store.Resource
}

type isoWorld struct {
	t      *testing.T
	ctx    context.Context
	url    string
	st     store.Store
	app    *app.App
	tokens *apptest.Tokens
	idp    *testidp.IdP

	one, two isoService
	a, b     *isoTenant
	// dual is a viewer of A and an admin of B; outsider is in no
	// workspace.
	dual, outsider isoUser

	idTokens map[string]string // IdP ID tokens by subject
	login    *isoLoginWorld    // the login routes' client apps, admin and fake GitHub
	// secrets are strings only B's members and service two may see.
	secrets []string
}

const isoModel = docsModel + `
type %s
  relations
    define viewer: [user]
`

func newIsoWorld(t *testing.T, st store.Store) *isoWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	idp := testidp.Start(t)
	plugin, sum := testenv.PluginBinary(t, "oidc")
	// The server's URL is its issuer: the login routes' IdP callbacks
	// must reach it (isolation_login_test.go).
	srv := httptest.NewUnstartedServer(nil)
	id := apptest.Identity(t)
	id.IssuerURL = "http://" + srv.Listener.Addr().String()
	id.Providers = []plugins.ProviderConfig{{Name: isoProvider, Plugin: plugin, SHA256: sum,
		Settings: map[string]any{"issuer": idp.Issuer(), "client_ids": []string{idp.ClientID()}}}}
	logins := isoLoginConfig(t, idp, &id)
	cfg := app.Config{AdminKey: adminKey, Identity: id}
	a, err := app.New(ctx, st, cfg)
	if err != nil {
		srv.Listener.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(srv.Close)
	w := &isoWorld{t: t, ctx: ctx, url: srv.URL, st: st, app: a, idp: idp,
		tokens: apptest.NewTokens(t, st, cfg.Identity), idTokens: map[string]string{}, login: logins}

	w.one = w.service("svc-one", "onlyone", "doc:one-secret")
	w.two = w.service("svc-two", "onlytwo", "doc:two-secret")
	w.dual, w.outsider = w.user("dual"), w.user("outsider")
	w.a, w.b = w.tenant("A"), w.tenant("B")
	w.must(w.st.AddMember(ctx, w.a.ws.ID, w.dual.id, store.RoleViewer))
	w.must(w.st.AddMember(ctx, w.b.ws.ID, w.dual.id, store.RoleAdmin))

	b := w.b
	w.secrets = []string{b.ws.Name, b.ws.Slug, b.group.Name, b.nested.Name, b.spare.Name, b.role.Name,
		b.res1.ID, b.res1.Key.ID, b.res2.ID, b.res2.Key.ID, w.a.res2.ID, w.a.res2.Key.ID,
		"onlytwo", "two-secret", w.two.action.Action, w.two.id}
	for _, u := range []isoUser{b.owner, b.admin, b.editor, b.viewer} {
		w.secrets = append(w.secrets, u.id, u.email, u.name)
	}
	w.loginSetup()
	w.synced()
	return w
}

// must fails the test on a store error.
func (w *isoWorld) must(_ any, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// service creates a service with its own model (with a type named marker),
// one tuple (object#viewer@user:bob) and a registered action.
func (w *isoWorld) service(name, marker, object string) isoService {
	w.t.Helper()
	r := testenv.Must(w.t, 201, testenv.Do(w.t, "POST", w.url+"/v1/admin/services", adminKey, map[string]any{"name": name}))
	s := isoService{name: name, key: r.Body["secret"].(string), id: r.Body["service"].(map[string]any)["id"].(string)}
	testenv.Must(w.t, 201, testenv.Do(w.t, "PUT", w.url+"/v1/model", s.key, map[string]any{"dsl": fmt.Sprintf(isoModel, marker)}))
	testenv.Must(w.t, 200, testenv.Do(w.t, "POST", w.url+"/v1/tuples", s.key,
		map[string]any{"writes": []any{tk(object, "viewer", "user:bob")}}))
	acts, err := w.st.RegisterActions(w.ctx, name, []store.ActionSpec{{Action: marker + ":export"}})
	if err != nil {
		w.t.Fatal(err)
	}
	s.action = acts[0]
	return s
}

// user provisions a user with an identity at the test IdP.
func (w *isoWorld) user(label string) isoUser {
	w.t.Helper()
	short := uuid.NewString()[:8]
	u := isoUser{subject: label + "-" + short, email: strings.ToLower(label) + "-" + short + "@example.test", name: "User " + label + " " + short}
	got, _, err := w.st.ProvisionUser(w.ctx, store.IdentitySighting{Provider: isoProvider, Subject: u.subject,
		Issuer: w.idp.Issuer(), Email: u.email, Name: u.name})
	if err != nil {
		w.t.Fatal(err)
	}
	u.id = got.ID
	w.idp.AddUser(testidp.User{Subject: u.subject, Email: u.email, EmailVerified: true, Name: u.name})
	return u
}

func (w *isoWorld) tenant(name string) *isoTenant {
	w.t.Helper()
	ctx, st := w.ctx, w.st
	tn := &isoTenant{name: name}
	tn.owner, tn.admin, tn.editor, tn.viewer = w.user(name+"-owner"), w.user(name+"-admin"), w.user(name+"-editor"), w.user(name+"-viewer")
	short := uuid.NewString()[:8]
	ws, err := st.CreateWorkspace(ctx, "ws-"+short, "Workspace "+name+" "+short, "", tn.owner.id)
	if err != nil {
		w.t.Fatal(err)
	}
	tn.ws = ws
	for u, r := range map[string]store.Role{tn.admin.id: store.RoleAdmin, tn.editor.id: store.RoleEditor, tn.viewer.id: store.RoleViewer} {
		w.must(st.AddMember(ctx, ws.ID, u, r))
	}
	group := func(label string) store.Group {
		g, err := st.CreateGroup(ctx, ws.ID, label+" "+name+" "+short, "", tn.owner.id)
		if err != nil {
			w.t.Fatal(err)
		}
		return g
	}
	tn.group, tn.nested, tn.spare = group("group"), group("nested"), group("spare")
	w.must(st.AddGroupMember(ctx, tn.group.ID, store.GroupMemberUser, tn.editor.id))
	w.must(st.AddGroupMember(ctx, tn.group.ID, store.GroupMemberGroup, tn.nested.ID))

	if tn.role, err = st.CreateRole(ctx, ws.ID, "role "+name+" "+short, "", tn.owner.id); err != nil {
		w.t.Fatal(err)
	}
	if err := st.AddRoleActions(ctx, tn.role.ID, []string{w.one.action.ID}); err != nil {
		w.t.Fatal(err)
	}
	if err := st.AssignRole(ctx, tn.role.ID, store.Assignee{Type: store.AssigneeUser, ID: tn.viewer.id}, tn.owner.id); err != nil {
		w.t.Fatal(err)
	}

	tn.res1 = w.resource(w.one.name, tn, tn.editor, store.VisibilityPrivate)
	w.must(st.ShareResource(ctx, tn.res1.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: tn.group.ID,
		Permission: store.ShareView, GrantedBy: tn.editor.id}))
	tn.res2 = w.resource(w.two.name, tn, tn.owner, store.VisibilityWorkspace)
	w.must(st.ShareResource(ctx, tn.res2.ID, store.ResourceGrant{GranteeType: store.GranteeGroup, GranteeID: tn.group.ID,
		Permission: store.ShareEdit, GrantedBy: tn.owner.id}))
	return tn
}

// resource registers a document of the service in the tenant's workspace.
func (w *isoWorld) resource(svc string, tn *isoTenant, owner isoUser, v store.Visibility) store.Resource {
	w.t.Helper()
	r, _, err := w.st.RegisterResource(w.ctx, store.ResourceRegistration{
		Key:         store.ResourceKey{Service: svc, Type: "doc", ID: uuid.NewString()},
		WorkspaceID: tn.ws.ID, OwnerID: owner.id, Visibility: v})
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// scratchMember adds a new user to the tenant's workspace with the role.
func (w *isoWorld) scratchMember(tn *isoTenant, role store.Role) isoUser {
	w.t.Helper()
	u := w.user(tn.name + "-scratch")
	w.must(w.st.AddMember(w.ctx, tn.ws.ID, u.id, role))
	return u
}

// scratchGroup creates a group in the tenant's workspace with the users
// as members.
func (w *isoWorld) scratchGroup(tn *isoTenant, users ...isoUser) store.Group {
	w.t.Helper()
	g, err := w.st.CreateGroup(w.ctx, tn.ws.ID, "scratch "+uuid.NewString()[:8], "", tn.owner.id)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, u := range users {
		w.must(w.st.AddGroupMember(w.ctx, g.ID, store.GroupMemberUser, u.id))
	}
	return g
}

// synced waits until the engine has applied every write committed so far.
func (w *isoWorld) synced() {
	w.t.Helper()
	head, err := w.st.HeadRevision(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.app.Sync.WaitFor(w.ctx, head); err != nil {
		w.t.Fatal(err)
	}
}

// roleIn is the user's role in the tenant's workspace ("" if none).
func (w *isoWorld) roleIn(u isoUser, tn *isoTenant) store.Role {
	m, err := w.st.Membership(w.ctx, tn.ws.ID, u.id)
	if err != nil {
		return ""
	}
	return m.Role
}

// access is an access token of the user for the tenant's workspace, with
// the user's role there (or the role given).
func (w *isoWorld) access(u isoUser, tn *isoTenant, role ...store.Role) string {
	r := w.roleIn(u, tn)
	if len(role) > 0 {
		r = role[0]
	}
	return w.tokens.Access(w.t, u.id, tn.ws.ID, r)
}

// authz is an authz token of the user for the tenant's workspace, issued
// to the service.
func (w *isoWorld) authz(u isoUser, tn *isoTenant, svc isoService) string {
	return w.tokens.Issue(w.t, sentineltoken.Authz, sentineltoken.Claims{Subject: u.id, IdpSub: u.subject,
		Service: svc.name, WorkspaceID: tn.ws.ID, WorkspaceRole: string(w.roleIn(u, tn))})
}

// idToken is an ID token of the user from the test IdP.
func (w *isoWorld) idToken(u isoUser) string {
	if tok, ok := w.idTokens[u.subject]; ok {
		return tok
	}
	tok := w.idp.IDToken(w.t, u.subject)
	w.idTokens[u.subject] = tok
	return tok
}
