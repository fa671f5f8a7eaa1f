package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

type nopPoolMetrics struct{}

func (nopPoolMetrics) Processed(string, time.Duration, error) {}
func (nopPoolMetrics) InboxDepth(int)                         {}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "fd.db")
	}
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func store(t *testing.T, s bot.Store, chat, id string) bot.Notification {
	t.Helper()
	n := bot.Notification{ChatID: chat, IDMessage: id, TypeWebhook: "incomingMessageReceived", Body: []byte(id), ReceivedAt: time.Now()}
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

func (r *recorder) handle(ctx context.Context, n bot.Notification) error {
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
		return fmt.Errorf("%w: broken", bot.ErrPermanent)
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

func TestPoolKeepsChatOrderAndRunsChatsInParallel(t *testing.T) {
	t.Parallel()
	s := openStore(t, "")
	rec := newRecorder()
	rec.slow["a1"] = 500 * time.Millisecond // a chat waiting on Green API
	pool := bot.NewPool(s, rec.handle, bot.PoolConfig{MinRetry: time.Millisecond}, discard(), nopPoolMetrics{})
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
	if n, _ := s.CountPending(context.Background()); n != 0 {
		t.Errorf("%d still pending", n)
	}
}

func TestPoolRetriesAndSetsAsidePermanentFailures(t *testing.T) {
	t.Parallel()
	s := openStore(t, "")
	rec := newRecorder()
	rec.fail["x1"] = 2
	rec.perm["x2"] = true
	pool := bot.NewPool(s, rec.handle, bot.PoolConfig{MinRetry: time.Millisecond, MaxRetry: 5 * time.Millisecond}, discard(), nopPoolMetrics{})
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
	deadline := time.Now().Add(5 * time.Second)
	for pool.Depth() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n, _ := s.CountPending(context.Background()); n != 0 {
		t.Errorf("%d still pending; the permanent failure must be finished and kept aside", n)
	}
}

func TestPoolResumesWhatWasLeft(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fd.db")
	s := openStore(t, path)
	rec := newRecorder()
	rec.slow["r1"] = time.Hour
	pool := bot.NewPool(s, rec.handle, bot.PoolConfig{}, discard(), nopPoolMetrics{})
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
	pool2 := bot.NewPool(s, rec2.handle, bot.PoolConfig{}, discard(), nopPoolMetrics{})
	if err := pool2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool2.Stop(context.Background())
	rec2.wait(t, 2)
	if got := fmt.Sprint(rec2.order["r@c.us"]); got != "[r1 r2]" {
		t.Errorf("after restart handled %s", got)
	}
}
