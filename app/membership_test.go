package app_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/internal/testidp"
	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/store"
)

const adminKey = "sa_membership_test"

// An authz token for a workspace carries the member's role, their groups
// (nested ones included) and the service's actions their custom roles
// grant; an invitation waits for the invitee's first sign-in.
func TestAuthzTokenForAWorkspace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st := testenv.SQLiteStore(t)
	idp := testidp.Start(t)
	idp.AddUser(testidp.User{Subject: "anne", Email: "anne@example.com", EmailVerified: true, Name: "Anne"})
	idp.AddUser(testidp.User{Subject: "ben", Email: "ben@example.com", EmailVerified: true})
	plugin, sum := testenv.PluginBinary(t, "oidc")
	id := apptest.Identity(t)
	id.Providers = []plugins.ProviderConfig{{Name: "corp", Plugin: plugin, SHA256: sum,
		Settings: map[string]any{"issuer": idp.Issuer(), "client_ids": []string{idp.ClientID()}}}}
	a, err := app.New(ctx, st, app.Config{AdminKey: adminKey, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	key := testenv.Must(t, 201, testenv.Do(t, "POST", srv.URL+"/v1/admin/services", adminKey, map[string]any{"name": "notes"})).Body["secret"].(string)
	exchange := func(sub, wid string) testenv.Response {
		body := map[string]any{"provider": "corp", "idp_token": idp.IDToken(t, sub)}
		if wid != "" {
			body["workspace_id"] = wid
		}
		return testenv.Do(t, "POST", srv.URL+"/v1/authz/token", key, body)
	}
	anne := testenv.Must(t, 200, exchange("anne", "")).Body["user"].(map[string]any)["id"].(string)

	ws, err := st.CreateWorkspace(ctx, "acme", "Acme", "", anne)
	if err != nil {
		t.Fatal(err)
	}
	outer, _ := st.CreateGroup(ctx, ws.ID, "eng", "", anne)
	inner, _ := st.CreateGroup(ctx, ws.ID, "backend", "", anne)
	mustDo(t, func() error { _, err := st.AddGroupMember(ctx, outer.ID, store.GroupMemberGroup, inner.ID); return err })
	mustDo(t, func() error { _, err := st.AddGroupMember(ctx, inner.ID, store.GroupMemberUser, anne); return err })
	acts, err := st.RegisterActions(ctx, "notes", []store.ActionSpec{{Action: "notes:export"}, {Action: "notes:delete"}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := st.CreateRole(ctx, ws.ID, "exporter", "", anne)
	if err != nil {
		t.Fatal(err)
	}
	export := acts[slices.IndexFunc(acts, func(a store.ServiceAction) bool { return a.Action == "notes:export" })]
	mustDo(t, func() error { return st.AddRoleActions(ctx, role.ID, []string{export.ID}) })
	mustDo(t, func() error {
		return st.AssignRole(ctx, role.ID, store.Assignee{Type: store.AssigneeGroup, ID: outer.ID}, anne)
	})
	mustDo(t, func() error { _, err := st.Invite(ctx, ws.ID, "ben@example.com", store.RoleEditor, anne); return err })
	head, _ := st.HeadRevision(ctx)
	if err := a.Sync.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}

	r := testenv.Must(t, 200, exchange("anne", ""))
	list, _ := r.Body["workspaces"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["slug"] != "acme" || list[0].(map[string]any)["role"] != "owner" {
		t.Fatalf("workspaces: %s", r.Raw)
	}
	r = testenv.Must(t, 200, exchange("anne", ws.ID))
	claims := testenv.Must(t, 200, testenv.Do(t, "POST", srv.URL+"/v1/tokens/introspect", key,
		map[string]any{"token": r.Body["authz_token"]})).Body["claims"].(map[string]any)
	groups, _ := claims["groups"].([]any)
	if claims["wid"] != ws.ID || claims["wslug"] != "acme" || claims["wrole"] != "owner" ||
		len(groups) != 2 || !slices.Contains(groups, any(outer.ID)) || !slices.Contains(groups, any(inner.ID)) {
		t.Fatalf("claims: %v", claims)
	}
	if actions, _ := claims["actions"].([]any); len(actions) != 1 || actions[0] != "notes:export" {
		t.Fatalf("actions: %v (the role grants notes:export through a nested group)", claims["actions"])
	}

	// Ben was invited before he ever signed in: his first sign-in makes
	// him a member.
	r = testenv.Must(t, 200, exchange("ben", ""))
	if list, _ := r.Body["workspaces"].([]any); len(list) != 1 || list[0].(map[string]any)["role"] != "editor" {
		t.Fatalf("ben's workspaces after his first sign-in: %s", r.Raw)
	}
	head, _ = st.HeadRevision(ctx)
	_ = a.Sync.WaitFor(ctx, head)
	r = testenv.Must(t, 200, exchange("ben", ws.ID))
	if r.Body["workspace"].(map[string]any)["role"] != "editor" {
		t.Fatalf("ben's token: %s", r.Raw)
	}
	// Not a member of another workspace.
	other, _ := st.CreateWorkspace(ctx, "other", "Other", "", anne)
	if r := exchange("ben", other.ID); r.Status != 403 {
		t.Fatalf("a non-member's token: %d %s", r.Status, r.Raw)
	}
}

func mustDo(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}
