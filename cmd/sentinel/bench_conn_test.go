package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkerConn sends requests over one workerConn to a net/http server
// whose answers vary the framing (length, chunked, closing the connection):
// every answer arrives whole, the request's body and credentials arrive
// intact, and a connection the server closed is dialled again.
func TestWorkerConn(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.Header.Get("Authorization") != "Bearer k1" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request line or headers", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/echo":
			w.Write(body)
		case "/big": // over net/http's buffer: sent chunked
			w.Write(bytes.Repeat(body, 5000))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write(body)
		case "/status":
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("short and stout"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	wc := newWorkerConn(srv.URL)
	if wc == nil {
		t.Fatal("no workerConn for an http URL")
	}
	defer wc.close()
	hdr := bearer("k1")
	ctx := context.Background()
	var buf bytes.Buffer
	steps := []struct {
		path       string
		body       string
		wantStatus int
		want       string
		wantConns  int32 // connections the server has seen after the step
	}{
		{"/echo", `{"a":1}`, 200, `{"a":1}`, 1},
		{"/big", "xy", 200, strings.Repeat("xy", 5000), 1},
		{"/status", "{}", http.StatusTeapot, "short and stout", 1},
		{"/close", `{"b":2}`, 200, `{"b":2}`, 1},
		{"/echo", `{"c":3}`, 200, `{"c":3}`, 2}, // dialled again after the close
		{"/echo", `{"d":4}`, 200, `{"d":4}`, 2},
	}
	for _, s := range steps {
		status, err := wc.do(ctx, s.path, hdr, []byte(s.body), &buf)
		if err != nil {
			t.Fatalf("%s: %v", s.path, err)
		}
		if status != s.wantStatus || buf.String() != s.want {
			t.Fatalf("%s: status %d, body %.80q; want %d, %.80q", s.path, status, buf.String(), s.wantStatus, s.want)
		}
		if n := conns.Load(); n != s.wantConns {
			t.Fatalf("%s: server saw %d connections, want %d", s.path, n, s.wantConns)
		}
	}

	// The run's deadline ends a request as context.DeadlineExceeded, the
	// error drive stops a worker on without counting the request.
	dctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	if _, err := wc.do(dctx, "/echo", hdr, []byte("{}"), &buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past deadline: err %v, want context.DeadlineExceeded", err)
	}

	if newWorkerConn("https://127.0.0.1:1") != nil {
		t.Error("a workerConn for https: the load tool would send plain text to a TLS server")
	}
}
