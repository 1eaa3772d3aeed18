// Command github is Sentinel's verifier plugin for GitHub. GitHub issues
// no ID tokens: the token is an opaque OAuth access token, verified by
// asking GitHub who it belongs to (GET /user) and which addresses are
// verified (GET /user/emails, which needs the user:email scope). The
// identity's subject is "github|{id}" (the numeric id, never the
// changeable login) and its email is the verified primary address; a
// token whose account has none is refused.
//
// Settings:
//
//	{
//	  "base_url": "https://api.github.com", // default; GitHub Enterprise or tests
//	  "timeout":  "5s"                      // optional per-request timeout
//	}
package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-auth/sentinel/plugins"
	"github.com/sentinel-auth/sentinel/plugins/internal/httpx"
	"github.com/sentinel-auth/sentinel/plugins/sdk"
)

// DefaultBaseURL is GitHub's REST API.
const DefaultBaseURL = "https://api.github.com"

// Issuer names GitHub in identities.
const Issuer = "https://github.com"

// maxBody bounds GitHub's answers.
const maxBody = 1 << 20

type settings struct {
	BaseURL string `json:"base_url"`
	Timeout string `json:"timeout"`
}

type verifier struct {
	base   string
	client *http.Client
}

func (p *verifier) Configure(raw []byte) error {
	var s settings
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return err
	}
	p.base = strings.TrimSuffix(s.BaseURL, "/")
	if p.base == "" {
		p.base = DefaultBaseURL
	}
	if _, err := httpx.CheckURL(p.base); err != nil {
		return fmt.Errorf("github: base_url: %w", err)
	}
	timeout := 5 * time.Second
	if s.Timeout != "" {
		d, err := time.ParseDuration(s.Timeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("github: timeout %q: want a positive duration", s.Timeout)
		}
		timeout = d
	}
	p.client = httpx.NewClient(timeout)
	// The bearer token must never follow a redirect anywhere.
	p.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return nil
}

type user struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

func (p *verifier) Verify(ctx context.Context, token string, _ sdk.KeyFetcher) (plugins.Identity, error) {
	if strings.ContainsAny(token, " \t\r\n") {
		return plugins.Identity{}, fmt.Errorf("%w: malformed GitHub token", plugins.ErrInvalidToken)
	}
	var u user
	if err := p.get(ctx, token, "/user", &u); err != nil {
		return plugins.Identity{}, err
	}
	if u.ID <= 0 {
		return plugins.Identity{}, fmt.Errorf("github: /user answered without an id")
	}
	var emails []email
	if err := p.get(ctx, token, "/user/emails", &emails); err != nil {
		return plugins.Identity{}, err
	}
	primary := ""
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			primary = e.Email
		}
	}
	if primary == "" {
		return plugins.Identity{}, fmt.Errorf("%w: the GitHub account has no verified primary email", plugins.ErrInvalidToken)
	}
	name := u.Name
	if name == "" {
		name = u.Login
	}
	return plugins.Identity{
		Issuer:        Issuer,
		Subject:       "github|" + strconv.FormatInt(u.ID, 10),
		Email:         primary,
		EmailVerified: true,
		Name:          name,
		Picture:       u.AvatarURL,
		Claims:        map[string]any{"id": u.ID, "login": u.Login},
	}, nil
}

// get calls the GitHub API as the token's owner. 401 means the token is
// not (or no longer) valid; 403/404 on /user/emails means it lacks the
// user:email scope; both refuse the token. Rate limits and server errors
// are failures to verify.
func (p *verifier) get(ctx context.Context, token, path string, out any) error {
	u := p.base + path
	res, err := httpx.Get(ctx, p.client, u, http.Header{
		"Authorization":        {"Bearer " + token},
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
		"User-Agent":           {"sentinel-github-verifier"},
	}, maxBody)
	if err != nil {
		return fmt.Errorf("github: %w", err)
	}
	rateLimited := res.Header.Get("X-Ratelimit-Remaining") == "0" || res.Header.Get("Retry-After") != ""
	switch {
	case res.Status == http.StatusOK:
		return res.DecodeJSON(u, out)
	case res.Status == http.StatusUnauthorized:
		return fmt.Errorf("%w: GitHub rejected the token", plugins.ErrInvalidToken)
	case (res.Status == http.StatusForbidden || res.Status == http.StatusNotFound) && !rateLimited && path == "/user/emails":
		return fmt.Errorf("%w: the token cannot read the account's emails (user:email scope needed)", plugins.ErrInvalidToken)
	default:
		return fmt.Errorf("github: GET %s: status %d", u, res.Status)
	}
}

func main() { sdk.Serve(&verifier{}) }
