package main

import (
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// TestProxyLoginClientAppDeactivated: deactivating a client app (say it
// was compromised, its users' refresh tokens stolen) ends its sessions:
// its refresh tokens are refused and their families revoked, so turning
// the app on again does not revive them, and its codes not yet redeemed
// are refused. Rotation would otherwise keep a stolen refresh token alive
// for ever. The control: the same refresh before the deactivation.
func TestProxyLoginClientAppDeactivated(t *testing.T) {
	t.Parallel()
	w := newLoginWorld(t)
	s := w.loginServer
	p := newPKCE()
	_, refresh := s.tokens(t, s.code(t, "anne", p), w.ws, p)
	r := testenv.Must(t, 200, s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh}))
	refresh = r.Body["refresh_token"].(string)
	pending := newPKCE()
	code := s.code(t, "anne", pending)

	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/client-apps/"+s.app, map[string]any{"is_active": false}))
	if r := s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh}); r.Status != 401 {
		t.Errorf("refresh of a deactivated client app's session: %d %s", r.Status, r.Raw)
	}
	if r := s.post(t, "/auth/token", map[string]any{"code": code, "workspace_id": w.ws, "code_verifier": pending.verifier}); r.Status != 400 {
		t.Errorf("a deactivated client app's code: %d %s", r.Status, r.Raw)
	}
	testenv.Must(t, 200, s.admin(t, "PATCH", "/admin/client-apps/"+s.app, map[string]any{"is_active": true}))
	if r := s.post(t, "/auth/refresh", map[string]any{"refresh_token": refresh}); r.Status != 401 {
		t.Errorf("refresh after the app is active again: %d %s", r.Status, r.Raw)
	}
}
