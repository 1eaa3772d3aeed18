package api

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/cors"
	"golang.org/x/sync/singleflight"

	"github.com/sentinel-auth/sentinel/store"
)

// CORS. Browsers may call Sentinel from the origins an administrator
// allowed: the allowed_origins of every active service app (the original
// fed the same list to its CORS middleware) and the server's static
// Config.CORSOrigins. Any other origin gets no CORS headers, so the browser
// refuses to hand it the answer; requests without an Origin header (servers,
// curl) are unaffected.
//
// The service apps' origins are read from the store at most once per
// Config.CORSRefresh (default 10s) and at once after this replica changed a
// service app, so another replica's change is seen within that period. A
// failed read keeps the last list (or none: fail closed) and is retried on
// the next request after the period.

// corsAllowedHeaders are the request headers the original's clients send.
var corsAllowedHeaders = []string{
	"Authorization", "Content-Type", "X-Service-Key", "X-Authz-Token", "X-Requested-With", "X-Admin-Key",
}

// corsMaxAge is how long a browser may cache a preflight answer, seconds.
const corsMaxAge = 600

// originSet is the cached set of allowed origins.
type originSet struct {
	static  map[string]bool
	apps    func(ctx context.Context) (map[string]store.ServiceApp, error)
	refresh time.Duration
	log     func(msg string, args ...any)

	mu      sync.Mutex
	dynamic map[string]bool
	fetched time.Time
	sf      singleflight.Group
}

func newOriginSet(static []string, apps func(ctx context.Context) (map[string]store.ServiceApp, error), refresh time.Duration, log func(string, ...any)) *originSet {
	if refresh <= 0 {
		refresh = 10 * time.Second
	}
	o := &originSet{static: map[string]bool{}, apps: apps, refresh: refresh, log: log}
	for _, s := range static {
		o.static[normalizeOrigin(s)] = true
	}
	return o
}

// normalizeOrigin compares origins case-insensitively and without a
// trailing slash, as browsers send them (scheme://host[:port]).
func normalizeOrigin(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "/")
}

// allowed reports whether origin may call the server from a browser.
func (o *originSet) allowed(ctx context.Context, origin string) bool {
	origin = normalizeOrigin(origin)
	if origin == "" || origin == "null" {
		return false
	}
	if o.static[origin] {
		return true
	}
	return o.current(ctx)[origin]
}

// current returns the service apps' origins, reloading them when stale.
func (o *originSet) current(ctx context.Context) map[string]bool {
	o.mu.Lock()
	set, fresh := o.dynamic, time.Since(o.fetched) < o.refresh
	o.mu.Unlock()
	if fresh || o.apps == nil {
		return set
	}
	v, _, _ := o.sf.Do("load", func() (any, error) {
		apps, err := o.apps(context.WithoutCancel(ctx))
		o.mu.Lock()
		defer o.mu.Unlock()
		o.fetched = time.Now()
		if err != nil {
			o.log("reading service apps' allowed origins failed; keeping the last list", "err", err)
			return o.dynamic, nil
		}
		next := map[string]bool{}
		for _, a := range apps {
			if !a.Active {
				continue
			}
			for _, og := range a.AllowedOrigins {
				next[normalizeOrigin(og)] = true
			}
		}
		o.dynamic = next
		return next, nil
	})
	return v.(map[string]bool)
}

// invalidate makes the next request reload the service apps' origins.
func (o *originSet) invalidate() {
	o.mu.Lock()
	o.fetched = time.Time{}
	o.mu.Unlock()
}

// corsMiddleware answers preflight requests and adds the CORS headers for
// allowed origins. A preflight stops here: it carries no credentials, so
// no authentication middleware may see it.
func (s *Server) corsMiddleware() gin.HandlerFunc {
	c := cors.New(cors.Options{
		AllowOriginVaryRequestFunc: func(r *http.Request, origin string) (bool, []string) {
			return s.origins.allowed(r.Context(), origin), nil
		},
		AllowedMethods:       []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders:       corsAllowedHeaders,
		AllowCredentials:     true,
		MaxAge:               corsMaxAge,
		OptionsSuccessStatus: http.StatusNoContent,
	})
	return func(gc *gin.Context) {
		r := gc.Request
		if r.Header.Get("Origin") == "" {
			gc.Next()
			return
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			c.HandlerFunc(gc.Writer, r)
			gc.Abort()
			return
		}
		c.HandlerFunc(gc.Writer, r)
		gc.Next()
	}
}
