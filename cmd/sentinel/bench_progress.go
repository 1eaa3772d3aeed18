package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// loadProgress shows how far a load is: a progress bar on a terminal, a
// line every 10% in a log. Safe for concurrent use.
type loadProgress struct {
	bar   *progressbar.ProgressBar
	tty   bool
	w     io.Writer
	total int
	unit  string
	start time.Time

	mu   sync.Mutex
	done int
}

// newLoadProgress starts showing a load of total units (e.g. "tuples").
func newLoadProgress(w io.Writer, total int, unit string) *loadProgress {
	tty := isTerminal(w)
	bar := progressbar.NewOptions64(int64(total),
		progressbar.OptionSetVisibility(tty),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("loading"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() {
			if tty {
				fmt.Fprintln(w)
			}
		}),
	)
	return &loadProgress{bar: bar, tty: tty, w: w, total: max(total, 1), unit: unit, start: time.Now()}
}

// add records n more units done.
func (p *loadProgress) add(n int) {
	_ = p.bar.Add(n)
	if p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.done * 10 / p.total
	p.done += n
	if after := p.done * 10 / p.total; after > before {
		fmt.Fprintf(p.w, "loading: %d of %d %s (%d%%) after %s\n", p.done, p.total, p.unit, 100*p.done/p.total, time.Since(p.start).Round(time.Second))
	}
}

// finish completes the bar.
func (p *loadProgress) finish() { _ = p.bar.Finish() }
