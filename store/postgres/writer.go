package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/frontdesk-bot/frontdesk/internal/groupcommit"
)

// maxBatch bounds the writes committed together.
const maxBatch = 256

// writer commits the writes of many goroutines together, as store/sqlite's
// does (internal/groupcommit): every write that waited while the previous
// commit ran is sent in one round trip (a pgx batch), in one transaction,
// made durable by one WAL flush.
type writer struct {
	*groupcommit.Committer[func(b *pgx.Batch)]
	pool *pgxpool.Pool
}

func newWriter(pool *pgxpool.Pool) *writer {
	w := &writer{pool: pool}
	w.Committer = groupcommit.New(maxBatch, w.run)
	return w
}

// exec commits one statement.
func (w *writer) exec(ctx context.Context, sql string, args ...any) error {
	return w.Do(ctx, func(b *pgx.Batch) { b.Queue(sql, args...) })
}

// run sends the statements that each of queue adds as one batch in one
// transaction. The statements run to completion whatever the callers'
// contexts: a half-known outcome is worse than a late one.
func (w *writer) run(queue []func(b *pgx.Batch)) error {
	ctx := context.Background()
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, q := range queue {
			q(b)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}
