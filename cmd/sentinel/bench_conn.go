package main

// The measuring phase's connection. Each worker owns one keep-alive
// HTTP/1.1 connection and writes its requests onto it directly; answers
// are read with net/http's own response parser. net/http's Transport costs
// the load tool about as much CPU per request as the server spends on the
// check (two goroutines per connection, channels and a select per round
// trip), and the tool shares the machine with the server it measures, so
// every microsecond it saves is one the server can use.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// workerConn is one worker's connection to the server; it is not safe for
// concurrent use. A request that fails in transport closes it, and the
// next request dials again.
type workerConn struct {
	host string // host:port to dial
	hdr  string // the Host header
	conn net.Conn
	br   *bufio.Reader
	out  []byte // the request being written, reused
}

// newWorkerConn returns a connection to base (an http:// URL), or nil if
// base needs more than plain HTTP (TLS): the caller then uses net/http.
func newWorkerConn(base string) *workerConn {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	return &workerConn{host: host, hdr: u.Host}
}

// do sends a POST of body to path with the credentials in hdr and reads the
// answer into buf, as benchClient.doWith does.
func (w *workerConn) do(ctx context.Context, path string, hdr http.Header, body []byte, buf *bytes.Buffer) (int, error) {
	if w.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", w.host)
		if err != nil {
			return 0, err
		}
		w.conn, w.br = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = w.conn.SetDeadline(dl)
	} else {
		_ = w.conn.SetDeadline(time.Time{})
	}
	status, keep, err := w.roundTrip(path, hdr, body, buf)
	if err != nil || !keep {
		w.close()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline is the context's: the run is over,
		// though the context's own timer may not have fired yet.
		return 0, context.DeadlineExceeded
	}
	return status, err
}

func (w *workerConn) roundTrip(path string, hdr http.Header, body []byte, buf *bytes.Buffer) (status int, keep bool, err error) {
	b := w.out[:0]
	b = fmt.Appendf(b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: ", path, w.hdr)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n"...)
	for k, vs := range hdr {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	w.out = b
	if _, err := w.conn.Write(b); err != nil {
		return 0, false, err
	}
	res, err := http.ReadResponse(w.br, nil)
	if err != nil {
		return 0, false, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return 0, false, err
	}
	return res.StatusCode, !res.Close, nil
}

func (w *workerConn) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn, w.br = nil, nil
	}
}
