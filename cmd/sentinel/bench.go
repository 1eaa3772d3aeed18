package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-auth/sentinel/gen"
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

	// The modes of the original's ACL routes (bench_acl*.go).
	resources   int
	workspaces  int
	members     int
	idpTokenURL string
	provider    string
}

// aclMode reports whether the mode drives the original's /permissions
// routes (bench_acl*.go) rather than the native API.
func (o *benchOptions) aclMode() bool {
	return o.mode == "permissions-check" || o.mode == "accessible"
}

// maxBenchDuration bounds --duration: the tool always stops by itself.
const maxBenchDuration = time.Hour

func newBench() *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a benchmark dataset into a running server, then drive it and report latency",
		Long: `bench loads the dataset of package gen (users, nested groups, folder trees,
documents, owner/editor/viewer grants; the same tuples for the same --tuples and
--seed) into a running server on this machine through POST /v1/tuples, waits
until the last write is applied, then sends POST /v1/check (and /v1/list with
--mode list or mixed) from --workers workers for --duration and prints the
throughput, the latency percentiles, the allowed/denied split (and how many
answers differ from the generator's reference evaluator) and the errors by
status.

Without --key it creates the service with --admin-key, or, if the service
exists, issues a new key for it (the others keep working).

--mode permissions-check and --mode accessible drive the original's
POST /permissions/check (100 checks a request) and /permissions/accessible
instead. They need --admin-key and an OpenID provider that hands out ID tokens
(--idp-token-url, e.g. examples/devidp's /dev/token with --any-user), which the
server knows as --provider: the tool signs --workspaces x --members users in
through POST /v1/authz/token, creates their workspaces (POST /workspaces),
adds the members (admin CSV import) and nested groups, registers --resources
resources (POST /permissions/register, one a request) with shares, then
measures with the users' authz tokens and compares every answer with the
original's rules evaluated on the dataset.`,
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
	f.StringVar(&o.mode, "mode", "check", "check, list or mixed (one list in ten requests); permissions-check or accessible (the original's ACL routes)")
	f.BoolVar(&o.skipLoad, "skip-load", false, "do not write the model and tuples, or register the resources (they are loaded already)")
	f.IntVar(&o.resources, "resources", 100_000, "ACL modes: registered resources")
	f.IntVar(&o.workspaces, "workspaces", 100, "ACL modes: workspaces (the resources are spread over them)")
	f.IntVar(&o.members, "members", 10, "ACL modes: members per workspace (an owner, an admin, two editors, viewers)")
	f.StringVar(&o.idpTokenURL, "idp-token-url", "http://127.0.0.1:9009/dev/token", "ACL modes: GET <url>?sub=SUBJECT answers an ID token of that user (loopback only)")
	f.StringVar(&o.provider, "provider", "devidp", "ACL modes: the server's name for that identity provider")
	return cmd
}

func (o *benchOptions) validate() error {
	switch o.mode {
	case "check", "list", "mixed", "permissions-check", "accessible":
	default:
		return fmt.Errorf("--mode %q: want check, list, mixed, permissions-check or accessible", o.mode)
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
	if o.aclMode() {
		return o.validateACL()
	}
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

func runBench(ctx context.Context, o *benchOptions, out, progress io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.aclMode() {
		return runACLBench(ctx, o, out, progress)
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
	return drive(ctx, c, o, nativePlan(d, checks, o.mode, key), out)
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
