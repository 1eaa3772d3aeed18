package apptest

import (
	"context"
	"testing"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// Tokens issues Sentinel tokens signed with the signing keys of an
// in-process test server, so the server verifies them for real (signature,
// issuer, audience, denylist, user status) without a sign-in flow.
type Tokens struct {
	issuer *token.Issuer
}

// NewTokens opens the signing keys the server started with id (its
// Identity config, e.g. captured from an app.Config option) keeps in st.
// Call it after app.New, which creates the first key.
func NewTokens(t testing.TB, st store.Store, id app.IdentityConfig) *Tokens {
	t.Helper()
	master, _, err := keys.LoadOrCreateMasterKey(id.MasterKeyFile, id.MasterKey, false)
	if err != nil {
		t.Fatalf("test tokens: master key: %v", err)
	}
	ring, err := keys.Open(context.Background(), st, master, keys.Options{})
	if err != nil {
		t.Fatalf("test tokens: open signing keys: %v", err)
	}
	iss, err := token.NewIssuer(ring, token.IssuerConfig{Issuer: id.IssuerURL})
	if err != nil {
		t.Fatalf("test tokens: %v", err)
	}
	return &Tokens{issuer: iss}
}

// Issue signs a token of kind k with claims c (see token.Claims for the
// claims each kind carries) and returns it.
func (k *Tokens) Issue(t testing.TB, kind token.Kind, c token.Claims) string {
	t.Helper()
	out, err := k.issuer.Issue(context.Background(), kind, c)
	if err != nil {
		t.Fatalf("test tokens: issue %s token: %v", kind, err)
	}
	return out.Token
}

// Access is an access token of the user in the workspace, with role and
// groups as given.
func (k *Tokens) Access(t testing.TB, userID, workspaceID string, role store.Role, groups ...string) string {
	t.Helper()
	return k.Issue(t, token.Access, token.Claims{
		Subject: userID, Email: userID + "@example.test", Name: "user " + userID,
		WorkspaceID: workspaceID, WorkspaceSlug: "ws", WorkspaceRole: string(role), Groups: groups,
	})
}
