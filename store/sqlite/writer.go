package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/frontdesk-bot/frontdesk/internal/groupcommit"
)

// maxBatch bounds the writes committed together.
const maxBatch = 512

// writer commits the writes of many goroutines together (group commit,
// internal/groupcommit): one transaction and one fsync for every write that
// waited while the previous commit ran.
type writer struct {
	*groupcommit.Committer[func(tx *sql.Tx) error]
	db    *sql.DB              // one connection, for writes only
	stmts map[string]*sql.Stmt // prepared on db's connection
	// failing is the storage error of the last transaction, nil once one
	// commits: the disk is full, read-only or failing.
	failing atomic.Pointer[error]
}

// newWriter starts a writer on db, a pool of one connection, with queries
// prepared once, so that SQLite does not parse them again for every write.
func newWriter(ctx context.Context, db *sql.DB, queries ...string) (*writer, error) {
	w := &writer{db: db, stmts: make(map[string]*sql.Stmt, len(queries))}
	for _, q := range queries {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("preparing %q: %w", q, err)
		}
		w.stmts[q] = s
	}
	w.Committer = groupcommit.New(maxBatch, w.run)
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

// run applies fns in one transaction.
func (w *writer) run(fns []func(tx *sql.Tx) error) error {
	// The statements run to completion whatever the callers' contexts:
	// a half-known outcome is worse than a late one.
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		err = fmt.Errorf("beginning a transaction: %w", err)
		w.noteFailure(err)
		return err
	}
	for _, fn := range fns {
		if err := fn(tx); err != nil {
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
// groupcommit.ErrClosed. It may be called more than once.
func (w *writer) close() {
	w.Close()
	for _, s := range w.stmts {
		s.Close()
	}
}
