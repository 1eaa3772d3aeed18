// Package datasync keeps the engine's in-memory store in step with the
// store's changelog.
//
// At start it loads a consistent snapshot (every tuple and current model at
// one revision); then it tails the changelog from that revision, applying
// rows strictly in revision order, a batch per engine transaction. It is
// woken by the store's notifications (Postgres LISTEN/NOTIFY), by local
// writes (Poke), and by a polling timer, which is the fallback on Postgres
// and the only path on SQLite. On an error it backs off and retries from the
// last applied revision, so a row is never skipped, reordered or applied twice.
package datasync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// Source is the part of the store that datasync reads.
type Source interface {
	LoadSnapshot(ctx context.Context, fn func(serviceID string, t tuple.Tuple) error) (store.Snapshot, error)
	Changes(ctx context.Context, serviceID string, after uint64, limit int) ([]store.Change, error)
	HeadRevision(ctx context.Context) (uint64, error)
	ModelByID(ctx context.Context, serviceID, modelID string) (store.Model, error)
	// ServiceByID tells whether a service whose keys changed still exists
	// (ErrNotFound once it was deleted).
	ServiceByID(ctx context.Context, id string) (store.Service, error)
	Notifications(ctx context.Context) <-chan struct{}
}

// Options tune a Syncer; zero values take the defaults.
type Options struct {
	// PollInterval is how often the changelog is polled without a wake-up
	// (default 1s with notifications, 100ms without).
	PollInterval time.Duration
	// BatchSize is the most changelog rows applied in one engine
	// transaction (default 1000).
	BatchSize int
	// OnKeyChange is called, after the batch is applied, with the service
	// of every key change (so caches of service keys can be dropped).
	OnKeyChange func(serviceID string)
	// OnUserChange is called, after the batch is applied, once per user
	// with OpUser changes in it (so what is cached about the user, such
	// as its active flag, can be dropped).
	OnUserChange func(userID string)
	Logger       *slog.Logger
}

// Syncer applies the changelog to an engine.
type Syncer struct {
	src  Source
	eng  *engine.Engine
	opts Options
	log  *slog.Logger

	poke      chan struct{}
	applied   atomic.Uint64
	rows      atomic.Uint64 // changelog rows applied since the initial load
	modelErrs sync.Map      // service id → error of its current model

	mu      sync.Mutex
	advance chan struct{} // closed and replaced whenever applied advances
}

// New returns a Syncer; call Start to load and begin tailing.
func New(src Source, eng *engine.Engine, opts Options) *Syncer {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Syncer{
		src:     src,
		eng:     eng,
		opts:    opts,
		log:     opts.Logger.With("component", "datasync"),
		poke:    make(chan struct{}, 1),
		advance: make(chan struct{}),
	}
}

// LoadStats describes the initial load.
type LoadStats struct {
	Revision uint64
	Tuples   int
	Models   int
	Duration time.Duration
}

// Start loads the snapshot into the engine (blocking), then tails the
// changelog in the background until ctx ends.
func (s *Syncer) Start(ctx context.Context) (LoadStats, error) {
	began := time.Now()
	loader := engine.NewLoader()
	snap, err := s.src.LoadSnapshot(ctx, func(serviceID string, t tuple.Tuple) error {
		loader.Add(serviceID, t)
		return nil
	})
	if err != nil {
		return LoadStats{}, fmt.Errorf("load snapshot: %w", err)
	}
	stats := LoadStats{Revision: snap.Revision, Tuples: loader.Len(), Models: len(snap.Models)}
	if err := s.eng.Replace(ctx, loader); err != nil {
		return LoadStats{}, err
	}
	for serviceID, m := range snap.Models {
		s.setModel(serviceID, m)
	}
	s.setApplied(snap.Revision)
	stats.Duration = time.Since(began)
	s.log.Info("initial load done", "revision", stats.Revision, "tuples", stats.Tuples,
		"models", stats.Models, "duration", stats.Duration)
	go s.run(ctx)
	return stats, nil
}

// Applied is the newest revision the engine reflects.
func (s *Syncer) Applied() uint64 { return s.applied.Load() }

// AppliedRows counts the changelog rows applied since the initial load;
// with the load revision it shows that no row was skipped or applied twice.
func (s *Syncer) AppliedRows() uint64 { return s.rows.Load() }

// Poke asks for an immediate catch-up (after a local write).
func (s *Syncer) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// WaitFor blocks until revision rev is applied or ctx ends.
func (s *Syncer) WaitFor(ctx context.Context, rev uint64) error {
	for {
		s.mu.Lock()
		ch := s.advance
		s.mu.Unlock()
		if s.applied.Load() >= rev {
			return nil
		}
		s.Poke()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for revision %d (applied %d): %w", rev, s.applied.Load(), ctx.Err())
		}
	}
}

// Lag reports the applied revision and how far behind the store's head it
// is; it asks the store for the head.
func (s *Syncer) Lag(ctx context.Context) (applied, head uint64, err error) {
	head, err = s.src.HeadRevision(ctx)
	if err != nil {
		return s.applied.Load(), 0, fmt.Errorf("read head revision: %w", err)
	}
	return s.applied.Load(), head, nil
}

// ModelErrors returns the services whose current model could not be loaded.
func (s *Syncer) ModelErrors() map[string]error {
	out := map[string]error{}
	s.modelErrs.Range(func(k, v any) bool {
		out[k.(string)] = v.(error)
		return true
	})
	return out
}

func (s *Syncer) setApplied(rev uint64) {
	s.applied.Store(rev)
	s.mu.Lock()
	close(s.advance)
	s.advance = make(chan struct{})
	s.mu.Unlock()
}

