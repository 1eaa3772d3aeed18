package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnect backoff of the LISTEN connection.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Notifications returns a channel that receives a value after changes are
// committed to this schema by any process (NOTIFY on commit), and once
// after every (re)connection of the listener, since changes may have been
// missed while it was down. Values are coalesced: the channel has a buffer of
// one and sends never block. A dedicated connection (not from the pool)
// listens; on any error it reconnects with exponential backoff from 100 ms
// to 5 s. The channel is closed when ctx ends (not by Close).
func (s *Store) Notifications(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go s.listen(ctx, ch)
	return ch
}

// listen keeps a LISTEN connection up until ctx ends, then closes ch.
func (s *Store) listen(ctx context.Context, ch chan<- struct{}) {
	defer close(ch)
	delay := minBackoff
	for {
		// The error is not reported: the reader polls on every wake-up
		// anyway, and the reconnect signal covers what was missed.
		_ = s.listenOnce(ctx, ch, func() { delay = minBackoff })
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, maxBackoff)
	}
}

// listenOnce connects, LISTENs, signals, and then signals on every
// notification until an error (or the end of ctx).
func (s *Store) listenOnce(ctx context.Context, ch chan<- struct{}, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.connConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	signal(ch)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal(ch)
	}
}

// signal sends on ch unless a value is pending already.
func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
