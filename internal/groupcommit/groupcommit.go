// Package groupcommit commits the writes of many goroutines together: every
// write that arrives while a commit is in flight joins the next one, so that
// one transaction (one fsync, one WAL flush) makes a whole batch durable. A
// write returns only once its own transaction is committed, so a caller
// never acknowledges what a crash could still take away. store/sqlite and
// store/postgres each supply how a batch is written.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned for a write submitted after Close.
var ErrClosed = errors.New("database closed")

// Committer batches writes of type W and hands each batch to run, which
// must apply them all in one transaction or none. One batch is in flight at
// a time, so batches never wait on each other's locks.
type Committer[W any] struct {
	run      func(batch []W) error
	maxBatch int
	ops      chan *op[W]
	closed   chan struct{}
	done     chan struct{}
	once     sync.Once
	commits  atomic.Int64
}

type op[W any] struct {
	ctx  context.Context
	w    W
	done chan error
}

// New starts a Committer that commits at most maxBatch writes together.
func New[W any](maxBatch int, run func(batch []W) error) *Committer[W] {
	c := &Committer[W]{run: run, maxBatch: maxBatch, ops: make(chan *op[W]),
		closed: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// Do commits w with the writes submitted meanwhile and returns once its
// transaction is committed (nil) or failed. The context can stop a write
// that has not started; once it has, Do waits for the outcome, so that it
// is never unknown.
func (c *Committer[W]) Do(ctx context.Context, w W) error {
	o := &op[W]{ctx: ctx, w: w, done: make(chan error, 1)}
	select {
	case c.ops <- o:
	case <-c.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-o.done
}

// Commits returns how many transactions were committed.
func (c *Committer[W]) Commits() int64 { return c.commits.Load() }

// Close stops the Committer after the writes already taken; later writes
// get ErrClosed. It may be called more than once.
func (c *Committer[W]) Close() {
	c.once.Do(func() { close(c.closed) })
	<-c.done
}

func (c *Committer[W]) loop() {
	defer close(c.done)
	for {
		var first *op[W]
		select {
		case first = <-c.ops:
		case <-c.closed:
			return
		}
		batch := []*op[W]{first}
	gather:
		for len(batch) < c.maxBatch {
			select {
			case o := <-c.ops:
				batch = append(batch, o)
			default:
				break gather
			}
		}
		c.commit(batch)
	}
}

// commit runs batch in one transaction. When it fails, each write is tried
// again in a transaction of its own, so that one bad write never fails the
// others.
func (c *Committer[W]) commit(batch []*op[W]) {
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
	err := c.runOps(live)
	if err == nil || len(live) == 1 {
		for _, o := range live {
			o.done <- err
		}
		return
	}
	for _, o := range live {
		o.done <- c.runOps([]*op[W]{o})
	}
}

func (c *Committer[W]) runOps(ops []*op[W]) error {
	ws := make([]W, len(ops))
	for i, o := range ops {
		ws[i] = o.w
	}
	err := c.run(ws)
	if err == nil {
		c.commits.Add(1)
	}
	return err
}
