package login_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sentinel-auth/sentinel/identity/login"
	"github.com/sentinel-auth/sentinel/internal/testgithub"
	"github.com/sentinel-auth/sentinel/store"
)

// outageStore is the store whose service apps cannot be read while down
// is set.
type outageStore struct {
	login.Store
	down atomic.Bool
}

func (s *outageStore) ServiceApps(ctx context.Context) (map[string]store.ServiceApp, error) {
	if s.down.Load() {
		return nil, errors.New("pq: connection refused to 10.0.0.7:5432")
	}
	return s.Store.ServiceApps(ctx)
}

// TestGitHubCallbackOutage: a store that fails while the GitHub callback
// checks the redirect URI again is an outage (a plain error, answered 503
// and logged), not a refused state: the caller never sees a 400 carrying
// the store's error text.
func TestGitHubCallbackOutage(t *testing.T) {
	t.Parallel()
	gh := testgithub.Start(t)
	gh.LoginAs(&testgithub.User{ID: 1, Login: "octo", Name: "Octo", Email: "octo@example.com"})
	var flaky *outageStore
	w := newWorld(t, func(o *login.Options) {
		flaky = &outageStore{Store: o.Store}
		o.Store = flaky
		o.Providers = append(o.Providers, login.Config{Provider: login.GitHubProvider, ClientID: gh.ClientID,
			ClientSecret: gh.Secret, AuthURL: gh.AuthURL(), TokenURL: gh.TokenURL()})
	})
	ctx := t.Context()
	if _, err := w.st.CreateClientApp(ctx, store.ClientAppSpec{Name: "Web", RedirectURIs: []string{"https://app.example/cb"}}); err != nil {
		t.Fatal(err)
	}
	const browser = "b"
	for _, down := range []bool{true, false} {
		u, err := w.svc.BeginGitHub(ctx, "https://app.example/cb", "n", browser)
		if err != nil {
			t.Fatal(err)
		}
		q := toCallback(t, u)
		flaky.down.Store(down)
		to, err := w.svc.GitHubCallback(ctx, browser, q)
		flaky.down.Store(false)
		switch {
		case down && (to != "" || err == nil || errors.Is(err, login.ErrInvalidState) || errors.Is(err, login.ErrInvalidRequest)):
			t.Errorf("store down: %q, %v; want a plain error", to, err)
		case !down && (err != nil || !strings.HasPrefix(to, "https://app.example/cb#access_token=")):
			t.Errorf("control: %q, %v", to, err)
		}
	}
}
