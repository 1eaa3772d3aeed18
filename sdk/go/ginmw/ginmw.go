// Package ginmw is the gin form of the Sentinel SDK's net/http
// middleware: it verifies Sentinel tokens and checks permissions and
// actions on gin routes. It lives apart so net/http users do not import
// gin.
package ginmw

import (
	"net/http"

	"github.com/gin-gonic/gin"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

// Auth verifies the request's tokens (see sentinel.AuthOptions) and puts
// the claims in the request's context, where Claims and
// sentinel.FromContext find them; it aborts with 401 (503 when keys are
// unavailable) and Sentinel's JSON error body.
func Auth(v *sentinel.Verifier, opts sentinel.AuthOptions) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, d := v.AuthenticateRequest(c.Request, opts)
		if d != nil {
			abort(c, d)
			return
		}
		c.Request = c.Request.WithContext(sentinel.NewContext(c.Request.Context(), claims))
		c.Next()
	}
}

// Claims returns the claims Auth verified.
func Claims(c *gin.Context) (*sentinel.AuthzClaims, bool) {
	return sentinel.FromContext(c.Request.Context())
}

// RequirePermission lets the request through only when Sentinel allows
// user:<sub> the relation on objectType:<id>, where objectID reads the id
// from the request (e.g. func(c *gin.Context) string { return c.Param("id") }).
// It must run after Auth.
func RequirePermission(ch sentinel.Checker, objectType, relation string, objectID func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, _ := Claims(c)
		if d := sentinel.Authorize(c.Request.Context(), ch, claims, objectType, objectID(c), relation); d != nil {
			abort(c, d)
			return
		}
		c.Next()
	}
}

// RequireAction lets the request through only when the token's actions
// include action. It must run after Auth.
func RequireAction(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, _ := Claims(c)
		if d := sentinel.CheckAction(claims, action); d != nil {
			abort(c, d)
			return
		}
		c.Next()
	}
}

func abort(c *gin.Context, d *sentinel.Denial) {
	if d.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	c.AbortWithStatusJSON(d.Status, gin.H{"error": gin.H{"code": d.Code, "message": d.Message}})
}
