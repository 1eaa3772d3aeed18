// Package httpx holds the HTTP rules Sentinel's verifier plugins and their
// host share: which URLs may be fetched at all, and a client whose time,
// redirects and response sizes are bounded.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// CheckURL accepts an absolute https URL, or an http URL whose host is a
// loopback address or "localhost" (local IdPs and tests). Credentials in
// the URL and fragments are refused: tokens and keys are never fetched over
// cleartext from another machine.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse URL %q: %w", raw, err)
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("URL %q is not absolute", raw)
	}
	if u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("URL %q must not carry credentials or a fragment", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("URL %q: http is only allowed to a loopback host, use https", raw)
		}
	default:
		return nil, fmt.Errorf("URL %q: scheme must be https", raw)
	}
	return u, nil
}

// IsLoopback reports whether host (no port) names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewClient returns a client with the given overall timeout that follows
// at most three redirects, each to a URL CheckURL accepts.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			_, err := CheckURL(req.URL.String())
			return err
		},
	}
}

// Response is a bounded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Get sends a GET to u with the given headers and reads at most limit
// bytes of the body (a longer body is an error, not a truncation).
func Get(ctx context.Context, c *http.Client, u string, header http.Header, limit int64) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Response{}, fmt.Errorf("build request for %s: %w", u, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := c.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("GET %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return Response{}, fmt.Errorf("read %s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return Response{}, fmt.Errorf("GET %s: response larger than %d bytes", u, limit)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: body}, nil
}

// DecodeJSON decodes r's body into out, naming u in the error.
func (r Response) DecodeJSON(u string, out any) error {
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("decode %s: %w", u, err)
	}
	return nil
}
