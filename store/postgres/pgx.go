package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sentinel-auth/sentinel/store/sqlstore"
)

// runner is what a pgx pool and a pgx transaction have in common.
type runner interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier adapts a runner to sqlstore.Querier. pgx.Rows and pgx.Row fit
// sqlstore.Rows and sqlstore.Row as they are; pgx.ErrNoRows satisfies
// errors.Is(err, sql.ErrNoRows).
type querier struct{ r runner }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.r.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return q.r.Query(ctx, query, args...)
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.r.QueryRow(ctx, query, args...)
}

// poolDB adapts a pgx pool to sqlstore.DB.
type poolDB struct {
	querier
	pool *pgxpool.Pool
}

var _ sqlstore.DB = poolDB{}

func newPoolDB(pool *pgxpool.Pool) poolDB { return poolDB{querier: querier{pool}, pool: pool} }

// Begin starts a READ COMMITTED read-write transaction (writers are
// serialized by an advisory lock, see Open), or a REPEATABLE READ READ ONLY
// one that sees a single snapshot.
func (d poolDB) Begin(ctx context.Context, readOnly bool) (sqlstore.Tx, error) {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	tx, err := d.pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return pgxTx{querier: querier{tx}, tx: tx}, nil
}

func (d poolDB) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

func (d poolDB) Close() error {
	d.pool.Close()
	return nil
}

// pgxTx adapts a pgx transaction to sqlstore.Tx.
type pgxTx struct {
	querier
	tx pgx.Tx
}

func (t pgxTx) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgxTx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
