package main

// The load tool's HTTP client.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// benchClient sends JSON requests to one server with one credential.
type benchClient struct {
	http *http.Client
	base string
	key  string
}

func newBenchClient(base string, conns int) *benchClient {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &benchClient{http: &http.Client{Transport: tr, Timeout: time.Minute}, base: base}
}

// do sends body (bytes, or a value to marshal) with key as the bearer
// credential and reads the answer into buf; status 0 means the request
// failed in transport.
func (c *benchClient) do(ctx context.Context, method, path, key string, body any, buf *bytes.Buffer) (int, error) {
	return c.doWith(ctx, method, path, bearer(key), body, buf)
}

// bearer is the header of a request authenticated by tok alone.
func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// doWith is do with the credentials in hdr (read only: it may be shared).
func (c *benchClient) doWith(ctx context.Context, method, path string, hdr http.Header, body any, buf *bytes.Buffer) (int, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// call is do for the setup requests: it fails unless the status is want.
func (c *benchClient) call(ctx context.Context, method, path, key string, body any, want int, out any) error {
	return c.callWith(ctx, method, path, bearer(key), body, want, out)
}

// callWith is call with the credentials in hdr.
func (c *benchClient) callWith(ctx context.Context, method, path string, hdr http.Header, body any, want int, out any) error {
	var buf bytes.Buffer
	status, err := c.doWith(ctx, method, path, hdr, body, &buf)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status != want {
		return &statusError{method: method, path: path, status: status, body: strings.TrimSpace(buf.String())}
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, buf.String(), err)
		}
	}
	return nil
}

type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %.300s", e.method, e.path, e.status, e.body)
}
