package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// The runner shared by both modes: stages in order, every assertion
// judged and named, the closing line.

// refusal says how a request was refused, if it was.
type refusal int

const (
	answered          refusal = iota
	refusedInvalid            // invalid argument: engine.ErrInvalidRequest, a parse error, HTTP 400 invalid_argument
	refusedTooComplex         // engine.ErrTooComplex, HTTP 422 resolution_too_complex
	broken                    // any other error: never what a test expects
)

func (r refusal) String() string {
	return [...]string{"answered", "refused as invalid", "refused as too complex", "failed"}[r]
}

// wantRefusal maps OpenFGA's error numbers: 2002 is "resolution too
// complex"; every other code in the file is a validation error.
func wantRefusal(code int) refusal {
	if code == 2002 {
		return refusedTooComplex
	}
	return refusedInvalid
}

// answer is what a driver got for one assertion.
type answer struct {
	allowed bool
	list    []string
	refusal refusal
	detail  string // the error, for a refusal
}

func refused(r refusal, format string, args ...any) answer {
	return answer{refusal: r, detail: fmt.Sprintf(format, args...)}
}

// driver runs one conformance test in one mode: one store (or service)
// per test, shared by the test's stages.
type driver interface {
	// setStage installs the stage's model and writes its tuples on top of
	// the earlier stages'. problems name tuples that could not be written;
	// err aborts the test.
	setStage(ctx context.Context, st stage) (problems []string, err error)
	check(ctx context.Context, a checkAssertion) answer
	listObjects(ctx context.Context, a listObjectsAssertion) answer
	listUsers(ctx context.Context, a listUsersAssertion) answer
}

// counts are one mode's totals.
type counts struct {
	assertions, assertionsFailed atomic.Int64
}

// runMode runs every test of the suite as a parallel subtest of t and, once
// all have finished, logs the failing tests and the closing line.
func runMode(t *testing.T, mode string, newDriver func(t *testing.T) driver) {
	s := loadSuite(t)
	passed := make([]bool, len(s.Tests))
	var n counts
	t.Cleanup(func() {
		var failed []string
		for i, ok := range passed {
			if !ok {
				failed = append(failed, s.Tests[i].Name)
			}
		}
		if len(failed) > 0 {
			t.Logf("%s mode: failing tests: %s", mode, strings.Join(failed, ", "))
		}
		t.Logf("%s mode: %d assertions, %d failed", mode, n.assertions.Load(), n.assertionsFailed.Load())
		fmt.Printf("%d passed, %d failed\n", len(passed)-len(failed), len(failed))
	})
	names := map[string]int{}
	for i, tc := range s.Tests {
		// The file repeats one test (immediate_cycle_through_computed_userset,
		// identical twice); t.Run would call the second "…#01", and '#' is
		// not allowed in the SQLite path derived from the test name.
		name := tc.Name
		if names[tc.Name]++; names[tc.Name] > 1 {
			name = fmt.Sprintf("%s_%d", tc.Name, names[tc.Name])
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A test passes when all its assertions pass.
			defer func() { passed[i] = !t.Failed() }()
			runTest(t, tc, newDriver(t), &n)
		})
	}
}

