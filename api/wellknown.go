package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// PublicKeys publishes Sentinel's token-verification keys (identity/keys).
type PublicKeys interface {
	// JWKS is the JSON Web Key Set to publish at time now: the keys that
	// sign, will sign soon, or signed tokens that may still be alive.
	JWKS(now time.Time) ([]byte, error)
	// Algorithms lists the signing algorithms in use.
	Algorithms() []string
}

// jwksMaxAge is what verifiers may cache the JWKS for; rotation waits at
// least this long before a new key signs.
const jwksMaxAge = 5 * time.Minute

func (s *Server) jwks(c *gin.Context) {
	if s.cfg.PublicKeys == nil {
		fail(c, http.StatusNotFound, codeNotFound, "token signing is not configured")
		return
	}
	body, err := s.cfg.PublicKeys.JWKS(time.Now())
	if err != nil {
		s.log.Error("jwks failed", "err", err)
		fail(c, http.StatusServiceUnavailable, codeUnavailable, "keys unavailable")
		return
	}
	c.Header("Cache-Control", "public, max-age="+strconv.Itoa(int(s.jwksMaxAge()/time.Second)))
	c.Data(http.StatusOK, "application/json", body)
}

func (s *Server) jwksMaxAge() time.Duration {
	if s.cfg.JWKSMaxAge > 0 {
		return s.cfg.JWKSMaxAge
	}
	return jwksMaxAge
}

// openIDConfiguration is the discovery document verifiers use to find the
// JWKS (Sentinel is not an OpenID provider for end users; it lists what a
// token verifier needs).
func (s *Server) openIDConfiguration(c *gin.Context) {
	if s.cfg.PublicKeys == nil || s.cfg.IssuerURL == "" {
		fail(c, http.StatusNotFound, codeNotFound, "token signing is not configured")
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"issuer":                                s.cfg.IssuerURL,
		"jwks_uri":                              s.cfg.IssuerURL + "/.well-known/jwks.json",
		"id_token_signing_alg_values_supported": s.cfg.PublicKeys.Algorithms(),
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "jti", "type", "idp_sub", "svc",
			"wid", "wslug", "wrole", "groups", "actions", "email", "name"},
	})
}
