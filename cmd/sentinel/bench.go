package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/revision"
	"github.com/sentinel-auth/sentinel/tuple"
)

// benchOptions are the flags of `sentinel bench`.
type benchOptions struct {
	url      string
	adminKey string
	key      string
	service  string
	tuples   int
	seed     uint64
	writers  int
	workers  int
	duration time.Duration
	mode     string
	skipLoad bool
}

// maxBenchDuration bounds --duration: the tool always stops by itself.
const maxBenchDuration = time.Hour

func newBench() *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load the generated benchmark dataset into a running server, then drive check and list and report latency",
		Long: `bench loads the dataset of package gen (users, nested groups, folder trees,
documents, owner/editor/viewer grants; the same tuples for the same --tuples and
--seed) into a running server on this machine through POST /v1/tuples, waits
until the last write is applied, then sends POST /v1/check (and /v1/list with
--mode list or mixed) from --workers workers for --duration and prints the
throughput, the latency percentiles, the allowed/denied split (and how many
answers differ from the generator's reference evaluator) and the errors by
status.

Without --key it creates the service with --admin-key, or, if the service
exists, issues a new key for it (the others keep working).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", "http://127.0.0.1:9003", "base URL of the server (loopback only)")
	f.StringVar(&o.adminKey, "admin-key", "", "admin credential, to create the service (or issue a key for it)")
	f.StringVar(&o.key, "key", "", "service key to use instead of creating the service")
	f.StringVar(&o.service, "service", "bench", "service name")
	f.IntVar(&o.tuples, "tuples", 100_000, "target number of tuples in the dataset")
	f.Uint64Var(&o.seed, "seed", 0, "dataset seed (0: the generator's default)")
	f.IntVar(&o.writers, "writers", 4, "concurrent requests while loading (100 tuples each)")
	f.IntVar(&o.workers, "workers", 8, "concurrent requests while measuring")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "how long to measure")
	f.StringVar(&o.mode, "mode", "check", "check, list or mixed (one list in ten requests)")
	f.BoolVar(&o.skipLoad, "skip-load", false, "do not write the model and tuples (they are loaded already)")
	return cmd
}

func (o *benchOptions) validate() error {
	switch o.mode {
	case "check", "list", "mixed":
	default:
		return fmt.Errorf("--mode %q: want check, list or mixed", o.mode)
	}
	if o.workers < 1 || o.workers > 1024 {
		return fmt.Errorf("--workers %d: want 1 to 1024", o.workers)
	}
	if o.writers < 1 || o.writers > 64 {
		return fmt.Errorf("--writers %d: want 1 to 64", o.writers)
	}
	if o.duration <= 0 || o.duration > maxBenchDuration {
		return fmt.Errorf("--duration %s: want more than 0 and at most %s", o.duration, maxBenchDuration)
	}
	if o.key == "" && o.adminKey == "" {
		return errors.New("give --key (a service key), or --admin-key to create the service")
	}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://host:port", o.url)
	}
	if !loopback(u.Hostname()) {
		return fmt.Errorf("--url %q: sentinel bench only drives a server on this machine (localhost, 127.0.0.1, ::1)", o.url)
	}
	o.url = strings.TrimRight(o.url, "/")
	return nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// benchClient sends JSON requests to one server with one credential.
type benchClient struct {
	http *http.Client
	base string
	key  string
}

func newBenchClient(base string, conns int) *benchClient {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &benchClient{http: &http.Client{Transport: tr, Timeout: time.Minute}, base: base}
}

// do sends body (bytes, or a value to marshal) and reads the answer into
// buf; status 0 means the request failed in transport.
func (c *benchClient) do(ctx context.Context, method, path, key string, body any, buf *bytes.Buffer) (int, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// call is do for the setup requests: it fails unless the status is want.
func (c *benchClient) call(ctx context.Context, method, path, key string, body any, want int, out any) error {
	var buf bytes.Buffer
	status, err := c.do(ctx, method, path, key, body, &buf)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status != want {
		return &statusError{method: method, path: path, status: status, body: strings.TrimSpace(buf.String())}
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, buf.String(), err)
		}
	}
	return nil
}

type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %.300s", e.method, e.path, e.status, e.body)
}

func runBench(ctx context.Context, o *benchOptions, out, progress io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	d, err := gen.Build(gen.Config{Tuples: o.tuples, Seed: o.seed})
	if err != nil {
		return err
	}
	c := newBenchClient(o.url, max(o.workers, o.writers)+1)
	fmt.Fprintf(out, "sentinel bench: %s, service %q, dataset of %d tuples (target %d)\n", o.url, o.service, d.Len(), o.tuples)

	key := o.key
	if key == "" {
		if key, err = serviceKey(ctx, c, o, out); err != nil {
			return err
		}
	}
	checks := d.SampleChecks(4096)
	var rev string
	if !o.skipLoad {
		if rev, err = loadDataset(ctx, c, key, d, o.writers, out, progress); err != nil {
			return err
		}
	}
	if err := waitApplied(ctx, c, key, checks[0], rev, out); err != nil {
		return err
	}
	return drive(ctx, c, key, o, d, checks, out)
}

// serviceKey creates the service, or issues a new key for it if it exists.
func serviceKey(ctx context.Context, c *benchClient, o *benchOptions, out io.Writer) (string, error) {
	var issued struct {
		Key struct {
			ID string `json:"id"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	err := c.call(ctx, "POST", "/v1/admin/services", o.adminKey, map[string]string{"name": o.service}, http.StatusCreated, &issued)
	var se *statusError
	switch {
	case err == nil:
		fmt.Fprintf(out, "created service %q\n", o.service)
	case errors.As(err, &se) && se.status == http.StatusConflict:
		if err := c.call(ctx, "POST", "/v1/admin/services/"+url.PathEscape(o.service)+"/keys", o.adminKey, map[string]string{}, http.StatusCreated, &issued); err != nil {
			return "", err
		}
		fmt.Fprintf(out, "service %q exists: issued key %s for this run\n", o.service, issued.Key.ID)
	default:
		return "", err
	}
	return issued.Secret, nil
}

