// Package api is Sentinel's HTTP layer: routes, request and response
// shapes, caller authentication and error mapping. Handlers validate input
// fully before touching the store, so a refused request changes nothing.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/identity/adminkey"
	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/store"
)

// Syncer is what the API needs of datasync.
type Syncer interface {
	Applied() uint64
	Poke()
	WaitFor(ctx context.Context, rev uint64) error
	Lag(ctx context.Context) (applied, head uint64, err error)
	ModelErrors() map[string]error
}

// Config wires a Server.
type Config struct {
	Store  store.Store
	Engine *engine.Engine
	Sync   Syncer
	Keys   *servicekey.Authenticator
	Admin  *adminkey.Verifier
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics; nil
	// disables both.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// ConsistencyTimeout bounds how long a read waits for a revision
	// (default 1s).
	ConsistencyTimeout time.Duration

	// Identity. Each may be nil: the routes that need it then answer 503
	// (or 404 for the well-known documents).
	Exchanger  Exchanger
	Tokens     Tokens
	PublicKeys PublicKeys
	// IssuerURL is the iss of Sentinel's tokens (its public base URL).
	IssuerURL string
	// JWKSMaxAge is the Cache-Control max-age of the JWKS (default 5m).
	JWKSMaxAge time.Duration
	// Users backs the admin user routes (deactivation) and /users/me.
	Users UserAdmin
	// UserAuth authenticates the original's user routes; nil refuses them.
	UserAuth UserAuthenticator
	// Login runs proxy-mode login, the admin login and the GitHub login
	// (compat_auth_login.go); nil answers their routes 404.
	Login LoginFlows
	// AdminURL is where the admin login sends the browser once the
	// admin_token cookie is set; empty answers with the admin's JSON.
	AdminURL string
	// RedisPing checks the shared Redis for GET /admin/health; nil means
	// no Redis is configured ("not_configured").
	RedisPing func(ctx context.Context) error
	// Version is reported by GET /admin/health (default: the module
	// version of the build, or "dev").
	Version string
	// CORSOrigins are browser origins allowed besides the service apps'
	// allowed_origins (cors.go).
	CORSOrigins []string
	// CORSRefresh bounds how stale the service apps' origins may be on
	// this replica (default 10s).
	CORSRefresh time.Duration
}

// Server serves the native /v1 API.
type Server struct {
	cfg    Config
	log    *slog.Logger
	models *modelCache
	router *gin.Engine
	// started is when New ran: the uptime of GET /admin/health.
	started time.Time
	// origins are the browser origins allowed by CORS (cors.go).
	origins *originSet
}

// New builds the routes.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ConsistencyTimeout <= 0 {
		cfg.ConsistencyTimeout = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, models: newModelCache(), started: time.Now()}
	var apps func(context.Context) (map[string]store.ServiceApp, error)
	if cfg.Store != nil {
		apps = cfg.Store.ServiceApps
	}
	s.origins = newOriginSet(cfg.CORSOrigins, apps, cfg.CORSRefresh, s.log.Warn)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(s.recover, s.corsMiddleware(), s.limitBody)
	if cfg.Registry != nil {
		r.Use(httpMetrics(cfg.Registry))
		r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})))
	}
	r.NoRoute(func(c *gin.Context) { fail(c, http.StatusNotFound, codeNotFound, "no route "+c.Request.URL.Path) })
	r.NoMethod(func(c *gin.Context) {
		fail(c, http.StatusMethodNotAllowed, codeInvalidArgument, "method "+c.Request.Method+" not allowed on "+c.Request.URL.Path)
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)

	r.GET("/health", s.health)
	r.GET("/.well-known/jwks.json", s.jwks)
	r.GET("/.well-known/openid-configuration", s.openIDConfiguration)
	r.POST("/authz/resolve", s.compatServiceAuth, s.authzResolve)
	r.GET("/users/me", s.compatUserAuth, s.usersMe)

	// The original's proxy-mode, admin and GitHub login routes
	// (compat_auth_login.go, compat_auth_admin.go, compat_authz_github.go).
	s.compatLoginRoutes(r)

	// The original's /workspaces, members and groups routes and PATCH
	// /users/me (compat_workspaces.go).
	s.compatWorkspaceRoutes(r)

	// The original's resource ACL (/permissions/*) and custom RBAC
	// (/roles/*) routes (compat_permissions.go, compat_permissions_acl.go,
	// compat_roles.go).
	s.compatPermissionRoutes(r)

	// The original's /admin users, workspaces, members, groups, activity,
	// stats, health and CSV routes (compat_admin_users.go,
	// compat_admin_workspaces.go, compat_admin_misc.go, compat_admin_csv.go).
	s.compatAdminDirectoryRoutes(r)

	// The original's /admin permissions, service actions, roles, client
	// apps and service apps (compat_admin_permissions.go,
	// compat_admin_roles.go, compat_admin_role_members.go,
	// compat_admin_apps.go, compat_admin_service_apps.go).
	s.compatAdminAccessRoutes(r)

	// The native /v1 workspaces, members, groups, resources and RBAC routes,
	// on the original's handlers in native mode (native_routes.go).
	s.nativeDirectoryRoutes(r)

	v1 := r.Group("/v1", s.serviceAuth)
	v1.POST("/authz/token", s.authzToken)
	v1.POST("/tokens/introspect", s.introspect)
	v1.POST("/tokens/revoke", s.revokeToken)
	v1.PUT("/model", s.putModel)
	v1.GET("/model", s.getModel)
	v1.POST("/tuples", s.writeTuples)
	v1.GET("/tuples", s.readTuples)
	v1.GET("/changes", s.changes)
	// The query routes authenticate the key themselves (withService).
	query := r.Group("/v1")
	query.POST("/check", s.withService(s.check))
	query.POST("/check/batch", s.withService(s.batchCheck))
	query.POST("/list", s.withService(s.list))
	query.POST("/list-users", s.withService(s.listUsers))
	query.POST("/expand", s.withService(s.expand))

	admin := r.Group("/v1/admin", s.adminAuth)
	admin.POST("/services", s.createService)
	admin.GET("/services", s.listServices)
	admin.GET("/services/:name/keys", s.listKeys)
	admin.POST("/services/:name/keys", s.rotateKey)
	admin.DELETE("/services/:name/keys/:id", s.revokeKey)
	admin.PUT("/services/:name/directory", s.setDirectoryAccess) // admin_directory.go
	admin.GET("/users/:id", s.getUser)
	admin.PATCH("/users/:id", s.patchUser)
	admin.POST("/users/:id/revoke-tokens", s.revokeUserTokens) // users.go
	admin.GET("/activity", s.listActivity)

	s.router = r
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in handler", "path", c.Request.URL.Path, "panic", v)
			fail(c, http.StatusInternalServerError, codeInternal, "internal error")
		}
	}()
	c.Next()
}

func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	}
	c.Next()
}

func httpMetrics(reg *prometheus.Registry) gin.HandlerFunc {
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "sentinel_http_request_duration_seconds",
		Help:    "HTTP request latency by route and status.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"method", "route", "status"})
	reg.MustRegister(dur)
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		dur.WithLabelValues(c.Request.Method, route, statusClass(c.Writer.Status())).Observe(time.Since(start).Seconds())
	}
}

// statusClasses are the status labels ("2xx" for 200): one string each,
// not one built per request.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(code int) string {
	if i := code/100 - 1; i >= 0 && i < len(statusClasses) {
		return statusClasses[i]
	}
	return "other"
}
