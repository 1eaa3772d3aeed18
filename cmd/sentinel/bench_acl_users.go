package main

// Signing the ACL modes' users in: an ID token from the identity provider
// (--idp-token-url), exchanged at POST /v1/authz/token for an authz token
// of the service, as an app in the original's AuthZ mode does. The first
// exchange provisions the user.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// signIn is what an exchange returned.
type signIn struct {
	userID, email string
	token         string
	ttl           time.Duration
	at            time.Time
}

// idToken asks the identity provider for an ID token of the subject.
func idToken(ctx context.Context, c *benchClient, tokenURL, subject string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", tokenURL+"?sub="+url.QueryEscape(subject), nil)
	if err != nil {
		return "", err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("ID token of %s: %w", subject, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("ID token of %s: %w", subject, err)
	}
	if res.StatusCode != http.StatusOK {
		return "", &statusError{method: "GET", path: tokenURL, status: res.StatusCode, body: strings.TrimSpace(string(body))}
	}
	return strings.TrimSpace(string(body)), nil
}

// exchange signs the subject in: an ID token, exchanged for an authz
// token of the service key's service, for workspace wid ("" for none).
func exchange(ctx context.Context, c *benchClient, o *benchOptions, key, subject, wid string) (signIn, error) {
	var s signIn
	err := retry(ctx, func() error {
		tok, err := idToken(ctx, c, o.idpTokenURL, subject)
		if err != nil {
			return err
		}
		body := map[string]string{"provider": o.provider, "idp_token": tok}
		if wid != "" {
			body["workspace_id"] = wid
		}
		var res struct {
			User struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			} `json:"user"`
			Token     string `json:"authz_token"`
			ExpiresIn int    `json:"expires_in"`
		}
		s.at = time.Now()
		if err := c.call(ctx, "POST", "/v1/authz/token", key, body, http.StatusOK, &res); err != nil {
			return err
		}
		s.userID, s.email, s.token, s.ttl = res.User.ID, res.User.Email, res.Token, time.Duration(res.ExpiresIn)*time.Second
		return nil
	})
	if err != nil {
		return signIn{}, fmt.Errorf("sign in %s: %w", subject, err)
	}
	return s, nil
}

// fresh reports whether the token has more than half its life left.
func (s signIn) fresh() bool { return s.token != "" && time.Since(s.at) < s.ttl/2 }

// retry calls f until it succeeds, a few times, while it fails in
// transport or with a 5xx status.
func retry(ctx context.Context, f func() error) error {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err = f()
		var se *statusError
		if err == nil || ctx.Err() != nil || (errors.As(err, &se) && se.status < 500) {
			return err
		}
	}
	return err
}

// parallel calls f(0..n-1) from workers goroutines and returns the first
// error, after which no new call starts.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// aclPair is a user signed in for a workspace.
type aclPair struct{ user, ws int }

// tokenSet holds the authz tokens of the measured users and renews them
// while the measurement runs, so a --duration longer than the tokens'
// lifetime measures no 401s.
type tokenSet struct {
	pairs []aclPair
	toks  []atomic.Pointer[string]
	ttl   time.Duration // the shortest lifetime seen
}

// mint signs every pair in (again).
func (ts *tokenSet) mint(ctx context.Context, c *benchClient, o *benchOptions, a *aclServer) error {
	if ts.toks == nil {
		ts.toks = make([]atomic.Pointer[string], len(ts.pairs))
	}
	var mu sync.Mutex
	return parallel(ctx, len(ts.pairs), o.writers, func(ctx context.Context, i int) error {
		p := ts.pairs[i]
		s, err := exchange(ctx, c, o, a.key, a.d.subject(p.user), a.workspaces[p.ws])
		if err != nil {
			return err
		}
		ts.toks[i].Store(&s.token)
		mu.Lock()
		if ts.ttl == 0 || s.ttl < ts.ttl {
			ts.ttl = s.ttl
		}
		mu.Unlock()
		return nil
	})
}

// renew mints the tokens again every half lifetime until ctx ends; a
// failure is reported once on w (the old tokens stay in use).
func (ts *tokenSet) renew(ctx context.Context, c *benchClient, o *benchOptions, a *aclServer, w io.Writer) {
	if ts.ttl <= 0 {
		return
	}
	reported := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(ts.ttl / 2):
		}
		if err := ts.mint(ctx, c, o, a); err != nil && ctx.Err() == nil && !reported {
			fmt.Fprintf(w, "renewing the users' tokens: %v\n", err)
			reported = true
		}
	}
}

// header returns the credentials of pair i: the service key and the
// user's current token, as the original's SDKs send them.
func (ts *tokenSet) header(key string, i int) func() http.Header {
	return func() http.Header {
		return http.Header{"X-Service-Key": {key}, "Authorization": {"Bearer " + *ts.toks[i].Load()}}
	}
}

// csvBody is a CSV import body.
func csvBody(rows [][4]string) []byte {
	var b bytes.Buffer
	b.WriteString("email,name,workspace_slug,role\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", r[0], r[1], r[2], r[3])
	}
	return b.Bytes()
}
