package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-auth/sentinel/identity/token"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// revokeWorld is a workspace with an owner and one member whose tokens
// the case under test may revoke.
type revokeWorld struct {
	*wsEnv
	owner, member store.User
	wid           string
}

func newRevokeWorld(t *testing.T, st store.Store, memberRole store.Role) *revokeWorld {
	w := startWS(t, st)
	r := &revokeWorld{wsEnv: w, owner: w.user("owner"), member: w.user("member")}
	r.wid = w.createWorkspace(r.owner, "team")
	w.addMember(r.wid, r.member, memberRole)
	return r
}

// me is GET /users/me with tok; it answers the token's user.
func (r *revokeWorld) me(tok string) testenv.Response {
	r.t.Helper()
	return r.do("GET", "/users/me", tok, nil)
}

// wantRevoked asserts tok is refused as revoked, in the original's shape.
func (r *revokeWorld) wantRevoked(what, tok string) {
	r.t.Helper()
	res := r.must(401, r.me(tok))
	if res.Body["detail"] != "Invalid token: revoked" || len(res.Body) != 1 {
		r.t.Fatalf("%s: %s, want {\"detail\": \"Invalid token: revoked\"}", what, res.Raw)
	}
}

// wantMe asserts tok authenticates as u.
func (r *revokeWorld) wantMe(what, tok string, u store.User) {
	r.t.Helper()
	res := r.must(200, r.me(tok))
	if res.Body["id"] != u.ID || res.Body["email"] != u.Email {
		r.t.Fatalf("%s: GET /users/me = %s, want %s", what, res.Raw, u.ID)
	}
}

// TestCompatRevokeOnMembershipChange: a role change (even to the same
// role) or a removal (leaving included) through the original's routes
// revokes every token of the member, of every kind: the member's access
// and authz tokens get 401 "revoked" on their next request, a token
// issued from the second after the revocation works, and the owner's
// token is untouched. Refused changes revoke nothing.
func TestCompatRevokeOnMembershipChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		role   store.Role // the member's role before
		call   func(r *revokeWorld, memberTok string) testenv.Response
		status int
		// revoked: the member's tokens are revoked; otherwise the database
		// is unchanged.
		revoked  bool
		activity string // the entry recorded, if any
	}{
		{"role change", store.RoleEditor, func(r *revokeWorld, _ string) testenv.Response {
			return r.do("PATCH", "/workspaces/"+r.wid+"/members/"+r.member.ID, r.as(r.owner, r.wid), map[string]any{"role": "viewer"})
		}, 200, true, "member.role_changed"},
		{"same role", store.RoleEditor, func(r *revokeWorld, _ string) testenv.Response {
			return r.do("PATCH", "/workspaces/"+r.wid+"/members/"+r.member.ID, r.as(r.owner, r.wid), map[string]any{"role": "editor"})
		}, 200, true, ""},
		{"removal", store.RoleAdmin, func(r *revokeWorld, _ string) testenv.Response {
			return r.do("DELETE", "/workspaces/"+r.wid+"/members/"+r.member.ID, r.as(r.owner, r.wid), nil)
		}, 204, true, "member.removed"},
		{"leaving", store.RoleViewer, func(r *revokeWorld, memberTok string) testenv.Response {
			return r.do("DELETE", "/workspaces/"+r.wid+"/members/"+r.member.ID, memberTok, nil)
		}, 204, true, "member.removed"},
		{"refused: a viewer changes a role", store.RoleViewer, func(r *revokeWorld, memberTok string) testenv.Response {
			return r.do("PATCH", "/workspaces/"+r.wid+"/members/"+r.member.ID, memberTok, map[string]any{"role": "admin"})
		}, 403, false, ""},
		{"refused: demoting the last owner", store.RoleAdmin, func(r *revokeWorld, _ string) testenv.Response {
			return r.do("PATCH", "/workspaces/"+r.wid+"/members/"+r.owner.ID, r.as(r.owner, r.wid), map[string]any{"role": "admin"})
		}, 403, false, ""},
		{"refused: a bad role", store.RoleEditor, func(r *revokeWorld, _ string) testenv.Response {
			return r.do("PATCH", "/workspaces/"+r.wid+"/members/"+r.member.ID, r.as(r.owner, r.wid), map[string]any{"role": "root"})
		}, 422, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRevokeWorld(t, testenv.SQLiteStore(t), tt.role)
			ctx := context.Background()
			memberTok, memberAuthz := r.as(r.member, r.wid), r.noWorkspace(r.member)
			ownerTok := r.as(r.owner, r.wid)
			r.wantMe("the member's access token before", memberTok, r.member)
			r.wantMe("the member's authz token before", memberAuthz, r.member)
			issued := time.Now().Truncate(time.Second) // no later than the iat of the tokens above
			before := r.state()

			res := r.must(tt.status, tt.call(r, memberTok))
			if tt.status >= 400 {
				if d, _ := res.Body["detail"].(string); d == "" || len(res.Body) != 1 {
					t.Fatalf("refusal = %s, want {\"detail\": …}", res.Raw)
				}
			}
			if !tt.revoked {
				if after := r.state(); after != before {
					t.Fatalf("a refused change changed the database:\n%s\n%s", before, after)
				}
				r.wantMe("the member's token after a refusal", memberTok, r.member)
				return
			}

			u, err := r.st.UserByID(ctx, r.member.ID)
			if err != nil {
				t.Fatal(err)
			}
			if u.TokensValidAfter == nil || !u.TokensValidAfter.After(issued) {
				t.Fatalf("TokensValidAfter = %v, want after %v", u.TokensValidAfter, issued)
			}
			r.wantRevoked("the member's access token", memberTok)
			r.wantRevoked("the member's authz token", memberAuthz)
			r.wantMe("the owner's token", ownerTok, r.owner)
			if o, _ := r.st.UserByID(ctx, r.owner.ID); o.TokensValidAfter != nil {
				t.Fatalf("the owner's tokens were revoked too: %v", o.TokensValidAfter)
			}
			// A token issued in the second the revocation lets through works.
			fresh := r.tok.IssueAt(t, *u.TokensValidAfter, token.Access, token.Claims{Subject: u.ID, Email: u.Email,
				WorkspaceID: r.wid, WorkspaceSlug: "team", WorkspaceRole: string(store.RoleViewer)})
			r.wantMe("a token issued after the revocation", fresh, r.member)

			got := r.actions(r.wid)
			if tt.activity != "" && (len(got) == 0 || got[len(got)-1] != tt.activity) {
				t.Fatalf("activity %v, want it to end with %s", got, tt.activity)
			}
			if tt.activity == "" && strings.Contains(strings.Join(got, " "), "member.role_changed") {
				t.Fatalf("activity %v: a PATCH to the same role is no role change", got)
			}
		})
	}
}

