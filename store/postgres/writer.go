package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// maxBatch bounds the writes committed together.
const maxBatch = 256

// errClosed is returned for a write submitted after Close.
var errClosed = errors.New("postgres: database closed")

// writer commits the writes of many goroutines together, as store/sqlite's
// does: every write that arrives while a commit is in flight joins the next
// transaction, sent to the server in one round trip (a pgx batch) and made
// durable by one WAL flush. A write returns only once its transaction is
// committed. One transaction is in flight at a time, so batches never
// deadlock on each other's row locks.
type writer struct {
	pool   *pgxpool.Pool
	ops    chan *op
	closed chan struct{}
	done   chan struct{}
	once   sync.Once

	commits atomic.Int64 // transactions committed, for tests
}

// op is one write: queue adds its statements to the batch, with callbacks
// that set the caller's results.
type op struct {
	ctx   context.Context
	queue func(b *pgx.Batch)
	done  chan error
}

func newWriter(pool *pgxpool.Pool) *writer {
	w := &writer{pool: pool, ops: make(chan *op), closed: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// do commits the statements queue adds, in a transaction shared with the
// writes submitted meanwhile. The caller's context can stop a write that
// has not started; once it has, do waits for the outcome.
func (w *writer) do(ctx context.Context, queue func(b *pgx.Batch)) error {
	o := &op{ctx: ctx, queue: queue, done: make(chan error, 1)}
	select {
	case w.ops <- o:
	case <-w.closed:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-o.done
}

// exec commits one statement.
func (w *writer) exec(ctx context.Context, sql string, args ...any) error {
	return w.do(ctx, func(b *pgx.Batch) { b.Queue(sql, args...) })
}

func (w *writer) loop() {
	defer close(w.done)
	for {
		var first *op
		select {
		case first = <-w.ops:
		case <-w.closed:
			return
		}
		batch := []*op{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case o := <-w.ops:
				batch = append(batch, o)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// commit runs batch in one transaction. When it fails, each write is tried
// again in a transaction of its own, so that one bad write never fails the
// others.
func (w *writer) commit(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	err := w.run(live)
	if err == nil || len(live) == 1 {
		for _, o := range live {
			o.done <- err
		}
		return
	}
	for _, o := range live {
		o.done <- w.run([]*op{o})
	}
}

func (w *writer) run(ops []*op) error {
	// The statements run to completion whatever the callers' contexts: a
	// half-known outcome is worse than a late one.
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, o := range ops {
			o.queue(b)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err == nil {
		w.commits.Add(1)
	}
	return err
}

// close stops the writer after the writes already taken; later writes get
// errClosed. It may be called more than once.
func (w *writer) close() {
	w.once.Do(func() { close(w.closed) })
	<-w.done
}