func (s *Syncer) setModel(serviceID string, m store.Model) {
	parsed, err := model.ParseJSON([]byte(m.JSON))
	if err != nil {
		s.modelErrs.Store(serviceID, fmt.Errorf("model %s: %w", m.ID, err))
		s.log.Error("current model does not load", "service", serviceID, "model", m.ID, "err", err)
		return
	}
	if err := s.eng.SetModel(serviceID, parsed, engine.ModelOptions{Directory: m.Directory}); err != nil {
		s.modelErrs.Store(serviceID, fmt.Errorf("model %s: %w", m.ID, err))
		s.log.Error("current model does not compile", "service", serviceID, "model", m.ID, "err", err)
		return
	}
	s.modelErrs.Delete(serviceID)
}

func (s *Syncer) run(ctx context.Context) {
	notes := s.src.Notifications(ctx)
	interval := s.opts.PollInterval
	if interval <= 0 {
		interval = 100 * time.Millisecond
		if notes != nil {
			interval = time.Second
		}
	}
	timer := time.NewTimer(interval)
	defer timer.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-notes:
		case <-timer.C:
		}
		if err := s.catchUp(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, 50*time.Millisecond), 5*time.Second)
			s.log.Warn("changelog catch-up failed; retrying", "err", err,
				"applied", s.applied.Load(), "backoff", backoff)
			timer.Reset(backoff)
			continue
		}
		backoff = 0
		timer.Reset(interval)
	}
}

// catchUp applies every changelog row newer than the applied revision.
func (s *Syncer) catchUp(ctx context.Context) error {
	for {
		after := s.applied.Load()
		rows, err := s.src.Changes(ctx, "", after, s.opts.BatchSize)
		if err != nil {
			return fmt.Errorf("read changes after %d: %w", after, err)
		}
		if len(rows) == 0 {
			return nil
		}
		if err := s.apply(ctx, after, rows); err != nil {
			return err
		}
		if len(rows) < s.opts.BatchSize {
			return nil
		}
	}
}

var errOrder = errors.New("changelog out of order")

func (s *Syncer) apply(ctx context.Context, after uint64, rows []store.Change) error {
	muts := make([]engine.Mutation, 0, len(rows))
	// models are the batch's model changes, each with the number of tuple
	// changes before it (see below) and, once read, the model.
	type modelChange struct {
		c   store.Change
		cut int
		m   store.Model
	}
	var models []modelChange
	keys := map[string]bool{}
	var users []string // in first-change order, each once
	seenUser := map[string]bool{}
	prev := after
	for _, c := range rows {
		if c.Revision <= prev {
			return fmt.Errorf("%w: revision %d after %d", errOrder, c.Revision, prev)
		}
		prev = c.Revision
		switch c.Op {
		case store.OpWrite, store.OpDelete:
			muts = append(muts, engine.Mutation{ServiceID: c.ServiceID, Delete: c.Op == store.OpDelete, Tuple: c.Tuple})
		case store.OpModel:
			models = append(models, modelChange{c: c, cut: len(muts)})
		case store.OpKey:
			keys[c.ServiceID] = true
		case store.OpUser:
			if !seenUser[c.UserID] {
				seenUser[c.UserID] = true
				users = append(users, c.UserID)
			}
		}
	}
	// Models are fetched before anything is applied, so a failed read
	// leaves the batch to be retried whole.
	loaded := make([]modelChange, 0, len(models))
	for _, mc := range models {
		c := mc.c
		m, err := s.src.ModelByID(ctx, c.ServiceID, c.ModelID)
		if errors.Is(err, store.ErrNotFound) {
			// The service was deleted since (store DeleteService takes
			// its models with it, and the deletions of its tuples
			// follow in the log): there is nothing left to load.
			continue
		}
		if err != nil {
			return fmt.Errorf("read model %s of revision %d: %w", c.ModelID, c.Revision, err)
		}
		mc.m = m
		loaded = append(loaded, mc)
	}
	// A deleted service's last change is the revocation of its keys: look
	// each such service up before applying, like the models, then forget
	// the compiled model of one that is gone.
	var gone []string
	for serviceID := range keys {
		if _, err := s.src.ServiceByID(ctx, serviceID); errors.Is(err, store.ErrNotFound) {
			gone = append(gone, serviceID)
		} else if err != nil {
			return fmt.Errorf("look up service %s after a key change: %w", serviceID, err)
		}
	}
	// Tuples and models are applied in changelog order: each model after
	// the tuple changes before it and before those after it. Each step is
	// atomic, so a check sees a prefix of the batch, never a tuple with a
	// model it was not written under: a service that opts out of the
	// directory and then writes a group tuple of its own must not have
	// that tuple removed with the directory's (engine/directory.go).
	at := 0
	for _, mc := range loaded {
		if err := s.eng.Apply(ctx, muts[at:mc.cut]); err != nil {
			return err
		}
		s.setModel(mc.m.ServiceID, mc.m)
		at = mc.cut
	}
	if err := s.eng.Apply(ctx, muts[at:]); err != nil {
		return err
	}
	for _, serviceID := range gone {
		s.eng.DropModel(serviceID)
		s.modelErrs.Delete(serviceID)
	}
	if s.opts.OnKeyChange != nil {
		for serviceID := range keys {
			s.opts.OnKeyChange(serviceID)
		}
	}
	if s.opts.OnUserChange != nil {
		for _, userID := range users {
			s.opts.OnUserChange(userID)
		}
	}
	s.rows.Add(uint64(len(rows)))
	s.setApplied(prev)
	return nil
}