// loadDataset writes gen.Model and every tuple of d, 100 a request from
// writers concurrent requests, and returns the highest revision written.
func loadDataset(ctx context.Context, c *benchClient, key string, d *gen.Dataset, writers int, out, progress io.Writer) (string, error) {
	var m struct {
		Version int `json:"version"`
	}
	if err := c.call(ctx, "PUT", "/v1/model", key, map[string]string{"dsl": gen.Model}, http.StatusCreated, &m); err != nil {
		return "", err
	}
	fmt.Fprintf(out, "model: version %d\n", m.Version)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []tuple.Key, writers)
	go func() {
		defer close(batches)
		batch := make([]tuple.Key, 0, 100)
		_ = d.Each(func(t tuple.Tuple) error {
			batch = append(batch, t.Key())
			if len(batch) == cap(batch) {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = make([]tuple.Key, 0, 100)
			}
			return nil
		})
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-ctx.Done():
			}
		}
	}()

	tty := isTerminal(progress)
	bar := progressbar.NewOptions64(int64(d.Len()),
		progressbar.OptionSetVisibility(tty),
		progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription("loading"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("tuples"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() {
			if tty {
				fmt.Fprintln(progress)
			}
		}),
	)
	start := time.Now()
	var (
		mu      sync.Mutex
		maxRev  uint64
		written int
		loadErr error
		wg      sync.WaitGroup
	)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range batches {
				rev, err := writeBatch(ctx, c, key, batch)
				mu.Lock()
				if err != nil && loadErr == nil {
					loadErr = err
					cancel()
				}
				maxRev = max(maxRev, rev)
				mu.Unlock()
				if err != nil {
					return
				}
				_ = bar.Add(len(batch))
				if !tty { // a log, not a terminal: a line every 10%
					mu.Lock()
					before := written * 10 / d.Len()
					written += len(batch)
					if after := written * 10 / d.Len(); after > before {
						fmt.Fprintf(progress, "loading: %d of %d tuples (%d%%) after %s\n", written, d.Len(), 100*written/d.Len(), time.Since(start).Round(time.Second))
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if loadErr != nil {
		return "", fmt.Errorf("load: %w", loadErr)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	_ = bar.Finish()
	took := time.Since(start)
	fmt.Fprintf(out, "loaded %d tuples in %s (%.0f tuples/s), last revision %s\n",
		d.Len(), took.Round(time.Millisecond), float64(d.Len())/took.Seconds(), revision.Encode(maxRev))
	return revision.Encode(maxRev), nil
}

// writeBatch writes one batch (duplicates ignored, so a rerun is
// harmless), retrying transport errors and 5xx a few times.
func writeBatch(ctx context.Context, c *benchClient, key string, batch []tuple.Key) (uint64, error) {
	body := map[string]any{"writes": batch, "on_duplicate": "ignore"}
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		var res struct {
			Revision string `json:"revision"`
		}
		err = c.call(ctx, "POST", "/v1/tuples", key, body, http.StatusOK, &res)
		var se *statusError
		if err == nil {
			return revision.Decode(res.Revision)
		}
		if ctx.Err() != nil || (errors.As(err, &se) && se.status < 500) {
			return 0, err
		}
	}
	return 0, err
}

// waitApplied checks until the server answers at revision rev (at the
// latest revision when rev is empty, after --skip-load).
func waitApplied(ctx context.Context, c *benchClient, key string, probe gen.Check, rev string, out io.Writer) error {
	body := map[string]any{"object": probe.Object.String(), "relation": probe.Relation, "user": probe.User.String()}
	if rev != "" {
		body["consistency"] = map[string]string{"at_least": rev}
	} else {
		body["consistency"] = map[string]bool{"fully_consistent": true}
	}
	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	for {
		err := c.call(ctx, "POST", "/v1/check", key, body, http.StatusOK, nil)
		if err == nil {
			fmt.Fprintf(out, "applied: the server answers at the last revision after %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		}
		var se *statusError
		if !errors.As(err, &se) || se.status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return fmt.Errorf("wait for the data to be applied: %w", err)
		}
	}
}

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
