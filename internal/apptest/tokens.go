package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/identity/keys"
	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/store"
)

// Tokens issues Sentinel tokens signed with the signing keys of an
// in-process test server, so the server verifies them for real (signature,
// issuer, audience, denylist, user status) without a sign-in flow.
type Tokens struct {
	ring *keys.Keyring
	url  string // the iss claim
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
	return &Tokens{ring: ring, url: id.IssuerURL}
}

// Issue signs a token of kind k with claims c (see token.Claims for the
// claims each kind carries) and returns it.
func (k *Tokens) Issue(t testing.TB, kind token.Kind, c token.Claims) string {
	t.Helper()
	return k.IssueAt(t, time.Now(), kind, c)
}

// IssueAt is Issue on a clock reading at: its iat is at's second. A test
// uses it for a token issued after a revocation of the user's tokens,
// which refuses every token of the revocation's second (at =
// *User.TokensValidAfter, at most a second ahead, within the verifier's
// clock skew), without sleeping.
func (k *Tokens) IssueAt(t testing.TB, at time.Time, kind token.Kind, c token.Claims) string {
	t.Helper()
	iss, err := token.NewIssuer(k.ring, token.IssuerConfig{Issuer: k.url, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatalf("test tokens: %v", err)
	}
	out, err := iss.Issue(context.Background(), kind, c)
	if err != nil {
		t.Fatalf("test tokens: issue %s token: %v", kind, err)
	}
	return out.Token
}

// Access is an access token of the user in the workspace, with role and
// groups as given.
func (k *Tokens) Access(t testing.TB, userID, workspaceID string, role store.Role, groups ...string) string {
	t.Helper()
	return k.AccessAt(t, time.Now(), userID, workspaceID, role, groups...)
}

// AccessAt is Access issued at at (see IssueAt).
func (k *Tokens) AccessAt(t testing.TB, at time.Time, userID, workspaceID string, role store.Role, groups ...string) string {
	t.Helper()
	return k.IssueAt(t, at, token.Access, token.Claims{
		Subject: userID, Email: userID + "@example.test", Name: "user " + userID,
		WorkspaceID: workspaceID, WorkspaceSlug: "ws", WorkspaceRole: string(role), Groups: groups,
	})
}
