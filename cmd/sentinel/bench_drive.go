package main

// Driving the measured requests and reporting them. The driver is the
// same for every mode: a plan says which requests to send, how each one
// authenticates and how its answer is judged; the report has a section
// per kind of request.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sentinel-auth/sentinel/gen"
)

// request is one prepared request of the measuring phase.
type request struct {
	kind   int // index into the plan's kinds
	path   string
	body   []byte
	header func() http.Header // the credentials; called per request, so tokens may be renewed
	// judge reads a 200 answer into the kind's tally; an error counts the
	// request as a "bad answer" instead.
	judge func(answer []byte, k *kindTally) error
}

// kind is a class of requests with its own section in the report.
type kind struct {
	label string
	// checksPer > 0 makes the section report the allowed/denied split of
	// that many checks per request (and checks/s when more than one).
	checksPer int
	// items, if set, reports the mean of kindTally.items per answer,
	// followed by this text.
	items string
	// reference names what the answers are compared with ("differ").
	reference string
}

// plan is what drive sends: pick(i) is the i-th request.
type plan struct {
	kinds []kind
	pick  func(i uint64) *request
}

// kindTally is what one worker measured for one kind.
type kindTally struct {
	lat             []time.Duration
	allowed, denied int // checks, for kinds with checksPer
	wrong           int // checks (or answers) that differ from the reference
	items           int // e.g. objects returned by lists
}

// count records one check's answer against the expected one.
func (k *kindTally) count(allowed, want bool) {
	if allowed {
		k.allowed++
	} else {
		k.denied++
	}
	if allowed != want {
		k.wrong++
	}
}

// tally is what one worker measured.
type tally struct {
	kinds      []kindTally
	errors     map[string]int
	firstError map[string]string
}

func (t *tally) fail(status, msg string) {
	if t.errors == nil {
		t.errors, t.firstError = map[string]int{}, map[string]string{}
	}
	t.errors[status]++
	if _, ok := t.firstError[status]; !ok {
		t.firstError[status] = msg
	}
}

// nativePlan is the plan of modes check, list and mixed: the sample
// checks, and lists (viewer and editor documents) of the sample users and
// the heavy user; in mixed mode one request in ten is a list.
func nativePlan(d *gen.Dataset, checks []gen.Check, mode, key string) plan {
	auth := bearer(key)
	header := func() http.Header { return auth }
	var p plan
	var cs, ls []request
	if mode != "list" {
		p.kinds = append(p.kinds, kind{label: "check", checksPer: 1, reference: "the generator's answer"})
		for _, c := range checks {
			body, _ := json.Marshal(c.Key())
			want := c.Allowed
			cs = append(cs, request{kind: len(p.kinds) - 1, path: "/v1/check", body: body, header: header,
				judge: func(b []byte, k *kindTally) error {
					var res struct {
						Allowed bool `json:"allowed"`
					}
					if err := json.Unmarshal(b, &res); err != nil {
						return err
					}
					k.count(res.Allowed, want)
					return nil
				}})
		}
	}
	if mode != "check" {
		p.kinds = append(p.kinds, kind{label: "list", items: "objects per answer (first page, up to 100)"})
		users := []string{d.HeavyUser().User.String()}
		for _, c := range checks {
			if u := c.User.String(); !slices.Contains(users, u) && len(users) < 256 {
				users = append(users, u)
			}
		}
		for i, u := range users {
			rel := "viewer"
			if i%2 == 1 {
				rel = "editor"
			}
			body, _ := json.Marshal(map[string]any{"user": u, "relation": rel, "type": "doc", "page_size": 100})
			ls = append(ls, request{kind: len(p.kinds) - 1, path: "/v1/list", body: body, header: header,
				judge: func(b []byte, k *kindTally) error {
					var res struct {
						Objects []string `json:"objects"`
					}
					if err := json.Unmarshal(b, &res); err != nil {
						return err
					}
					k.items += len(res.Objects)
					return nil
				}})
		}
	}
	p.pick = func(i uint64) *request {
		switch {
		case len(ls) == 0:
			return &cs[i%uint64(len(cs))]
		case len(cs) == 0:
			return &ls[i%uint64(len(ls))]
		case i%10 == 9:
			return &ls[(i/10)%uint64(len(ls))]
		}
		return &cs[i%uint64(len(cs))]
	}
	return p
}

