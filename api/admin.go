package api

import (
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/store"
)

// serviceNameRe is the original Sentinel's rule for service names.
var serviceNameRe = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// ValidServiceName reports whether name may name a service.
func ValidServiceName(name string) bool { return serviceNameRe.MatchString(name) }

type serviceResponse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// DirectoryAccess: an administrator allows the service to opt in to
	// the directory (admin_directory.go).
	DirectoryAccess bool `json:"directory_access"`
}

type keyResponse struct {
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Active     bool       `json:"active"`
}

type issuedResponse struct {
	Service serviceResponse `json:"service"`
	Key     keyResponse     `json:"key"`
	// Secret is shown once; only its hash is stored.
	Secret string `json:"secret"`
}

func toService(s store.Service) serviceResponse {
	return serviceResponse{ID: s.ID, Name: s.Name, CreatedAt: s.CreatedAt, DirectoryAccess: s.DirectoryAccess}
}

func toKey(k store.Key) keyResponse {
	return keyResponse{ID: k.ID, Prefix: k.Prefix, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt,
		ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, Active: k.Active(time.Now())}
}

func toIssued(is servicekey.Issued) issuedResponse {
	return issuedResponse{Service: toService(is.Service), Key: toKey(is.Key), Secret: is.Secret}
}

type createServiceRequest struct {
	Name string `json:"name"`
}

func (s *Server) createService(c *gin.Context) {
	var req createServiceRequest
	if !bind(c, &req) {
		return
	}
	if !ValidServiceName(req.Name) {
		fail(c, http.StatusBadRequest, codeInvalidArgument,
			fmt.Sprintf("service name %q must match %s", req.Name, serviceNameRe))
		return
	}
	key, err := servicekey.New()
	if err != nil {
		s.failErr(c, err)
		return
	}
	// Recorded with the service's write, the first of two (the key's is
	// the second): the key is named by its prefix, its id is not known yet.
	ctx := c.Request.Context()
	ctx = recordOf(ctx, adminBy(ctx), func(svc store.Service) []act {
		return []act{{store.ActivityEntry{Action: actionServiceCreated, TargetType: "service", TargetID: svc.ID},
			map[string]any{"name": svc.Name, "key_prefix": key.Display}}}
	})
	is, err := servicekey.CreateServiceWith(ctx, s.cfg.Store, req.Name, key)
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, toIssued(is))
}

func (s *Server) listServices(c *gin.Context) {
	svcs, err := s.cfg.Store.ListServices(c.Request.Context())
	if err != nil {
		s.failErr(c, err)
		return
	}
	out := make([]serviceResponse, len(svcs))
	for i, svc := range svcs {
		out[i] = toService(svc)
	}
	c.JSON(http.StatusOK, gin.H{"services": out})
}

func (s *Server) listKeys(c *gin.Context) {
	_, keys, err := servicekey.List(c.Request.Context(), s.cfg.Store, c.Param("name"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	out := make([]keyResponse, len(keys))
	for i, k := range keys {
		out[i] = toKey(k)
	}
	c.JSON(http.StatusOK, gin.H{"keys": out})
}

type rotateRequest struct {
	// Grace is how long the service's other keys keep working, as a Go
	// duration ("24h", "0s"); default 24h.
	Grace string `json:"grace"`
}

func (s *Server) rotateKey(c *gin.Context) {
	req := rotateRequest{}
	if c.Request.ContentLength != 0 && !bind(c, &req) {
		return
	}
	grace := 24 * time.Hour
	if req.Grace != "" {
		g, err := time.ParseDuration(req.Grace)
		if err != nil || g < 0 {
			fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf("grace %q must be a non-negative duration such as \"24h\"", req.Grace))
			return
		}
		grace = g
	}
	ctx, name := c.Request.Context(), c.Param("name")
	is, err := servicekey.Rotate(recordOf(ctx, adminBy(ctx), func(k store.Key) []act {
		return []act{{store.ActivityEntry{Action: actionKeyRotated, TargetType: "service", TargetID: k.ServiceID},
			map[string]any{"name": name, "key_id": k.ID, "key_prefix": k.Prefix, "grace": grace.String()}}}
	}), s.cfg.Store, name, grace)
	if err != nil {
		s.failErr(c, err)
		return
	}
	s.cfg.Keys.Invalidate(is.Service.ID)
	c.JSON(http.StatusCreated, toIssued(is))
}

func (s *Server) revokeKey(c *gin.Context) {
	ctx, name, keyID := c.Request.Context(), c.Param("name"), c.Param("id")
	// The service first: its id is the entry's target.
	svc, err := s.cfg.Store.ServiceByName(ctx, name)
	if err == nil {
		err = servicekey.Revoke(record(ctx, adminBy(ctx), act{store.ActivityEntry{Action: actionKeyRevoked,
			TargetType: "service", TargetID: svc.ID}, map[string]any{"name": name, "key_id": keyID}}), s.cfg.Store, name, keyID)
	}
	if err != nil {
		s.failErr(c, err)
		return
	}
	s.cfg.Keys.Invalidate(svc.ID)
	c.Status(http.StatusNoContent)
}
