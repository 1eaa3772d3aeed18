package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// The native /v1 routes for workspaces, members, groups, resources and
// RBAC (native_routes.go) run the original's handlers (compat_*.go) in
// native mode: a flag in the request's context that makes failDetail
// answer in the native envelope {"error": {"code", "message"}} and
// bindLenient decode strictly (bind). The handlers' rules, messages and
// order of refusals are then the same on both surfaces; only the wire
// format of errors and the leniency of bodies differ.

const nativeModeCtx = "sentinel.native"

// nativeMode marks the request as a native one; it runs first on every
// native route group.
func (s *Server) nativeMode(c *gin.Context) {
	c.Set(nativeModeCtx, true)
	c.Next()
}

// isNative reports whether the request came through a native route group.
func isNative(c *gin.Context) bool { return c.GetBool(nativeModeCtx) }

// nativeStatus is the native status of a status the original's handlers
// answer: the original's 422 (a malformed body, path id or field) is the
// native API's 400, as every other bad input there.
func nativeStatus(status int) int {
	if status == http.StatusUnprocessableEntity {
		return http.StatusBadRequest
	}
	return status
}

// nativeCode is the native error code of a status.
func nativeCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return codeInvalidArgument
	case http.StatusUnauthorized:
		return codeUnauthenticated
	case http.StatusForbidden:
		return codeForbidden
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusConflict:
		return codeConflict
	case http.StatusRequestEntityTooLarge:
		return codeTooLarge
	case http.StatusServiceUnavailable:
		return codeUnavailable
	}
	if status >= 500 {
		return codeInternal
	}
	return codeInvalidArgument
}

// failNative writes an error of the original's handlers in the native
// envelope.
func failNative(c *gin.Context, status int, msg string) {
	status = nativeStatus(status)
	fail(c, status, nativeCode(status), msg)
}

// defaultService fills an omitted service_name on a native route with the
// key's service: the native API scopes every request to its key, so the
// field is redundant there (when sent it must still be the key's). The
// original's routes keep requiring it.
func defaultService(c *gin.Context, name *string) {
	if *name == "" && isNative(c) {
		*name = service(c).Name
	}
}
