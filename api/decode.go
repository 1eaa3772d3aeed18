package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// bind decodes the JSON body into v strictly (unknown fields and trailing
// data are errors) and answers 400/413 itself; it reports whether to go on.
// It decodes from the body as it arrives rather than reading it whole
// first: the same answers, one buffer fewer per request.
func bind(c *gin.Context, v any) bool {
	body := &bodyReader{r: c.Request.Body}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// Only white space may follow the object (More would let a
		// closing bracket through).
		if _, terr := dec.Token(); terr != io.EOF {
			err = errTrailing
		}
	}
	if err == nil {
		return true
	}
	refuseBody(c, body, errors.Is(err, io.EOF), err.Error())
	return false
}

// refuseBody answers a body that did not decode: 413 if it was too large,
// 400 if it could not be read, was empty, or was not what problem says.
func refuseBody(c *gin.Context, body *bodyReader, empty bool, problem string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(body.err, &tooBig):
		fail(c, http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit))
	case body.err != nil:
		fail(c, http.StatusBadRequest, codeInvalidArgument, "read request body: "+body.err.Error())
	case empty:
		fail(c, http.StatusBadRequest, codeInvalidArgument, "request body is empty; a JSON object is required")
	default:
		fail(c, http.StatusBadRequest, codeInvalidArgument, "malformed JSON body: "+problem)
	}
}

var errTrailing = errors.New("trailing data after the object")

// bodyReader keeps the body's read error, so bind can tell a body it could
// not read (too large, cut off) from one that is not valid JSON.
type bodyReader struct {
	r    io.Reader
	err  error
	data bool // something other than white space was read
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if !b.data {
		for _, c := range p[:n] {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				b.data = true
				break
			}
		}
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}
