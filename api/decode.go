package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// bind decodes the JSON body into v strictly (unknown fields and trailing
// data are errors) and answers 400/413 itself; it reports whether to go on.
func bind(c *gin.Context, v any) bool {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(c, http.StatusRequestEntityTooLarge, codeTooLarge,
				fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit))
			return false
		}
		fail(c, http.StatusBadRequest, codeInvalidArgument, "read request body: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		fail(c, http.StatusBadRequest, codeInvalidArgument, "request body is empty; a JSON object is required")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, "malformed JSON body: "+err.Error())
		return false
	}
	if dec.More() {
		fail(c, http.StatusBadRequest, codeInvalidArgument, "malformed JSON body: trailing data after the object")
		return false
	}
	return true
}
