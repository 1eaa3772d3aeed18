package main

// Driving the measured requests and reporting them.

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
	list    bool
	body    []byte
	allowed bool // the generator's answer, for checks
}

// tally is what one worker measured.
type tally struct {
	checkLat, listLat []time.Duration
	allowed, denied   int
	wrong             int // checks whose answer differs from the generator's
	objects           int // objects returned by lists
	errors            map[string]int
	firstError        map[string]string
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

// prepare encodes the requests the workers cycle through: the sample
// checks, and lists (viewer and editor documents) of the sample users and
// the heavy user.
func prepare(d *gen.Dataset, checks []gen.Check, mode string) ([]request, []request) {
	var cs, ls []request
	for _, c := range checks {
		body, _ := json.Marshal(c.Key())
		cs = append(cs, request{body: body, allowed: c.Allowed})
	}
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
		ls = append(ls, request{list: true, body: body})
	}
	switch mode {
	case "check":
		ls = nil
	case "list":
		cs = nil
	}
	return cs, ls
}

// drive sends requests from o.workers workers for o.duration and prints
// the report.
func drive(ctx context.Context, c *benchClient, key string, o *benchOptions, d *gen.Dataset, checks []gen.Check, out io.Writer) error {
	cs, ls := prepare(d, checks, o.mode)
	fmt.Fprintf(out, "driving mode %s: %d workers for %s\n", o.mode, o.workers, o.duration)
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var next atomic.Uint64
	tallies := make([]*tally, o.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range o.workers {
		t := &tally{checkLat: make([]time.Duration, 0, 1<<14)}
		tallies[w] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				var r *request
				switch {
				case len(ls) == 0:
					r = &cs[i%uint64(len(cs))]
				case len(cs) == 0:
					r = &ls[i%uint64(len(ls))]
				case i%10 == 9:
					r = &ls[(i/10)%uint64(len(ls))]
				default:
					r = &cs[i%uint64(len(cs))]
				}
				path := "/v1/check"
				if r.list {
					path = "/v1/list"
				}
				t0 := time.Now()
				status, err := c.do(ctx, "POST", path, key, r.body, &buf)
				lat := time.Since(t0)
				if err != nil {
					if ctx.Err() == nil {
						t.fail("transport", err.Error())
					}
					continue // a request cut by the deadline is not counted
				}
				if status != http.StatusOK {
					t.fail(fmt.Sprint(status), strings.TrimSpace(buf.String()))
					continue
				}
				if r.list {
					var res struct {
						Objects []string `json:"objects"`
					}
					if err := json.Unmarshal(buf.Bytes(), &res); err != nil {
						t.fail("bad answer", err.Error())
						continue
					}
					t.listLat = append(t.listLat, lat)
					t.objects += len(res.Objects)
					continue
				}
				var res struct {
					Allowed bool `json:"allowed"`
				}
				if err := json.Unmarshal(buf.Bytes(), &res); err != nil {
					t.fail("bad answer", err.Error())
					continue
				}
				t.checkLat = append(t.checkLat, lat)
				if res.Allowed {
					t.allowed++
				} else {
					t.denied++
				}
				if res.Allowed != r.allowed {
					t.wrong++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err // interrupted
	}
	return report(out, tallies, elapsed, len(ls) > 0, len(cs) > 0)
}

func report(out io.Writer, tallies []*tally, elapsed time.Duration, lists, checks bool) error {
	var all tally
	for _, t := range tallies {
		all.checkLat = append(all.checkLat, t.checkLat...)
		all.listLat = append(all.listLat, t.listLat...)
		all.allowed += t.allowed
		all.denied += t.denied
		all.wrong += t.wrong
		all.objects += t.objects
		for s, n := range t.errors {
			all.fail(s, t.firstError[s])
			all.errors[s] += n - 1
		}
	}
	secs := elapsed.Seconds()
	fmt.Fprintf(out, "\nresults over %s:\n", elapsed.Round(time.Millisecond))
	if checks {
		n := len(all.checkLat)
		fmt.Fprintf(out, "check  %d requests, throughput %.1f req/s\n", n, float64(n)/secs)
		fmt.Fprintf(out, "       latency %s\n", percentiles(all.checkLat))
		fmt.Fprintf(out, "       allowed %d (%.1f%%), denied %d (%.1f%%); %d differ from the generator's answer\n",
			all.allowed, pct(all.allowed, n), all.denied, pct(all.denied, n), all.wrong)
	}
	if lists {
		n := len(all.listLat)
		fmt.Fprintf(out, "list   %d requests, throughput %.1f req/s\n", n, float64(n)/secs)
		fmt.Fprintf(out, "       latency %s\n", percentiles(all.listLat))
		avg := 0.0
		if n > 0 {
			avg = float64(all.objects) / float64(n)
		}
		fmt.Fprintf(out, "       %.1f objects per answer (first page, up to 100)\n", avg)
	}
	ok := len(all.checkLat) + len(all.listLat)
	failed := 0
	for _, n := range all.errors {
		failed += n
	}
	fmt.Fprintf(out, "total  %d requests, throughput %.1f req/s, %d errors\n", ok+failed, float64(ok+failed)/secs, failed)
	statuses := make([]string, 0, len(all.errors))
	for s := range all.errors {
		statuses = append(statuses, s)
	}
	sort.Strings(statuses)
	for _, s := range statuses {
		fmt.Fprintf(out, "       error %s: %d (first: %.200s)\n", s, all.errors[s], all.firstError[s])
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
