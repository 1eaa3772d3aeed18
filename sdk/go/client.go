package sentinel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of a Client; each has an Option.
const (
	DefaultTimeout    = 5 * time.Second
	DefaultRetries    = 3
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Second
	// DefaultMaxRetryAfter is the longest Retry-After the client waits
	// for; a server asking for more gets its error returned instead.
	DefaultMaxRetryAfter = 30 * time.Second
)

// maxResponseBytes bounds a response body the client reads.
const maxResponseBytes = 32 << 20

// Client calls Sentinel's /v1 API as one service (its service key). It is
// safe for concurrent use; make one and share it.
type Client struct {
	base          string
	key           string
	hc            *http.Client
	timeout       time.Duration
	retries       int
	minBackoff    time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	userAgent     string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (its Timeout, if any, also
// applies; prefer WithTimeout, which is per attempt).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithTimeout bounds each attempt of a request (default 5 s).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetries sets how many times a failed request is retried (default 3;
// 0 disables retries).
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// WithBackoff sets the first and the largest backoff between retries; each
// wait is drawn at random up to min(maxWait, minWait·2^attempt).
func WithBackoff(minWait, maxWait time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = minWait, maxWait }
}

// WithMaxRetryAfter bounds how long the client honours a Retry-After
// header (default 30 s); a longer one ends the retries.
func WithMaxRetryAfter(d time.Duration) Option { return func(c *Client) { c.maxRetryAfter = d } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the Sentinel server at baseURL (e.g.
// "https://sentinel.example.com", a path prefix is kept) that authenticates
// with serviceKey (sk_…).
func New(baseURL, serviceKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("sentinel: base URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sentinel: base URL %q: want http(s)://host[/prefix]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("sentinel: base URL %q: must not have a query or fragment", baseURL)
	}
	if serviceKey == "" {
		return nil, errors.New("sentinel: service key is empty")
	}
	c := &Client{
		base:          strings.TrimRight(u.String(), "/"),
		key:           serviceKey,
		hc:            http.DefaultClient,
		timeout:       DefaultTimeout,
		retries:       DefaultRetries,
		minBackoff:    DefaultMinBackoff,
		maxBackoff:    DefaultMaxBackoff,
		maxRetryAfter: DefaultMaxRetryAfter,
		userAgent:     "sentinel-go-sdk",
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	return c, nil
}

// call describes one API request.
type call struct {
	method string
	path   string     // below the base URL, e.g. "/v1/check"
	query  url.Values // may be nil
	in     any        // request body, marshalled to JSON; nil sends none
	out    any        // decoded from a 2xx answer; nil discards it
	// idempotent requests are also retried after transport errors, when
	// the server may or may not have received them.
	idempotent bool
}

// do sends the call, retrying as the package documentation says.
func (c *Client) do(ctx context.Context, cl call) error {
	var body []byte
	if cl.in != nil {
		var err error
		if body, err = json.Marshal(cl.in); err != nil {
			return fmt.Errorf("sentinel: %s %s: encode request: %w", cl.method, cl.path, err)
		}
	}
	target := c.base + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := c.attempt(ctx, cl, target, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if attempt >= c.retries || !retryable(cl, status, err) {
			return err
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 {
			if retryAfter > c.maxRetryAfter {
				return err
			}
			wait = retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// retryable: 5xx and 429 always; a transport error (status 0) only for an
// idempotent call. Never a 4xx.
func retryable(cl call, status int, err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	return status == 0 && cl.idempotent
}

// attempt sends the request once. It returns the status (0 when no answer
// was read), the server's Retry-After and the error.
func (c *Client) attempt(ctx context.Context, cl call, target string, body []byte) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, r)
	if err != nil {
		return 0, 0, fmt.Errorf("sentinel: %s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("sentinel: %s %s: %w", cl.method, cl.path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return 0, 0, fmt.Errorf("sentinel: %s %s: read answer: %w", cl.method, cl.path, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, parseRetryAfter(res.Header.Get("Retry-After"), time.Now()), parseAPIError(res.StatusCode, raw)
	}
	if len(raw) > maxResponseBytes {
		return res.StatusCode, 0, fmt.Errorf("sentinel: %s %s: answer larger than %d bytes", cl.method, cl.path, maxResponseBytes)
	}
	if cl.out != nil {
		if err := json.Unmarshal(raw, cl.out); err != nil {
			return res.StatusCode, 0, fmt.Errorf("sentinel: %s %s: decode answer: %w", cl.method, cl.path, err)
		}
	}
	return res.StatusCode, 0, nil
}