// TestCompatRevokeTokensAdmin: POST /v1/admin/users/{id}/revoke-tokens
// refuses the user's tokens of every kind at once, answers the user with
// tokens_valid_after and records the activity; tokens issued from then on
// work. An unknown user is a 404 and a missing admin credential a 401,
// both changing nothing.
func TestCompatRevokeTokensAdmin(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRevokeWorld(t, open(t), store.RoleEditor)
			ctx := context.Background()
			memberTok, memberAuthz := r.as(r.member, r.wid), r.noWorkspace(r.member)
			ownerTok := r.as(r.owner, r.wid)
			r.wantMe("before", memberTok, r.member)
			issued := time.Now().Truncate(time.Second)

			before := r.state()
			res := r.must(401, r.do("POST", "/v1/admin/users/"+r.member.ID+"/revoke-tokens", "", nil))
			if res.Code() != "unauthenticated" {
				t.Fatalf("no credential: %s", res.Raw)
			}
			res = r.must(404, r.do("POST", "/v1/admin/users/00000000-0000-4000-8000-000000000000/revoke-tokens", adminKey, nil))
			if res.Code() != "not_found" {
				t.Fatalf("unknown user: %s", res.Raw)
			}
			if after := r.state(); after != before {
				t.Fatalf("refused revocations changed the database:\n%s\n%s", before, after)
			}

			res = r.must(200, r.do("POST", "/v1/admin/users/"+r.member.ID+"/revoke-tokens", adminKey, nil))
			u, err := r.st.UserByID(ctx, r.member.ID)
			if err != nil {
				t.Fatal(err)
			}
			if u.TokensValidAfter == nil || !u.TokensValidAfter.After(issued) {
				t.Fatalf("TokensValidAfter = %v, want after %v", u.TokensValidAfter, issued)
			}
			wantKeys(t, "revoke-tokens", res.Body, "id", "email", "name", "avatar_url", "is_active", "created_at", "is_admin", "tokens_valid_after")
			if res.Body["id"] != u.ID || res.Body["tokens_valid_after"] != u.TokensValidAfter.Format(time.RFC3339) {
				t.Fatalf("revoke-tokens = %s, want user %s with tokens_valid_after %s", res.Raw, u.ID, u.TokensValidAfter.Format(time.RFC3339))
			}
			r.wantRevoked("access token", memberTok)
			r.wantRevoked("authz token", memberAuthz)
			r.wantMe("the owner's token", ownerTok, r.owner)
			r.wantMe("a token issued after the revocation", r.as(r.member, r.wid), r.member)

			entries, _, err := r.st.ListActivity(ctx, store.ActivityFilter{Action: "user.tokens_revoked"}, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].TargetID != u.ID || entries[0].ActorType != store.ActorAdmin {
				t.Fatalf("activity = %+v", entries)
			}
		})
	}
}
