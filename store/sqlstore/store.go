// Package sqlstore is the one SQL implementation of store.Store, shared by
// store/postgres and store/sqlite. It is written against a tiny abstraction
// (DB, Tx, Rows) that a pgx pool and a *sql.DB both satisfy through small
// adapters, and a Dialect that says what differs between the engines:
// placeholders, how writers are serialized, and how readers are notified.
//
// Every mutation that appends to the changelog runs in a write transaction
// (see Dialect.LockWrites), so revisions are allocated and committed in the
// same order.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// batchSize is the most rows one multi-row statement carries: 500 rows × 11
// columns stays far below SQLite's (32766) and PostgreSQL's (65535)
// parameter limits. Larger requests are split, within one transaction.
const batchSize = 500

// Store implements store.Store over a DB and a Dialect.
type Store struct {
	db      DB
	dialect Dialect
	c       conn // db with the dialect's Rebind
}

var _ store.Store = (*Store)(nil)

// New returns a Store over db. The schema (package migrations) must already
// be applied. The Store owns db: Close closes it.
func New(db DB, d Dialect) *Store {
	return &Store{db: db, dialect: d, c: conn{q: db, rebind: d.Rebind}}
}

// Dialect returns the engine name: "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect.Name }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect.Name, err)
	}
	return nil
}

// Close releases the database handle.
func (s *Store) Close() error { return s.db.Close() }

// Notifications returns nil: this Store cannot notify, readers poll.
// store/postgres overrides it with LISTEN/NOTIFY.
func (s *Store) Notifications(context.Context) <-chan struct{} { return nil }

// readTx runs fn in a read-only transaction that sees one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.db.Begin(ctx, true)
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", err)
	}
	done := false
	defer func() {
		if !done { // fn failed or panicked
			_ = tx.Rollback(ctx)
		}
	}()
	if err := fn(conn{q: tx, rebind: s.dialect.Rebind}); err != nil {
		return err
	}
	// Commit, not Rollback: some drivers report a failed read only here.
	done = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit read transaction: %w", err)
	}
	return nil
}

// writeTx runs fn in a write transaction that holds the writers' lock, and
// commits if fn succeeds. Any error (or panic) rolls everything back.
//
// Before committing it appends the activity attached to ctx
// (store.WithActivity), built from what fn produced (w.produce): the
// change and its entries commit together, and an entry that cannot be
// appended fails the whole write. A ctx without activity records nothing.
func (s *Store) writeTx(ctx context.Context, fn func(w *writer) error) error {
	tx, err := s.db.Begin(ctx, false)
	if err != nil {
		return fmt.Errorf("begin write transaction: %w", err)
	}
	done := false
	defer func() {
		if !done { // fn failed or panicked
			_ = tx.Rollback(ctx)
		}
	}()
	if s.dialect.LockWrites != nil {
		if err := s.dialect.LockWrites(ctx, tx); err != nil {
			return fmt.Errorf("lock writers: %w", err)
		}
	}
	w := &writer{c: conn{q: tx, rebind: s.dialect.Rebind}, tx: tx, d: &s.dialect}
	if err := w.checkActor(ctx); err != nil {
		return err
	}
	if err := fn(w); err != nil {
		return err
	}
	act := store.PendingActivity(ctx)
	recorded, err := w.recordActivity(ctx, act)
	if err != nil {
		return err
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if recorded {
		act.Recorded()
	}
	return nil
}

// writer is the state of one write transaction.
type writer struct {
	c        conn
	tx       Tx
	d        *Dialect
	notified bool
	// produced is what the write reported with produce, for the activity
	// attached to its context.
	produced any
	// actor is the role, read in this transaction, of the acting member
	// attached to its context (store.WithActingMember); "" if none.
	actor store.Role
}

// checkActor reads the role of the acting member attached to ctx, if any,
// inside the write transaction (under the writers' lock), and fails with
// store.ErrInsufficientRole unless it is at least the change needs.
func (w *writer) checkActor(ctx context.Context) error {
	a, ok := store.ActingMemberOf(ctx)
	if !ok {
		return nil
	}
	m, err := membership(ctx, w.c, a.WorkspaceID, a.UserID)
	switch {
	case errors.Is(err, store.ErrNotMember):
		return store.ErrInsufficientRole
	case err != nil:
		return fmt.Errorf("read the acting member's role: %w", err)
	case !m.Role.AtLeast(a.AtLeast):
		return store.ErrInsufficientRole
	}
	w.actor = m.Role
	return nil
}

// ownerOnly fails with store.ErrOwnerOnly if an acting member is attached
// and is not an owner: for changes of an owner or to the owner role.
func (w *writer) ownerOnly() error {
	if w.actor != "" && w.actor != store.RoleOwner {
		return store.ErrOwnerOnly
	}
	return nil
}

// produce reports v, the value the write returns (the row it created, the
// counts of what it deleted), so that an activity attached with
// store.WithActivityOf is built from it. A path that only answers with
// what is stored already (a repeated registration, an update that changes
// no value) reports nothing, and so records nothing.
func (w *writer) produce(v any) { w.produced = v }

// now returns the current time as stored: UTC, microsecond precision (what
// both engines keep), so values returned by a write equal those read back.
func now() time.Time { return normTime(time.Now()) }

// normTime converts t to the stored form (UTC, microseconds).
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
