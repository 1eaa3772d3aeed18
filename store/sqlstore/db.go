package sqlstore

import (
	"context"
	"strconv"
	"strings"
)

// Querier runs statements: a whole database or one transaction. Queries are
// written with the placeholders the Dialect expects (after Rebind).
type Querier interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow returns a Row whose Scan fails with an error satisfying
	// errors.Is(err, sql.ErrNoRows) when the query returned no row.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// DB is the database handle the Store runs on: a pgx pool or a *sql.DB,
// behind a small adapter.
type DB interface {
	Querier
	// Begin starts a transaction. A read-only transaction must read one
	// consistent snapshot for its whole life (PostgreSQL: REPEATABLE READ
	// READ ONLY). A read-write transaction may be READ COMMITTED: the
	// Dialect's LockWrites serializes writers.
	Begin(ctx context.Context, readOnly bool) (Tx, error)
	Ping(ctx context.Context) error
	Close() error
}

// Tx is one transaction. Rollback after Commit is a harmless no-op error.
type Tx interface {
	Querier
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Rows is a streaming result set (pgx.Rows and *sql.Rows both fit, the
// latter behind an adapter for Close).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// Dialect holds what differs between database engines, so that the SQL of
// the Store is written once. Scan targets and arguments used by the Store
// are string, int64, int, time.Time, *time.Time (nullable argument) and
// **time.Time (nullable scan target); an adapter converts them if its
// driver stores times differently.
type Dialect struct {
	// Name is what Store.Dialect returns: "postgres" or "sqlite".
	Name string
	// Rebind turns a query written with "?" placeholders into the engine's
	// form; nil keeps "?". See DollarPlaceholders.
	Rebind func(query string) string
	// LockWrites, if set, runs first in every write transaction and must
	// serialize writers until the transaction ends. That is what makes
	// changelog revisions commit in ascending order: a tailer reading
	// "revision > R" can then never miss a row that commits after a
	// higher one. Nil when the engine already has a single writer.
	LockWrites func(ctx context.Context, tx Tx) error
	// Notify, if set, runs in a write transaction after it appended
	// changelog rows, to wake up readers once it commits.
	Notify func(ctx context.Context, tx Tx) error
}

// DollarPlaceholders rewrites "?" placeholders as $1, $2, … (PostgreSQL).
// The Store's queries never contain a literal "?".
func DollarPlaceholders(query string) string {
	n := strings.Count(query, "?")
	if n == 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + n*4)
	i := 0
	for _, r := range query {
		if r == '?' {
			i++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// conn applies the Dialect's Rebind to every query of a Querier.
type conn struct {
	q      Querier
	rebind func(string) string
}

func (c conn) sql(query string) string {
	if c.rebind == nil {
		return query
	}
	return c.rebind(query)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return c.q.Exec(ctx, c.sql(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (Rows, error) {
	return c.q.Query(ctx, c.sql(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) Row {
	return c.q.QueryRow(ctx, c.sql(query), args...)
}

// placeholders returns n parenthesized groups of width "?": (?,?),(?,?).
func placeholders(n, width int) string {
	group := "(" + strings.Repeat("?,", width-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(group) + 1))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}
