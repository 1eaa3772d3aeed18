package sentinel

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// APIError is a request Sentinel refused: the HTTP status and the code and
// message of its {"error":{"code","message"}} body. Use errors.As to get it.
//
// In a BatchCheck result it describes one check that failed while the
// batch succeeded; Status is 0 there.
type APIError struct {
	Status  int
	Code    string // e.g. "invalid_argument", "unauthenticated", "no_model"
	Message string
}

func (e *APIError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("sentinel: %s: %s", e.Code, e.Message)
	}
	code := e.Code
	if code == "" {
		code = http.StatusText(e.Status)
	}
	return fmt.Sprintf("sentinel: %d %s: %s", e.Status, code, e.Message)
}

// Temporary reports whether the same request may succeed later (5xx, 429).
func (e *APIError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// errorBody is the wire form of a native API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// maxErrorText bounds the body text kept when an error body is not JSON.
const maxErrorText = 512

// parseAPIError builds the error of a non-2xx response from its body.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
		e.Code, e.Message = eb.Error.Code, eb.Error.Message
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > maxErrorText {
		text = text[:maxErrorText] + "…"
	}
	if text == "" {
		text = http.StatusText(status)
	}
	e.Message = text
	return e
}
