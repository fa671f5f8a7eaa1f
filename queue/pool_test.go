package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
)

type nopPoolMetrics struct{}

func (nopPoolMetrics) Processed(string, time.Duration, error) {}
func (nopPoolMetrics) InboxDepth(int)                         {}

func discard() *slog.Logger { return logtest.Logger() }

func store(t *testing.T, s queue.Store, chat, id string) queue.Notification {
	t.Helper()
	n := queue.Notification{ChatID: chat, IDMessage: id, TypeWebhook: "incomingMessageReceived", Body: []byte(id), ReceivedAt: time.Now()}
	var err error
	if n.ID, err = s.AddNotification(context.Background(), n); err != nil || n.ID == 0 {
		t.Fatalf("AddNotification: %d, %v", n.ID, err)
	}
	return n
}

// recorder is a handler that records the order of calls per chat.
type recorder struct {
	mu    sync.Mutex
	order map[string][]string
	done  chan string
	slow  map[string]time.Duration
	fail  map[string]int  // transient failures before success
	perm  map[string]bool // permanent failure
}

func newRecorder() *recorder {
	return &recorder{order: map[string][]string{}, done: make(chan string, 1000), slow: map[string]time.Duration{}, fail: map[string]int{}, perm: map[string]bool{}}
}

func (r *recorder) handle(ctx context.Context, n queue.Notification) error {
	id := string(n.Body)
	r.mu.Lock()
	slow, fail, perm := r.slow[id], r.fail[id], r.perm[id]
	if fail > 0 {
		r.fail[id]--
	}
	r.mu.Unlock()
	if slow > 0 {
		select {
		case <-time.After(slow):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail > 0 {
		return errors.New("transient")
	}
	if perm {
		return fmt.Errorf("%w: broken", queue.ErrPermanent)
	}
	r.mu.Lock()
	r.order[n.ChatID] = append(r.order[n.ChatID], id)
	r.mu.Unlock()
	r.done <- id
	return nil
}

func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for the pool")
		}
	}
}

