package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/frontdesk-bot/frontdesk/internal/groupcommit"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), postgrestest.SchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func note(chat, id string) queue.Notification {
	return queue.Notification{ChatID: chat, IDMessage: id, TypeWebhook: "incomingMessageReceived", Body: []byte("{}"), ReceivedAt: time.Now()}
}

func TestWriterCommitsConcurrentWritesTogether(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	const writes = 400
	var wg sync.WaitGroup
	ids := make([]int64, writes)
	errs := make([]error, writes)
	before := d.wr.Commits()
	for i := range writes {
		wg.Go(func() { ids[i], errs[i] = d.AddNotification(ctx, note(fmt.Sprint(i%40, "@c.us"), fmt.Sprint(i))) })
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range writes {
		if errs[i] != nil || ids[i] == 0 || seen[ids[i]] {
			t.Fatalf("write %d: id %d, %v", i, ids[i], errs[i])
		}
		seen[ids[i]] = true
	}
	commits := d.wr.Commits() - before
	if commits >= writes {
		t.Errorf("%d writes took %d commits: no group commit", writes, commits)
	}
	t.Logf("%d concurrent writes in %d commits", writes, commits)
	if n, _ := d.CountPending(ctx); n != writes {
		t.Errorf("%d stored, want %d", n, writes)
	}
}

func TestWriterFailureStaysWithItsWrite(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	// Hold the writer on a slow write so that the next ones share a batch.
	slow := make(chan error, 1)
	go func() { slow <- d.wr.exec(ctx, `SELECT pg_sleep(0.3)`) }()
	time.Sleep(50 * time.Millisecond)
	var wg sync.WaitGroup
	good := make([]error, 20)
	for i := range good {
		wg.Go(func() { _, good[i] = d.AddNotification(ctx, note("1@c.us", fmt.Sprint(i))) })
	}
	var bad error
	wg.Go(func() {
		bad = d.wr.Do(ctx, func(b *pgx.Batch) { b.Queue(`INSERT INTO no_such_table VALUES (1)`) })
	})
	wg.Wait()
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if bad == nil {
		t.Error("the bad write succeeded")
	}
	for i, err := range good {
		if err != nil {
			t.Errorf("good write %d failed with the bad one: %v", i, err)
		}
	}
	if n, _ := d.CountPending(ctx); n != len(good) {
		t.Errorf("%d stored, want %d", n, len(good))
	}
}

func TestWriterRefusesWritesAfterClose(t *testing.T) {
	d := openTest(t)
	d.Close()
	d.Close() // twice is fine
	if _, err := d.AddNotification(context.Background(), note("1@c.us", "A")); !errors.Is(err, groupcommit.ErrClosed) {
		t.Errorf("a write after Close = %v, want groupcommit.ErrClosed", err)
	}
}
