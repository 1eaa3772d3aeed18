package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Response is a decoded JSON answer.
type Response struct {
	Status int
	Body   map[string]any
	Raw    string
}

// Code is the native API's error code, or "".
func (r Response) Code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		if c, ok := e["code"].(string); ok {
			return c
		}
	}
	return ""
}

// Do sends a JSON request (body: nil, a string sent as is, or a value to
// marshal) with "Authorization: Bearer key" when key is set.
func Do(t testing.TB, method, url, key string, body any) Response {
	t.Helper()
	res, err := DoErr(method, url, key, body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// DoErr is Do without failing the test on a transport error.
func DoErr(method, url, key string, body any) (Response, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: res.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out, nil
}

// Must fails the test unless r has the given status.
func Must(t testing.TB, status int, r Response) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %.500s", r.Status, status, r.Raw)
	}
	return r
}

// Tuple is the wire form of a tuple.
func Tuple(object, relation, user string) map[string]string {
	return map[string]string{"object": object, "relation": relation, "user": user}
}

// DoHeaders is Do with the given request headers instead of a bearer key.
// body is nil, a string or []byte sent as is (malformed bodies), or a
// value sent as JSON.
func DoHeaders(t testing.TB, method, url string, headers map[string]string, body any) Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := Response{Status: res.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}
