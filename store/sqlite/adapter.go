package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sentinel-auth/sentinel/store/sqlstore"
)

// Times are stored as INTEGER unix microseconds in UTC (see the migrations).
// The adapter converts time.Time and *time.Time arguments, and *time.Time
// and **time.Time (nullable) scan targets, so the shared SQL is unaware.

// db adapts a *sql.DB on modernc.org/sqlite to sqlstore.DB.
type db struct {
	querier
	sql *sql.DB
	// writeSem (capacity 1) serializes this process's write transactions
	// before they reach SQLite. SQLite has one writer anyway (BEGIN
	// IMMEDIATE); waiting here is cheaper and fairer than spinning in its
	// busy handler. Other processes still wait through busy_timeout.
	writeSem chan struct{}
}

var _ sqlstore.DB = (*db)(nil)

func newDB(s *sql.DB) *db {
	return &db{querier: querier{s}, sql: s, writeSem: make(chan struct{}, 1)}
}

// Begin starts a transaction. A write transaction is BEGIN IMMEDIATE (the
// DSN's _txlock) and holds writeSem until it ends; a read-only one is a
// plain (deferred) BEGIN, which in WAL mode reads one snapshot throughout.
func (d *db) Begin(ctx context.Context, readOnly bool) (sqlstore.Tx, error) {
	release := func() {}
	if !readOnly {
		select {
		case d.writeSem <- struct{}{}:
			release = func() { <-d.writeSem }
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	tx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		release()
		return nil, err
	}
	return &txn{querier: querier{tx}, tx: tx, release: release}, nil
}

func (d *db) Ping(ctx context.Context) error { return d.sql.PingContext(ctx) }
func (d *db) Close() error                   { return d.sql.Close() }

// txn adapts a *sql.Tx to sqlstore.Tx.
type txn struct {
	querier
	tx      *sql.Tx
	release func() // nil once released
}

func (t *txn) Commit(context.Context) error {
	err := t.tx.Commit()
	t.done()
	return err
}

func (t *txn) Rollback(context.Context) error {
	err := t.tx.Rollback()
	t.done()
	return err
}

func (t *txn) done() {
	if t.release != nil {
		t.release()
		t.release = nil
	}
}

// runner is what *sql.DB and *sql.Tx have in common.
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier adapts a runner to sqlstore.Querier, converting times.
type querier struct{ r runner }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.r.ExecContext(ctx, query, convArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.r.QueryContext(ctx, query, convArgs(args)...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return sqlRow{q.r.QueryRowContext(ctx, query, convArgs(args)...)}
}

// sqlRows adapts *sql.Rows to sqlstore.Rows.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Scan(dest ...any) error { return r.Rows.Scan(convDest(dest)...) }
func (r sqlRows) Close()                 { _ = r.Rows.Close() }

// sqlRow adapts *sql.Row to sqlstore.Row.
type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error { return r.Row.Scan(convDest(dest)...) }

// convArgs returns args with times as unix microseconds.
func convArgs(args []any) []any {
	var out []any // a copy, made on the first conversion
	for i, a := range args {
		var v any
		switch t := a.(type) {
		case time.Time:
			v = t.UnixMicro()
		case *time.Time:
			if t != nil {
				v = t.UnixMicro()
			}
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

// convDest returns dest with time targets wrapped in scanners that read
// unix microseconds.
func convDest(dest []any) []any {
	var out []any // a copy, made on the first conversion
	for i, d := range dest {
		var v any
		switch p := d.(type) {
		case *time.Time:
			v = microTime{p}
		case **time.Time:
			v = nullMicroTime{p}
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), dest...)
		}
		out[i] = v
	}
	if out == nil {
		return dest
	}
	return out
}

// microTime scans unix microseconds into a time.Time (UTC).
type microTime struct{ p *time.Time }

func (m microTime) Scan(src any) error {
	us, ok := src.(int64)
	if !ok {
		return fmt.Errorf("scan time: want unix microseconds, got %T", src)
	}
	*m.p = time.UnixMicro(us).UTC()
	return nil
}

// nullMicroTime scans nullable unix microseconds into a *time.Time.
type nullMicroTime struct{ p **time.Time }

func (m nullMicroTime) Scan(src any) error {
	if src == nil {
		*m.p = nil
		return nil
	}
	var t time.Time
	if err := (microTime{&t}).Scan(src); err != nil {
		return err
	}
	*m.p = &t
	return nil
}