// drive sends the plan's requests from o.workers workers for o.duration
// and prints the report.
func drive(ctx context.Context, c *benchClient, o *benchOptions, p plan, out io.Writer) error {
	fmt.Fprintf(out, "driving mode %s: %d workers for %s\n", o.mode, o.workers, o.duration)
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var next atomic.Uint64
	tallies := make([]*tally, o.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range o.workers {
		t := &tally{kinds: make([]kindTally, len(p.kinds))}
		for i := range t.kinds {
			t.kinds[i].lat = make([]time.Duration, 0, 1<<14/len(p.kinds))
		}
		tallies[w] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			send := func(r *request) (int, error) { return c.doWith(ctx, "POST", r.path, r.header(), r.body, &buf) }
			if wc := newWorkerConn(c.base); wc != nil {
				defer wc.close()
				send = func(r *request) (int, error) { return wc.do(ctx, r.path, r.header(), r.body, &buf) }
			}
			for ctx.Err() == nil {
				r := p.pick(next.Add(1) - 1)
				t0 := time.Now()
				status, err := send(r)
				lat := time.Since(t0)
				if err != nil {
					if errors.Is(err, context.DeadlineExceeded) {
						break // the run's deadline: the request is not counted
					}
					if ctx.Err() == nil {
						t.fail("transport", err.Error())
					}
					continue // a request cut by the deadline is not counted
				}
				if status != http.StatusOK {
					t.fail(fmt.Sprint(status), strings.TrimSpace(buf.String()))
					continue
				}
				k := &t.kinds[r.kind]
				if err := r.judge(buf.Bytes(), k); err != nil {
					t.fail("bad answer", err.Error())
					continue
				}
				k.lat = append(k.lat, lat)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err // interrupted
	}
	return report(out, p.kinds, tallies, elapsed)
}

func report(out io.Writer, kinds []kind, tallies []*tally, elapsed time.Duration) error {
	all := tally{kinds: make([]kindTally, len(kinds))}
	for _, t := range tallies {
		for i, k := range t.kinds {
			a := &all.kinds[i]
			a.lat = append(a.lat, k.lat...)
			a.allowed += k.allowed
			a.denied += k.denied
			a.wrong += k.wrong
			a.items += k.items
		}
		for s, n := range t.errors {
			all.fail(s, t.firstError[s])
			all.errors[s] += n - 1
		}
	}
	width := len("total") + 2
	for _, k := range kinds {
		width = max(width, len(k.label)+2)
	}
	indent := strings.Repeat(" ", width)
	secs := elapsed.Seconds()
	fmt.Fprintf(out, "\nresults over %s:\n", elapsed.Round(time.Millisecond))
	ok := 0
	for i, k := range kinds {
		a := &all.kinds[i]
		n := len(a.lat)
		ok += n
		fmt.Fprintf(out, "%-*s%d requests, throughput %.1f req/s", width, k.label, n, float64(n)/secs)
		if k.checksPer > 1 {
			fmt.Fprintf(out, " (%.0f checks/s)", float64(n*k.checksPer)/secs)
		}
		fmt.Fprintf(out, "\n%slatency %s\n", indent, percentiles(a.lat))
		if k.checksPer > 0 {
			checks := a.allowed + a.denied
			fmt.Fprintf(out, "%sallowed %d (%.1f%%), denied %d (%.1f%%); %d differ from %s\n",
				indent, a.allowed, pct(a.allowed, checks), a.denied, pct(a.denied, checks), a.wrong, k.reference)
		}
		if k.items != "" {
			avg := 0.0
			if n > 0 {
				avg = float64(a.items) / float64(n)
			}
			fmt.Fprintf(out, "%s%.1f %s", indent, avg, k.items)
			if k.checksPer == 0 && k.reference != "" {
				fmt.Fprintf(out, "; %d answers differ from %s", a.wrong, k.reference)
			}
			fmt.Fprintln(out)
		}
	}
	failed := 0
	for _, n := range all.errors {
		failed += n
	}
	fmt.Fprintf(out, "%-*s%d requests, throughput %.1f req/s, %d errors\n", width, "total", ok+failed, float64(ok+failed)/secs, failed)
	statuses := make([]string, 0, len(all.errors))
	for s := range all.errors {
		statuses = append(statuses, s)
	}
	sort.Strings(statuses)
	for _, s := range statuses {
		fmt.Fprintf(out, "%serror %s: %d (first: %.200s)\n", indent, s, all.errors[s], all.firstError[s])
	}
	if ok == 0 {
		return errors.New("no request succeeded")
	}
	return nil
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// percentiles formats p50, p90, p99 and max of lat (sorting it).
func percentiles(lat []time.Duration) string {
	if len(lat) == 0 {
		return "p50 - p90 - p99 - max -"
	}
	slices.Sort(lat)
	at := func(p int) time.Duration { return lat[min(len(lat)-1, len(lat)*p/100)] }
	f := func(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", f(at(50)), f(at(90)), f(at(99)), f(lat[len(lat)-1]))
}
