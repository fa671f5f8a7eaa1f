package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
)

// ledger is a handler that counts each notification's calls and checks
// that each chat's notifications come in the order they were stored.
type ledger struct {
	mu    sync.Mutex
	gate  chan struct{} // closed: handle; nil: handle at once
	calls map[string]int
	last  map[string]int64 // chat: the last id handled
	wrong []string
	total int
}

func newLedger(gated bool) *ledger {
	l := &ledger{calls: map[string]int{}, last: map[string]int64{}}
	if gated {
		l.gate = make(chan struct{})
	}
	return l
}

func (l *ledger) handle(ctx context.Context, n queue.Notification) error {
	if l.gate != nil {
		select {
		case <-l.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[string(n.Body)]++
	if n.ID <= l.last[n.ChatID] {
		l.wrong = append(l.wrong, fmt.Sprintf("%s: id %d after %d", n.ChatID, n.ID, l.last[n.ChatID]))
	}
	l.last[n.ChatID] = n.ID
	l.total++
	return nil
}

// check reports notifications handled other than once, and out of order.
func (l *ledger) check(t *testing.T, want []string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range want {
		if l.calls[id] != 1 {
			t.Errorf("%s handled %d times, want once", id, l.calls[id])
		}
	}
	if l.total != len(want) {
		t.Errorf("%d calls in all, want %d", l.total, len(want))
	}
	for _, w := range l.wrong {
		t.Errorf("out of order: %s", w)
	}
}

func waitHandled(t *testing.T, l *ledger, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		l.mu.Lock()
		total := l.total
		l.mu.Unlock()
		if total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of %d", total, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestPoolSpillsPastMaxQueuedAndKeepsOrder(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	l := newLedger(true)
	pool := queue.NewPool(s, l.handle, queue.PoolConfig{MaxQueued: 16, MaxActiveChats: 4}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())

	var want []string
	post := func(from, to int) {
		for i := from; i < to; i++ {
			id := fmt.Sprintf("m%04d", i)
			pool.Enqueue(store(t, s, fmt.Sprintf("%d@c.us", i%25), id))
			want = append(want, id)
		}
	}
	post(0, 300)
	if got := pool.InMemory(); got > 16 {
		t.Errorf("with 300 waiting, %d in memory; want at most MaxQueued (16)", got)
	}
	if got := pool.Depth(); got != 300 {
		t.Errorf("Depth = %d, want 300 (those only in the store count too)", got)
	}

	// Drain while more arrive: refills race with Enqueue.
	close(l.gate)
	post(300, 700)
	waitHandled(t, l, 700)
	waitIdle(t, pool)
	l.check(t, want)
	if n, _ := s.CountPending(context.Background()); n != 0 {
		t.Errorf("%d notifications left unfinished", n)
	}
	if got := pool.InMemory(); got != 0 {
		t.Errorf("%d still in memory", got)
	}

	// Caught up, the pool takes notifications in memory again.
	pool.Enqueue(store(t, s, "1@c.us", "after"))
	waitHandled(t, l, 701)
	l.check(t, append(want, "after"))
}

func TestPoolResumesABacklogLargerThanItsMemory(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/fd.db"
	s := sqlitetest.Open(t, path)
	var want []string
	for i := range 250 {
		id := fmt.Sprintf("m%04d", i)
		store(t, s, fmt.Sprintf("%d@c.us", i%7), id)
		want = append(want, id)
	}
	l := newLedger(true)
	pool := queue.NewPool(s, l.handle, queue.PoolConfig{MaxQueued: 20}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	if got, depth := pool.InMemory(), pool.Depth(); got != 20 || depth != 250 {
		t.Errorf("after start: %d in memory, depth %d; want 20 and 250", got, depth)
	}
	close(l.gate)
	waitHandled(t, l, 250)
	waitIdle(t, pool)
	l.check(t, want)
}

func TestPoolHandlesALateArrivalOnce(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	l := newLedger(true)
	pool := queue.NewPool(s, l.handle, queue.PoolConfig{MaxQueued: 2}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	pool.Enqueue(store(t, s, "a@c.us", "1"))
	pool.Enqueue(store(t, s, "b@c.us", "2"))
	pool.Enqueue(store(t, s, "c@c.us", "3")) // spills
	// Stored, but its Enqueue comes only after a refill has read it back
	// and it was handled: as a webhook whose goroutine was slow.
	late := store(t, s, "d@c.us", "4")
	close(l.gate)
	waitHandled(t, l, 4)
	waitIdle(t, pool)
	pool.Enqueue(late)
	waitIdle(t, pool)
	time.Sleep(50 * time.Millisecond)
	l.check(t, []string{"1", "2", "3", "4"})
}
