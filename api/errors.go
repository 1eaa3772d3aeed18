package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/engine"
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
	codeTooComplex       = "resolution_too_complex"
	codeCancelled        = "cancelled"
)

// statusClientClosed answers a request whose client went away before the
// answer was ready (nginx's 499): it tells the logs and metrics apart from a
// server failure.
const statusClientClosed = 499

// noModelMessage is the message of every no_model error.
const noModelMessage = "the service has no authorization model; PUT /v1/model first"

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

// failErr maps store and engine errors to their status; anything else is a
// 500 whose detail goes to the log, not the client.
func (s *Server) failErr(c *gin.Context, err error) {
	status, detail := s.classify(c, err)
	c.AbortWithStatusJSON(status, errorBody{Error: detail})
}

// classify is the one mapping from an error to a status and error body,
// shared by whole requests (failErr) and the results of a batch check.
func (s *Server) classify(c *gin.Context, err error) (int, errorDetail) {
	switch {
	case errors.Is(err, engine.ErrInvalidRequest):
		return http.StatusBadRequest, errorDetail{Code: codeInvalidArgument, Message: err.Error()}
	case errors.Is(err, engine.ErrTooComplex):
		return http.StatusUnprocessableEntity, errorDetail{Code: codeTooComplex, Message: err.Error()}
	case errors.Is(err, engine.ErrNoModel), errors.Is(err, store.ErrNoModel):
		return http.StatusBadRequest, errorDetail{Code: codeNoModel, Message: noModelMessage}
	case errors.Is(err, store.ErrDirectoryNotGranted):
		return http.StatusForbidden, errorDetail{Code: codeForbidden, Message: directoryNotGrantedMessage}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, errorDetail{Code: codeNotFound, Message: err.Error()}
	case errors.Is(err, store.ErrAlreadyExists):
		return http.StatusConflict, errorDetail{Code: codeAlreadyExists, Message: err.Error()}
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, errorDetail{Code: codeConflict, Message: err.Error()}
	}
	if c.Request.Context().Err() != nil {
		// The client went away (closed the connection, or its deadline
		// passed) and the evaluation stopped for it: nothing failed here,
		// and no one reads the answer.
		s.log.Debug("request cancelled by the client", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		return statusClientClosed, errorDetail{Code: codeCancelled, Message: "request cancelled by the client"}
	}
	s.log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
	return http.StatusInternalServerError, errorDetail{Code: codeInternal, Message: "internal error"}
}
