package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// maxRedirects bounds same-host redirects followed for one JWKS fetch.
const maxRedirects = 5

// checkURL accepts only absolute http and https URLs with a host.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse JWKS URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("JWKS URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("JWKS URL %q: no host", raw)
	}
	return u, nil
}

// newHTTPClient returns the client JWKS fetches use: bounded by timeout,
// following redirects only to the same host and port, never from https to
// http, never to another scheme. (Plain http to https on the default ports
// is the one port change allowed.)
func newHTTPClient(rt http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if err := sameOrigin(via[0].URL, req.URL); err != nil {
				return fmt.Errorf("redirect to %s refused: %w", req.URL.Redacted(), err)
			}
			return nil
		},
	}
}

// sameOrigin reports why a redirect from orig to next leaves the host
// the JWKS URL named, or nil when it does not.
func sameOrigin(orig, next *url.URL) error {
	switch {
	case next.Scheme != "http" && next.Scheme != "https":
		return errors.New("not http or https")
	case orig.Scheme == "https" && next.Scheme != "https":
		return errors.New("https to http")
	case !strings.EqualFold(orig.Hostname(), next.Hostname()):
		return errors.New("another host")
	}
	op, np := effectivePort(orig), effectivePort(next)
	if op == np || (orig.Scheme == "http" && op == "80" && next.Scheme == "https" && np == "443") {
		return nil
	}
	return errors.New("another port")
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// download GETs a JWKS document and returns its validated body and the
// response headers (for the TTL).
func download(ctx context.Context, client *http.Client, jwksURL string, maxBytes int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("status %d, want 200", res.StatusCode)
	}
	if res.ContentLength > maxBytes {
		return nil, nil, fmt.Errorf("document of %d bytes exceeds the %d byte limit", res.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, nil, fmt.Errorf("document exceeds the %d byte limit", maxBytes)
	}
	if err := validateJWKS(body); err != nil {
		return nil, nil, err
	}
	return body, res.Header, nil
}

// validateJWKS accepts a JWK set ({"keys": [...]}) of at least one key in
// which every key parses and has a kid. Symmetric ("oct") keys are refused:
// a key set anyone can download must not hold a secret that signs tokens.
func validateJWKS(body []byte) error {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("JWKS is not a JSON object with keys: %w", err)
	}
	if len(doc.Keys) == 0 {
		return errors.New("JWKS has no keys")
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return fmt.Errorf("parse JWKS: %w", err)
	}
	if set.Len() != len(doc.Keys) {
		return fmt.Errorf("JWKS lists %d keys but %d parse", len(doc.Keys), set.Len())
	}
	for i := range set.Len() {
		k, _ := set.Key(i)
		if k.KeyID() == "" {
			return fmt.Errorf("JWKS key %d has no kid", i)
		}
		if k.KeyType() == jwa.OctetSeq {
			return fmt.Errorf("JWKS key %q is symmetric (oct)", k.KeyID())
		}
	}
	return nil
}

// ttlBounds say how long a fetched key set is kept.
type ttlBounds struct {
	min, max, def time.Duration
}

// ttl derives the lifetime of a response from its Cache-Control header:
// max-age less Age, no-store/no-cache as the minimum, the default when
// neither is given, always bounded to [min, max].
func (b ttlBounds) ttl(h http.Header) time.Duration {
	maxAge, noCache, ok := parseCacheControl(h.Values("Cache-Control"))
	ttl := b.def
	switch {
	case noCache:
		ttl = b.min
	case ok:
		ttl = maxAge
		if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 {
			ttl -= seconds(age)
		}
	}
	return min(max(ttl, b.min), b.max)
}

// parseCacheControl finds max-age (the first valid one) and whether the
// response forbids reuse (no-store, no-cache). Directive names are
// case-insensitive; the value may be quoted.
func parseCacheControl(values []string) (maxAge time.Duration, noCache, ok bool) {
	for _, v := range values {
		for d := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				noCache = true
			case "max-age":
				if ok {
					continue
				}
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(arg), `"`), 10, 64)
				if err == nil && n >= 0 {
					maxAge, ok = seconds(n), true
				}
			}
		}
	}
	return maxAge, noCache, ok
}

// seconds converts without overflowing: anything past ~292 years is capped.
func seconds(n int64) time.Duration {
	const limit = int64(1<<63-1) / int64(time.Second)
	return time.Duration(min(n, limit)) * time.Second
}