// waitIdle waits until the pool has nothing waiting or in flight.
func waitIdle(t *testing.T, pool *queue.Pool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for pool.Depth() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the pool still holds %d notifications", pool.Depth())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPoolKeepsChatOrderAndRunsChatsInParallel(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	rec := newRecorder()
	rec.slow["a1"] = 500 * time.Millisecond // a chat waiting on Green API
	pool := queue.NewPool(s, rec.handle, queue.PoolConfig{MinRetry: time.Millisecond}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	start := time.Now()
	for _, id := range []string{"a1", "a2", "a3"} {
		pool.Enqueue(store(t, s, "a@c.us", id))
	}
	pool.Enqueue(store(t, s, "b@c.us", "b1"))
	if id := <-rec.done; id != "b1" || time.Since(start) > 400*time.Millisecond {
		t.Errorf("first done: %s after %v; chat b must not wait for chat a", id, time.Since(start))
	}
	rec.wait(t, 3)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := fmt.Sprint(rec.order["a@c.us"]); got != "[a1 a2 a3]" {
		t.Errorf("chat a handled in order %s", got)
	}
	waitIdle(t, pool) // handled, now being marked finished
	if n, _ := s.CountPending(context.Background()); n != 0 {
		t.Errorf("%d still pending", n)
	}
}

func TestPoolRetriesAndSetsAsidePermanentFailures(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	rec := newRecorder()
	rec.fail["x1"] = 2
	rec.perm["x2"] = true
	pool := queue.NewPool(s, rec.handle, queue.PoolConfig{MinRetry: time.Millisecond, MaxRetry: 5 * time.Millisecond}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	for _, id := range []string{"x1", "x2", "x3"} {
		pool.Enqueue(store(t, s, "x@c.us", id))
	}
	rec.wait(t, 2)
	rec.mu.Lock()
	got := fmt.Sprint(rec.order["x@c.us"])
	rec.mu.Unlock()
	if got != "[x1 x3]" {
		t.Errorf("handled %s, want x1 after its retries, then x3 past the broken x2", got)
	}
	waitIdle(t, pool)
	if n, _ := s.CountPending(context.Background()); n != 0 {
		t.Errorf("%d still pending; the permanent failure must be finished and kept aside", n)
	}
}

func TestPoolResumesWhatWasLeft(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fd.db")
	s := sqlitetest.Open(t, path)
	rec := newRecorder()
	rec.slow["r1"] = time.Hour
	pool := queue.NewPool(s, rec.handle, queue.PoolConfig{}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pool.Enqueue(store(t, s, "r@c.us", "r1"))
	pool.Enqueue(store(t, s, "r@c.us", "r2"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	pool.Stop(ctx) // r1 is cut off at the drain deadline; r2 never starts
	if n, _ := s.CountPending(context.Background()); n != 2 {
		t.Fatalf("%d pending after shutdown, want 2", n)
	}

	rec2 := newRecorder()
	pool2 := queue.NewPool(s, rec2.handle, queue.PoolConfig{}, discard(), nopPoolMetrics{})
	if err := pool2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool2.Stop(context.Background())
	rec2.wait(t, 2)
	if got := fmt.Sprint(rec2.order["r@c.us"]); got != "[r1 r2]" {
		t.Errorf("after restart handled %s", got)
	}
}

// countingStore counts the bodies read back from the store.
type countingStore struct {
	*sqlite.DB
	mu    sync.Mutex
	reads int
}

func (c *countingStore) GetNotification(ctx context.Context, id int64) (queue.Notification, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.DB.GetNotification(ctx, id)
}

func TestPoolKeepsBodiesInMemoryOnlyWithinItsBudget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		maxHeld   int
		wantReads int
	}{
		{"every body fits", 1 << 20, 0},
		{"room for one body", 10, 4}, // m1 is held while it is slow; m2..m5 are read back
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &countingStore{DB: sqlitetest.Open(t, "")}
			rec := newRecorder()
			rec.slow["m1"] = 200 * time.Millisecond
			pool := queue.NewPool(s, rec.handle, queue.PoolConfig{MaxHeldBytes: tt.maxHeld}, discard(), nopPoolMetrics{})
			if err := pool.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer pool.Stop(context.Background())
			for _, id := range []string{"m1", "m2", "m3", "m4", "m5"} {
				pool.Enqueue(store(t, s, "m@c.us", id))
			}
			rec.wait(t, 5)
			waitIdle(t, pool)
			rec.mu.Lock()
			got := fmt.Sprint(rec.order["m@c.us"])
			rec.mu.Unlock()
			if got != "[m1 m2 m3 m4 m5]" { // the handler sees each body, held or read back
				t.Errorf("handled %s", got)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.reads != tt.wantReads {
				t.Errorf("%d bodies read back from the store, want %d", s.reads, tt.wantReads)
			}
		})
	}
}

func TestPoolChatWaitingToRetryFreesItsSlot(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	rec := newRecorder()
	rec.fail["down1"] = 1 // fails once: Green API is down for this chat's greeting
	// One slot, and a retry an hour away: the other chat must not wait for it.
	pool := queue.NewPool(s, rec.handle, queue.PoolConfig{MaxActiveChats: 1, MinRetry: time.Hour, MaxRetry: time.Hour}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	pool.Enqueue(store(t, s, "down@c.us", "down1"))
	pool.Enqueue(store(t, s, "down@c.us", "down2"))
	pool.Enqueue(store(t, s, "ok@c.us", "ok1"))
	select {
	case id := <-rec.done:
		if id != "ok1" {
			t.Fatalf("%s handled while its chat waits to retry", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a chat waiting to retry holds the only slot")
	}
	deadline := time.Now().Add(5 * time.Second)
	for pool.Depth() != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // ok1 is being marked finished
	}
	if d := pool.Depth(); d != 2 {
		t.Errorf("depth %d, want the failed chat's 2 notifications", d)
	}
}

func TestPoolWaitingChatLetsOthersGoAndComesBackWhenReady(t *testing.T) {
	t.Parallel()
	// The new sender's chat waits for something (its lookup) that is
	// ready only when the test says so; its Until is an hour away.
	wait, ready := pacing.NewWait(time.Now().Add(time.Hour), errors.New("waiting for the lookup"))
	var mu sync.Mutex
	waiting := true
	done := make(chan string, 2)
	handle := func(_ context.Context, n queue.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		if n.ChatID == "new@c.us" && waiting {
			return fmt.Errorf("first contact: %w", wait)
		}
		done <- n.ChatID
		return nil
	}
	s := sqlitetest.Open(t, "")
	// One worker only: a chat that held it while waiting would block the other.
	pool := queue.NewPool(s, handle, queue.PoolConfig{MaxActiveChats: 1, MinRetry: time.Hour, MaxRetry: time.Hour}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	start := time.Now()
	pool.Enqueue(store(t, s, "new@c.us", "n1"))
	pool.Enqueue(store(t, s, "known@c.us", "k1"))
	if first := <-done; first != "known@c.us" || time.Since(start) > 500*time.Millisecond {
		t.Errorf("%s done first, after %v: the known chat waited behind the waiting one", first, time.Since(start))
	}
	mu.Lock()
	waiting = false
	mu.Unlock()
	ready()
	select {
	case second := <-done:
		if second != "new@c.us" {
			t.Errorf("second done: %s", second)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting chat did not come back when its wait was ready")
	}
}

func TestPoolChatsPausedTogetherComeBackTogether(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	// One WaitError for every chat, as the guard gives while calls are
	// paused; ready when they resume.
	wait, resume := pacing.NewWait(time.Now().Add(time.Hour), pacing.ErrPaused)
	var down sync.Mutex
	paused := true
	done := make(chan string, 10)
	handle := func(_ context.Context, n queue.Notification) error {
		down.Lock()
		defer down.Unlock()
		if paused {
			return fmt.Errorf("sending: %w", wait)
		}
		done <- n.IDMessage
		return nil
	}
	// The backoff is an hour: only the resumption can bring the chats back soon.
	pool := queue.NewPool(s, handle, queue.PoolConfig{MinRetry: time.Hour, MaxRetry: time.Hour}, discard(), nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	for i := range 3 {
		pool.Enqueue(store(t, s, fmt.Sprintf("p%d@c.us", i), fmt.Sprintf("p%d", i)))
	}
	time.Sleep(100 * time.Millisecond) // each chat tries once and is set aside
	select {
	case id := <-done:
		t.Fatalf("%s handled while Green API is down", id)
	default:
	}
	down.Lock()
	paused = false
	down.Unlock()
	resume()
	for range 3 {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a paused chat did not come back when calls resumed")
		}
	}
}
