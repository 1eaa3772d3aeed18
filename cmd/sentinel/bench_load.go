package main

// Loading the dataset into the server.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/sentinel-auth/sentinel/gen"
	"github.com/sentinel-auth/sentinel/revision"
	"github.com/sentinel-auth/sentinel/tuple"
)

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

	bar := newLoadProgress(progress, d.Len(), "tuples")
	start := time.Now()
	var (
		mu      sync.Mutex
		maxRev  uint64
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
				bar.add(len(batch))
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
	bar.finish()
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
