package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// maxBatch bounds the writes committed together.
const maxBatch = 512

// errClosed is returned for a write submitted after Close.
var errClosed = errors.New("sqlite: database closed")

// writer commits the writes of many goroutines together: every write that
// arrives while a commit is in flight joins the next transaction, so that
// one fsync makes a whole batch durable (group commit). A write returns only
// once its transaction is committed, so a caller never acknowledges what a
// crash could still take away.
type writer struct {
	db     *sql.DB // one connection, for writes only
	ops    chan *op
	closed chan struct{}
	done   chan struct{}
	once   sync.Once
	stmts  map[string]*sql.Stmt // prepared on db's connection

	commits atomic.Int64 // transactions committed, for tests
	// failing is the storage error of the last transaction, nil once one
	// commits: the disk is full, read-only or failing.
	failing atomic.Pointer[error]
}

// op is one write: fn runs inside the batch's transaction and may set
// results that the caller reads once err is received.
type op struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// newWriter starts a writer on db, a pool of one connection, with queries
// prepared once, so that SQLite does not parse them again for every write.
func newWriter(ctx context.Context, db *sql.DB, queries ...string) (*writer, error) {
	w := &writer{db: db, ops: make(chan *op), closed: make(chan struct{}), done: make(chan struct{}),
		stmts: make(map[string]*sql.Stmt, len(queries))}
	for _, q := range queries {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("preparing %q: %w", q, err)
		}
		w.stmts[q] = s
	}
	go w.loop()
	return w, nil
}

// exec runs query in tx, prepared if it is one of the writer's queries
// (database/sql then reuses the statement on the one connection).
func (w *writer) exec(tx *sql.Tx, query string, args ...any) error {
	var err error
	if s, ok := w.stmts[query]; ok {
		_, err = tx.Stmt(s).Exec(args...)
	} else {
		_, err = tx.Exec(query, args...)
	}
	return err
}

// queryRow is exec for a statement that returns a row.
func (w *writer) queryRow(tx *sql.Tx, query string, args ...any) *sql.Row {
	if s, ok := w.stmts[query]; ok {
		return tx.Stmt(s).QueryRow(args...)
	}
	return tx.QueryRow(query, args...)
}

// do runs fn in a transaction shared with the writes submitted meanwhile,
// and returns once that transaction is committed (nil) or failed. The
// caller's context can stop a write that has not started; once it has
// started, do waits for the commit, so that the result is never unknown.
func (w *writer) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- o:
	case <-w.closed:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-o.done
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

// commit runs batch in one transaction. When a write fails, the batch is
// rolled back and each of its writes is tried again in a transaction of its
// own, so that one bad write never fails the others.
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
	// The statements run to completion whatever the callers' contexts:
	// a half-known outcome is worse than a late one.
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		err = fmt.Errorf("beginning a transaction: %w", err)
		w.noteFailure(err)
		return err
	}
	for _, o := range ops {
		if err := o.fn(tx); err != nil {
			_ = tx.Rollback()
			w.noteFailure(err)
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("committing: %w", err)
		w.noteFailure(err)
		return err
	}
	w.commits.Add(1)
	w.failing.Store(nil)
	return nil
}

// noteFailure remembers err if it says the database cannot be written.
func (w *writer) noteFailure(err error) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		w.failing.Store(&err)
	}
}

// lastFailure returns the storage error of the last transaction, if it
// failed for want of storage.
func (w *writer) lastFailure() error {
	if p := w.failing.Load(); p != nil {
		return *p
	}
	return nil
}

// close stops the writer after the writes already taken; later writes get
// errClosed. It may be called more than once.
func (w *writer) close() {
	w.once.Do(func() { close(w.closed) })
	<-w.done
	for _, s := range w.stmts {
		s.Close()
	}
}
