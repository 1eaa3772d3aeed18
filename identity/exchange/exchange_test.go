package exchange_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/plugins"
)

// verifier answers from a table: the plugins themselves are tested in
// package plugins against a real OpenID provider; here the subject is the
// exchange's own policy (email rules, provisioning, membership).
type verifier map[string]plugins.Identity

func (v verifier) Verify(_ context.Context, provider, raw string) (plugins.Identity, error) {
	if provider != "idp" && provider != "other" {
		return plugins.Identity{}, plugins.ErrUnknownProvider
	}
	id, ok := v[raw]
	if !ok {
		return plugins.Identity{}, fmt.Errorf("%w: signature invalid", plugins.ErrInvalidToken)
	}
	id.Provider = provider
	return id, nil
}

type minter struct{ grants []exchange.Grant }

func (m *minter) MintAuthz(_ context.Context, g exchange.Grant) (string, time.Duration, error) {
	m.grants = append(m.grants, g)
	return fmt.Sprintf("token-%d", len(m.grants)), 5 * time.Minute, nil
}

func TestExchange(t *testing.T) {
	st := testenv.SQLiteStore(t)
	ctx := t.Context()
	v := verifier{
		"anne":       {Issuer: "https://idp", Subject: "s-anne", Email: "Anne@Example.com", EmailVerified: true, Name: "Anne"},
		"unverified": {Issuer: "https://idp", Subject: "s-bob", Email: "bob@example.com", EmailVerified: false},
		"noemail":    {Issuer: "https://idp", Subject: "s-carl", EmailVerified: true},
		"anne-other": {Issuer: "https://other", Subject: "o-anne", Email: "anne@example.com", EmailVerified: true},
	}
	m := &minter{}
	ex := exchange.New(v, st, nil, m)

	tests := []struct {
		name     string
		provider string
		token    string
		ws       string
		want     error
	}{
		{"first sight provisions", "idp", "anne", "", nil},
		{"second sight finds the same user", "idp", "anne", "", nil},
		{"unknown provider", "nope", "anne", "", exchange.ErrUnknownProvider},
		{"invalid token", "idp", "forged", "", exchange.ErrInvalidToken},
		{"empty token", "idp", "  ", "", exchange.ErrInvalidToken},
		{"unverified email", "idp", "unverified", "", exchange.ErrEmailUnverified},
		{"no email", "idp", "noemail", "", exchange.ErrEmailUnverified},
		{"known email from another provider", "other", "anne-other", "", exchange.ErrEmailTaken},
		{"workspace without membership", "idp", "anne", "w1", exchange.ErrNotMember},
	}
	var anneID string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ex.Exchange(ctx, exchange.Request{ServiceID: "svc-id", ServiceName: "notes", Provider: tc.provider, IDPToken: tc.token, WorkspaceID: tc.ws})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			if res.User.Email != "anne@example.com" || res.User.Name != "Anne" || !res.User.Active {
				t.Fatalf("user = %+v", res.User)
			}
			if anneID == "" {
				anneID = res.User.ID
			} else if res.User.ID != anneID {
				t.Fatalf("second sight gave user %s, first %s", res.User.ID, anneID)
			}
			if res.Workspaces == nil || len(res.Workspaces) != 0 || res.Token != "" {
				t.Fatalf("without a workspace: want no token and an empty workspace list, got %+v", res)
			}
		})
	}
	if _, err := st.UserByEmail(ctx, "bob@example.com"); err == nil {
		t.Fatal("an unverified email provisioned a user")
	}

	t.Run("mint binds idp_sub and svc", func(t *testing.T) {
		res, err := ex.Exchange(ctx, exchange.Request{ServiceID: "svc-id", ServiceName: "notes", Provider: "idp", IDPToken: "anne"})
		if err != nil {
			t.Fatal(err)
		}
		res, err = ex.Mint(ctx, res, "svc-id", "notes")
		if err != nil {
			t.Fatal(err)
		}
		g := m.grants[len(m.grants)-1]
		if res.Token == "" || g.IdpSub != "s-anne" || g.Service != "notes" || g.UserID != anneID || g.Workspace.ID != "" {
			t.Fatalf("grant = %+v, token %q", g, res.Token)
		}
	})

	t.Run("deactivated user is refused", func(t *testing.T) {
		if err := st.SetUserActive(ctx, anneID, false); err != nil {
			t.Fatal(err)
		}
		_, err := ex.Exchange(ctx, exchange.Request{ServiceID: "svc-id", ServiceName: "notes", Provider: "idp", IDPToken: "anne"})
		if !errors.Is(err, exchange.ErrInactive) {
			t.Fatalf("err = %v, want ErrInactive", err)
		}
	})
}
