package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "fd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// hold submits a write that blocks the writer until the returned function
// is called, so that the writes submitted meanwhile queue up.
func hold(t *testing.T, d *DB, fn func(*sql.Tx) error) (release func() error) {
	t.Helper()
	started, proceed, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- d.wr.Do(context.Background(), func(tx *sql.Tx) error {
			close(started)
			<-proceed
			return fn(tx)
		})
	}()
	<-started
	return func() error { close(proceed); return <-done }
}

func add(d *DB, chat, id string) (int64, error) {
	return d.AddNotification(context.Background(), queue.Notification{ChatID: chat, IDMessage: id,
		TypeWebhook: "incomingMessageReceived", Body: []byte(`{}`), ReceivedAt: time.Now()})
}

func TestWriterCommitsConcurrentWritesTogether(t *testing.T) {
	d := openTest(t)
	release := hold(t, d, func(*sql.Tx) error { return nil })
	const writers = 100
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := add(d, "1@c.us", fmt.Sprint(i))
			if err == nil && id == 0 {
				err = fmt.Errorf("message %d reported as a duplicate", i)
			}
			errs <- err
		}()
	}
	time.Sleep(200 * time.Millisecond) // every writer is now waiting for the held commit
	before := d.wr.Commits()
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := d.CountNotifications(context.Background()); n != writers {
		t.Fatalf("%d notifications stored, want %d", n, writers)
	}
	// The held transaction, then one or two for the hundred writes.
	if commits := d.wr.Commits() - before; commits > 3 {
		t.Errorf("%d writes took %d commits; want them grouped", writers, commits)
	}
}

func TestWriterFailureStaysWithItsWrite(t *testing.T) {
	d := openTest(t)
	boom := errors.New("boom")
	release := hold(t, d, func(*sql.Tx) error { return nil })
	results := make(chan error, 3)
	go func() { _, err := add(d, "1@c.us", "A"); results <- err }()
	go func() {
		results <- d.wr.Do(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO dead_letters (body, reason, received_at) VALUES ('x', 'half done', 0)`); err != nil {
				return err
			}
			return boom
		})
	}()
	go func() { _, err := add(d, "1@c.us", "B"); results <- err }()
	time.Sleep(200 * time.Millisecond)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	var failed int
	for range 3 {
		switch err := <-results; {
		case errors.Is(err, boom):
			failed++
		case err != nil:
			t.Errorf("unexpected error %v", err)
		}
	}
	if failed != 1 {
		t.Errorf("%d writes failed, want only the bad one", failed)
	}
	ctx := context.Background()
	if n, _ := d.CountNotifications(ctx); n != 2 {
		t.Errorf("%d notifications stored, want the 2 good ones", n)
	}
	if n, _ := d.CountDeadLetters(ctx); n != 0 {
		t.Errorf("the failed write left %d rows behind", n)
	}
}

func TestWriterRefusesWritesAfterClose(t *testing.T) {
	d := openTest(t)
	d.Close()
	done := make(chan error, 1)
	go func() { _, err := add(d, "1@c.us", "A"); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a write after Close succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write after Close hangs")
	}
}

// TestPingSaysWhenTheDatabaseCannotBeWritten turns the writer's connection
// read-only (SQLite's query_only stands in for a file system turned
// read-only; the reliability scenarios use real ones) and checks that Ping,
// and so /readyz, reports it, and reports the recovery.
func TestPingSaysWhenTheDatabaseCannotBeWritten(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping on a healthy database: %v", err)
	}
	readOnly := func(on bool) {
		t.Helper()
		if _, err := d.wdb.ExecContext(ctx, fmt.Sprintf("PRAGMA query_only = %t", on)); err != nil {
			t.Fatal(err)
		}
	}
	readOnly(true)
	if err := d.Ping(ctx); err != nil {
		t.Errorf("Ping before any write failed = %v; it must not write while writes work", err)
	}
	if _, err := add(d, "1@c.us", "A"); err == nil {
		t.Fatal("a write on a read-only connection succeeded; the test cannot break the database")
	}
	if err := d.Ping(ctx); err == nil || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("Ping with the database read-only = %v; want an error saying it cannot be written", err)
	}
	readOnly(false)
	if err := d.Ping(ctx); err != nil {
		t.Errorf("Ping once the database can be written again = %v", err)
	}
	if _, err := add(d, "1@c.us", "A"); err != nil {
		t.Errorf("a write once the database can be written again = %v", err)
	}
}
