package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

// RunClientApps runs the client app suite. open must return a new, empty
// store for each call and release it when t ends.
func RunClientApps(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CRUD", testClientAppsCRUD},
		{"Invalid", testClientAppsInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// clientAppsState renders every client app: what a failed call must not
// change.
func clientAppsState(t testing.TB, s store.Store) string {
	t.Helper()
	apps, err := s.ClientApps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+v", apps)
}

func testClientAppsCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	h0 := head(t, s)
	a, err := s.CreateClientApp(ctx, store.ClientAppSpec{Name: "Web", RedirectURIs: []string{"https://app.example/cb", "http://localhost:3000/cb?x=1"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Name != "Web" || !a.Active || a.CreatedBy != "" || a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) ||
		!slices.Equal(a.RedirectURIs, []string{"https://app.example/cb", "http://localhost:3000/cb?x=1"}) {
		t.Fatalf("CreateClientApp = %+v", a)
	}
	b, err := s.CreateClientApp(ctx, store.ClientAppSpec{Name: "Another", CreatedBy: "u1"})
	if err != nil || b.RedirectURIs == nil || len(b.RedirectURIs) != 0 || b.CreatedBy != "u1" {
		t.Fatalf("CreateClientApp without URIs = %+v, %v", b, err)
	}
	got, err := s.ClientApp(ctx, a.ID)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(a) {
		t.Fatalf("ClientApp = %+v, %v; want %+v", got, err, a)
	}
	list, err := s.ClientApps(ctx)
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("ClientApps = %+v, %v; want Another, Web", list, err)
	}
	if h := head(t, s); h != h0 {
		t.Fatalf("client apps moved the changelog head from %d to %d", h0, h)
	}

	// Nothing to change: the stored app, UpdatedAt kept.
	same, err := s.UpdateClientApp(ctx, a.ID, store.ClientAppUpdate{Name: new("Web")})
	if err != nil || fmt.Sprint(same) != fmt.Sprint(a) {
		t.Fatalf("no-op UpdateClientApp = %+v, %v; want %+v", same, err, a)
	}
	uris := []string{"https://app.example/other"}
	up, err := s.UpdateClientApp(ctx, a.ID, store.ClientAppUpdate{Name: new("Web 2"), RedirectURIs: &uris, Active: new(false)})
	if err != nil || up.Name != "Web 2" || up.Active || !slices.Equal(up.RedirectURIs, uris) ||
		!up.CreatedAt.Equal(a.CreatedAt) || up.UpdatedAt.Before(a.UpdatedAt) {
		t.Fatalf("UpdateClientApp = %+v, %v", up, err)
	}
	if got, err := s.ClientApp(ctx, a.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(up) {
		t.Fatalf("ClientApp after update = %+v, %v; want %+v", got, err, up)
	}

	if err := s.DeleteClientApp(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClientApp(ctx, a.ID)
	wantErrIs(t, "ClientApp after delete", err, store.ErrNotFound)
	wantErrIs(t, "DeleteClientApp twice", s.DeleteClientApp(ctx, a.ID), store.ErrNotFound)
	_, err = s.UpdateClientApp(ctx, a.ID, store.ClientAppUpdate{Name: new("x")})
	wantErrIs(t, "UpdateClientApp of a deleted app", err, store.ErrNotFound)
	if list, _ := s.ClientApps(ctx); len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("ClientApps after delete = %+v", list)
	}
}

func testClientAppsInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, err := s.CreateClientApp(ctx, store.ClientAppSpec{Name: "Web", RedirectURIs: []string{"https://app.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	before := clientAppsState(t, s)
	for _, uri := range []string{
		"/cb", "app.example/cb", "ftp://app.example/cb", "javascript:alert(1)", "https://app.example/cb#frag",
		"https://user:pw@app.example/cb", "https:///cb", "https://app.example/a b", "",
	} {
		_, err := s.CreateClientApp(ctx, store.ClientAppSpec{Name: "Bad", RedirectURIs: []string{"https://ok.example/", uri}})
		wantErrIs(t, "CreateClientApp with "+uri, err, store.ErrInvalidClientApp)
		_, err = s.UpdateClientApp(ctx, a.ID, store.ClientAppUpdate{RedirectURIs: &[]string{uri}})
		wantErrIs(t, "UpdateClientApp with "+uri, err, store.ErrInvalidClientApp)
	}
	for _, name := range []string{"", "   ", string(make([]byte, store.MaxClientAppName+1))} {
		_, err := s.CreateClientApp(ctx, store.ClientAppSpec{Name: name})
		wantErrIs(t, fmt.Sprintf("CreateClientApp named %q", name), err, store.ErrInvalidClientApp)
		_, err = s.UpdateClientApp(ctx, a.ID, store.ClientAppUpdate{Name: &name})
		wantErrIs(t, fmt.Sprintf("UpdateClientApp to %q", name), err, store.ErrInvalidClientApp)
	}
	if after := clientAppsState(t, s); after != before {
		t.Fatalf("refused calls changed the client apps:\nbefore %s\nafter  %s", before, after)
	}
}