func runTest(t *testing.T, tc testCase, d driver, n *counts) {
	ctx := t.Context()
	report := func(where, msg string) {
		n.assertions.Add(1)
		if msg != "" {
			n.assertionsFailed.Add(1)
			t.Errorf("%s %s: %s", tc.Name, where, msg)
		}
	}
	for si, st := range tc.Stages {
		problems, err := d.setStage(ctx, st)
		for _, p := range problems {
			t.Errorf("%s stage %d: %s", tc.Name, si, p)
		}
		if err != nil {
			t.Errorf("%s stage %d: setup failed, so its assertions and any later stage's did not run: %v", tc.Name, si, err)
			return
		}
		for ai, a := range st.Checks {
			where := fmt.Sprintf("stage %d check[%d] %s%s", si, ai, a.Tuple, contextual(a.Contextual))
			if a.Context != nil {
				report(where, "the assertion has a context (conditions), which Sentinel does not support")
				continue
			}
			if a.Expectation == nil && a.ErrorCode == 0 {
				report(where, "the assertion has neither an expectation nor an errorCode")
				continue
			}
			got := d.check(ctx, a)
			report(where, judge(a.ErrorCode, got, func() string {
				if got.allowed != *a.Expectation {
					return fmt.Sprintf("want allowed=%v, got allowed=%v", *a.Expectation, got.allowed)
				}
				return ""
			}))
		}
		for ai, a := range st.ListObjects {
			r := a.Request
			where := fmt.Sprintf("stage %d listObjects[%d] type=%s relation=%s user=%s%s", si, ai, r.Type, r.Relation, r.User, contextual(a.Contextual))
			if a.Context != nil {
				report(where, "the assertion has a context (conditions), which Sentinel does not support")
				continue
			}
			got := d.listObjects(ctx, a)
			report(where, judge(a.ErrorCode, got, func() string { return compareSets(a.Expectation, got.list) }))
		}
		for ai, a := range st.ListUsers {
			r := a.Request
			where := fmt.Sprintf("stage %d listUsers[%d] object=%s relation=%s filters=%v%s", si, ai, r.Object, r.Relation, r.Filters, contextual(a.Contextual))
			if a.Context != nil {
				report(where, "the assertion has a context (conditions), which Sentinel does not support")
				continue
			}
			want := append(a.Expectation, r.Expectation...)
			got := d.listUsers(ctx, a)
			report(where, judge(a.ErrorCode, got, func() string { return compareSets(want, got.list) }))
		}
	}
}

func contextual(ks []tupleKey) string {
	if len(ks) == 0 {
		return ""
	}
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.String()
	}
	return " contextual=[" + strings.Join(s, " ") + "]"
}

// judge returns "" when got meets the assertion, else what is wrong.
// compare is called only for an answer that was expected.
func judge(errorCode int, got answer, compare func() string) string {
	if errorCode != 0 {
		want := wantRefusal(errorCode)
		switch {
		case got.refusal == want:
			return ""
		case got.refusal == answered:
			return fmt.Sprintf("want the request %s (errorCode %d), got an answer: %s", want, errorCode, got.describe())
		case got.refusal == broken:
			return fmt.Sprintf("want the request %s (errorCode %d), got an error: %s", want, errorCode, got.detail)
		default:
			return fmt.Sprintf("want the request %s (errorCode %d), got it %s: %s", want, errorCode, got.refusal, got.detail)
		}
	}
	if got.refusal == broken {
		return fmt.Sprintf("want an answer, got an error: %s", got.detail)
	}
	if got.refusal != answered {
		return fmt.Sprintf("want an answer, got the request %s: %s", got.refusal, got.detail)
	}
	return compare()
}

func (a answer) describe() string {
	if a.list != nil {
		return fmt.Sprint(a.list)
	}
	return fmt.Sprintf("allowed=%v", a.allowed)
}

// compareSets compares a list answer with its expectation as sets; an
// answer that repeats an element fails.
func compareSets(want, got []string) string {
	var dups []string
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			dups = append(dups, g)
		}
		seen[g] = true
	}
	if len(dups) > 0 {
		return fmt.Sprintf("the answer repeats %v: %v", dups, got)
	}
	w := slices.Compact(slices.Sorted(slices.Values(want)))
	g := slices.Sorted(slices.Values(got))
	if slices.Equal(w, g) {
		return ""
	}
	wantSet := map[string]bool{}
	for _, x := range w {
		wantSet[x] = true
	}
	var missing, extra []string
	for _, x := range w {
		if !seen[x] {
			missing = append(missing, x)
		}
	}
	for _, x := range g {
		if !wantSet[x] {
			extra = append(extra, x)
		}
	}
	var diff []string
	if len(missing) > 0 {
		diff = append(diff, fmt.Sprintf("missing %v", missing))
	}
	if len(extra) > 0 {
		diff = append(diff, fmt.Sprintf("unexpected %v", extra))
	}
	return fmt.Sprintf("want %v, got %v (%s)", w, g, strings.Join(diff, ", "))
}
