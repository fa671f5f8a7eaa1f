package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
)

type nopInboxMetrics struct{}

func (nopInboxMetrics) Accepted(string, string, queue.Outcome) {}
func (nopInboxMetrics) QuotaExceeded(string)                   {}

// ambiguousStore commits a notification and then reports an error, as a
// PostgreSQL connection that drops after its COMMIT does.
type ambiguousStore struct {
	*sqlite.DB
	failNext atomic.Bool
}

func (s *ambiguousStore) AddNotification(ctx context.Context, n queue.Notification) (int64, error) {
	id, err := s.DB.AddNotification(ctx, n)
	if err == nil && s.failNext.CompareAndSwap(true, false) {
		return 0, errors.New("connection lost after COMMIT")
	}
	return id, err
}

func incoming(chat, id string) []byte {
	quote := func(s string) []byte { b, _ := json.Marshal(s); return b }
	return fmt.Appendf(nil, `{"typeWebhook":"incomingMessageReceived","instanceData":{"idInstance":1101000001,"wid":"79001234567@c.us","typeInstance":"whatsapp"},
		"timestamp":1700000000,"idMessage":%s,"senderData":{"chatId":%s,"sender":%s,"senderName":"Ana"},
		"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"hi"}}}`, quote(id), quote(chat), quote(chat))
}

// TestPoolWorksAStoredNotificationThatNeverReachedIt is issue #24's item 1:
// the store commits a notification but reports an error, so the webhook
// answers 500; Green API's resend is a duplicate, acknowledged and not
// queued. Before the pool reconciled with the store, the notification was
// never worked until a restart.
func TestPoolWorksAStoredNotificationThatNeverReachedIt(t *testing.T) {
	t.Parallel()
	s := &ambiguousStore{DB: sqlitetest.Open(t, "")}
	handled := make(chan string, 10)
	handle := func(_ context.Context, n queue.Notification) error { handled <- n.IDMessage; return nil }
	pool := queue.NewPool(s, handle, queue.PoolConfig{ReconcileEvery: 100 * time.Millisecond}, discard(), nil)
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	inbox := queue.NewInbox(s, pool, discard(), nopInboxMetrics{})

	body := incoming("491512345678@c.us", "BAE5F4886F6F2D05")
	s.failNext.Store(true)
	if _, err := inbox.Accept(context.Background(), "1101000001", body); err == nil {
		t.Fatal("the first delivery must fail: the store reported an error")
	}
	if outcome, err := inbox.Accept(context.Background(), "1101000001", body); outcome != queue.Duplicate || err != nil {
		t.Fatalf("the resend: %s, %v; want a duplicate", outcome, err)
	}
	select {
	case id := <-handled:
		if id != "BAE5F4886F6F2D05" {
			t.Fatalf("handled %s", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the stored notification was not worked; %d pending", must(s.CountPending(context.Background())))
	}
	select {
	case id := <-handled:
		t.Fatalf("handled %s twice", id)
	case <-time.After(300 * time.Millisecond):
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// staleStart reads no pending notification the first time: the read Start
// makes came before a notification's commit.
type staleStart struct {
	*sqlite.DB
	read atomic.Bool
}

func (s *staleStart) PendingNotifications(ctx context.Context, after int64, limit int) ([]queue.Notification, error) {
	if s.read.CompareAndSwap(false, true) {
		return nil, nil
	}
	return s.DB.PendingNotifications(ctx, after, limit)
}

// TestPoolKeepsWhatIsEnqueuedBeforeStart: a notification given to Enqueue
// before Start (polling that began first) is worked once the pool starts;
// it was silently dropped, after Green API had deleted it from its queue.
func TestPoolKeepsWhatIsEnqueuedBeforeStart(t *testing.T) {
	t.Parallel()
	s := &staleStart{DB: sqlitetest.Open(t, "")}
	handled := make(chan string, 10)
	handle := func(_ context.Context, n queue.Notification) error { handled <- n.IDMessage; return nil }
	pool := queue.NewPool(s, handle, queue.PoolConfig{ReconcileEvery: time.Hour}, discard(), nil)
	pool.Enqueue(store(t, s, "a@c.us", "early"))
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop(context.Background())
	select {
	case id := <-handled:
		if id != "early" {
			t.Fatalf("handled %s", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a notification enqueued before Start was dropped")
	}
}
