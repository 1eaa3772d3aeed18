package api

import (
	"log/slog"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
)

// Internals for the external tests (package api_test).

// BatchWorkers sets how many checks of a batch run at once.
var BatchWorkers = &batchWorkers

// ListPage, EncodeListToken and DecodeListToken are /v1/list's pagination.
var (
	ListPage        = listPage
	EncodeListToken = encodeListToken
	DecodeListToken = decodeListToken
)

// ErrorStatus is the status and error code a handler answers err with.
func ErrorStatus(err error) (int, string) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("POST", "/v1/check", nil)
	status, detail := s.classify(c, err)
	return status, detail.Code
}
