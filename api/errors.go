package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// Error codes of the native API's error body:
// {"error": {"code": "...", "message": "..."}}.
const (
	codeInvalidArgument  = "invalid_argument"
	codeUnauthenticated  = "unauthenticated"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeConflict         = "conflict"
	codeInvalidModel     = "invalid_model"
	codeTooLarge         = "request_too_large"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
	codeNoModel          = "no_model"
	codeAlreadyExists    = "already_exists"
	codeDeadlineExceeded = "consistency_timeout"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func fail(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

// failErr maps store errors to their status; anything else is a 500 whose
// detail goes to the log, not the client.
func (s *Server) failErr(c *gin.Context, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		fail(c, http.StatusNotFound, codeNotFound, err.Error())
	case errors.Is(err, store.ErrAlreadyExists):
		fail(c, http.StatusConflict, codeAlreadyExists, err.Error())
	case errors.Is(err, store.ErrConflict):
		fail(c, http.StatusConflict, codeConflict, err.Error())
	case errors.Is(err, store.ErrNoModel):
		fail(c, http.StatusBadRequest, codeNoModel, "the service has no authorization model; PUT /v1/model first")
	default:
		s.log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		fail(c, http.StatusInternalServerError, codeInternal, "internal error")
	}
}
