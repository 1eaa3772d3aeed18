package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/store"
)

const serviceKeyCtx = "sentinel.service"

// credential returns the caller's key from X-Service-Key (or the given
// header) or from "Authorization: Bearer".
func credential(c *gin.Context, header string) string {
	if v := c.GetHeader(header); v != "" {
		return strings.TrimSpace(v)
	}
	auth := c.GetHeader("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// serviceAuth authenticates a service key and scopes the request to its
// service. The /v1 handlers behind it read the service from the context
// only; the query routes get it from withService instead.
func (s *Server) serviceAuth(c *gin.Context) {
	svc, ok := s.authenticate(c)
	if !ok {
		return
	}
	c.Set(serviceKeyCtx, svc)
	c.Next()
}

// withService is serviceAuth for the query routes (query.go), which run
// many times a second: it hands the service to the handler rather than
// through gin's per-request map, which a check would allocate for it alone.
func (s *Server) withService(h func(c *gin.Context, svc store.Service)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if svc, ok := s.authenticate(c); ok {
			h(c, svc)
		}
	}
}

// authenticate returns the service whose key the request carries, or
// answers 401 (or 500) itself.
func (s *Server) authenticate(c *gin.Context) (store.Service, bool) {
	secret := credential(c, "X-Service-Key")
	if secret == "" {
		fail(c, http.StatusUnauthorized, codeUnauthenticated,
			"missing service key: send Authorization: Bearer sk_… or X-Service-Key: sk_…")
		return store.Service{}, false
	}
	svc, _, err := s.cfg.Keys.Authenticate(c.Request.Context(), secret)
	if err != nil {
		if errors.Is(err, servicekey.ErrInvalid) {
			fail(c, http.StatusUnauthorized, codeUnauthenticated, err.Error())
			return store.Service{}, false
		}
		s.failErr(c, err)
		return store.Service{}, false
	}
	return svc, true
}

func service(c *gin.Context) store.Service {
	return c.MustGet(serviceKeyCtx).(store.Service)
}

// adminAuth accepts only the admin credential.
func (s *Server) adminAuth(c *gin.Context) {
	secret := credential(c, "X-Admin-Key")
	if secret == "" {
		fail(c, http.StatusUnauthorized, codeUnauthenticated,
			"missing admin credential: send Authorization: Bearer <admin key> or X-Admin-Key")
		return
	}
	if s.cfg.Admin == nil || !s.cfg.Admin.Verify(secret) {
		fail(c, http.StatusUnauthorized, codeUnauthenticated, "invalid admin credential")
		return
	}
	c.Next()
}
