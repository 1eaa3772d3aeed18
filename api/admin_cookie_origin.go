package api

import (
	"net/url"
	"strings"
)

// adminCookieOrigin reports whether a request with the admin_token cookie
// may come from origin (its Origin header): only pages of Sentinel's own
// origin (--issuer-url) and of the admin console (--admin-url) may use the
// admin session; a request without Origin (a page load, a same-origin
// GET) may too.
//
// CORS alone does not keep other pages out: it admits every active
// service app's allowed origin with credentials and X-Requested-With, as
// the original's browser SDKs need, and SameSite=Strict does not stop a
// request between two subdomains of one site. Without this check a script
// on a tenant's page (an XSS there, or a malicious tenant) could act as
// any administrator who visits it.
func (s *Server) adminCookieOrigin(origin string) bool {
	if origin == "" {
		return true
	}
	o := originOf(origin)
	if o == "" {
		return false // "null" (an opaque origin) or garbage
	}
	for _, allowed := range []string{s.cfg.IssuerURL, s.cfg.AdminURL} {
		if a := originOf(allowed); a != "" && a == o {
			return true
		}
	}
	return false
}

// originOf is the origin of an absolute http(s) URL, as a browser writes
// it in an Origin header (lower case, without a default port); "" for
// anything else.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return ""
	case scheme == "http" && port == "80", scheme == "https" && port == "443":
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}
