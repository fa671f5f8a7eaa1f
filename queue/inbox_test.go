package queue_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
)

// deadLetters counts the bodies kept aside.
type deadLetters struct {
	queue.Store
	kept    atomic.Int32
	reasons atomic.Value
}

func (d *deadLetters) AddDeadLetter(ctx context.Context, instance string, body []byte, reason string, at time.Time) error {
	d.kept.Add(1)
	d.reasons.Store(reason)
	return d.Store.AddDeadLetter(ctx, instance, body, reason, at)
}

// TestInboxSetsAsideWhatTheStoreCannotKeep is issue #24's item 3: a
// notification whose ids PostgreSQL cannot index ("index row requires 9032
// bytes") was answered 500 for ever, and Green API's queue for the number
// stalled behind it. It goes to the dead letters, acknowledged, on both
// stores; on PostgreSQL a value the database refuses (a NUL byte in a
// chatId) does too.
func TestInboxSetsAsideWhatTheStoreCannotKeep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, chat, id string
		only           string // the store the case is for; "" both
		reason         string
	}{
		{"an idMessage of 9 KB", "491512345678@c.us", strings.Repeat("A", 9000), "", "idMessage of 9000"},
		{"a chatId of 9 KB", strings.Repeat("4", 9000) + "@c.us", "BAE5F4886F6F2D05", "", "chatId of 9005 bytes"},
		{"a NUL byte in the chatId", "4915\x0012345678@c.us", "BAE5F4886F6F2D06", "postgres", "cannot keep this notification"},
	}
	for _, name := range storeNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := &deadLetters{Store: openStore(t, name)}
			handled := make(chan string, 10)
			pool := queue.NewPool(s, func(_ context.Context, n queue.Notification) error { handled <- n.IDMessage; return nil },
				queue.PoolConfig{}, discard(), nil)
			if err := pool.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer pool.Stop(context.Background())
			inbox := queue.NewInbox(s, pool, discard(), nopInboxMetrics{})
			for _, c := range cases {
				if c.only != "" && c.only != name {
					continue
				}
				before := s.kept.Load()
				outcome, err := inbox.Accept(context.Background(), "1101000001", incoming(c.chat, c.id))
				if outcome != queue.DeadLetter || err != nil {
					t.Errorf("%s: %q, %v; want it in the dead letters and acknowledged", c.name, outcome, err)
					continue
				}
				if reason, _ := s.reasons.Load().(string); s.kept.Load() != before+1 || !strings.Contains(reason, c.reason) {
					t.Errorf("%s: %d dead letters kept, reason %q; want one saying %q", c.name, s.kept.Load()-before, reason, c.reason)
				}
			}
			// The number's next notification is stored and worked as usual.
			if outcome, err := inbox.Accept(context.Background(), "1101000001", incoming("491512345678@c.us", "NEXT")); outcome != queue.Stored || err != nil {
				t.Fatalf("the next notification: %q, %v", outcome, err)
			}
			select {
			case id := <-handled:
				if id != "NEXT" {
					t.Errorf("worked %q", id)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the next notification was not worked")
			}
		})
	}
}

// storeNames are the stores a test of the machinery runs against.
var storeNames = []string{"sqlite", "postgres"}

// openStore opens an empty store of the named kind, closed when tb ends.
func openStore(tb testing.TB, name string) queue.Store {
	tb.Helper()
	if name == "sqlite" {
		return sqlitetest.Open(tb, "")
	}
	db, err := postgres.Open(context.Background(), postgrestest.SchemaURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestInboxStoresEachStatusOfACall: a call sends several statuses under
// one idMessage; each is stored once for the caller's chat, keyed by the
// id and the status, and a duplicate of one status is dropped; a call
// without its caller or id is kept aside.
func TestInboxStoresEachStatusOfACall(t *testing.T) {
	t.Parallel()
	call := func(from, id, status string) []byte {
		return []byte(`{"typeWebhook":"incomingCall","instanceData":{"idInstance":1101000001,"wid":"71231234567@c.us","typeInstance":"whatsapp"},` +
			`"from":"` + from + `","status":"` + status + `","timestamp":1706505874,"idMessage":"` + id + `"}`)
	}
	for _, name := range storeNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, name)
			stored := make(chan queue.Notification, 10)
			pool := queue.NewPool(s, func(context.Context, queue.Notification) error { return nil }, queue.PoolConfig{}, discard(), nil)
			inbox := queue.NewInbox(s, pool, discard(), nopInboxMetrics{})
			inbox.OnStored = func(n queue.Notification) { stored <- n }
			for _, c := range []struct {
				body []byte
				want queue.Outcome
			}{
				{call("71234567890@c.us", "0CC5", "offer"), queue.Stored},
				{call("71234567890@c.us", "0CC5", "missed"), queue.Stored},
				{call("71234567890@c.us", "0CC5", "missed"), queue.Duplicate},
				{call("71234567890@c.us", "0CC5", "offer"), queue.Duplicate},
				{call("71234567891@c.us", "0CC5", "missed"), queue.Stored},
				{call("", "0CC6", "missed"), queue.DeadLetter},
				{call("71234567890@c.us", "", "missed"), queue.DeadLetter},
			} {
				if got, err := inbox.Accept(context.Background(), "1101000001", c.body); got != c.want || err != nil {
					t.Errorf("%s: %q, %v; want %q", c.body, got, err, c.want)
				}
			}
			close(stored)
			var keys []string
			for n := range stored {
				keys = append(keys, n.ChatID+" "+n.IDMessage)
			}
			want := "71234567890@c.us 0CC5/offer, 71234567890@c.us 0CC5/missed, 71234567891@c.us 0CC5/missed"
			if strings.Join(keys, ", ") != want {
				t.Errorf("stored %q, want %q", strings.Join(keys, ", "), want)
			}
		})
	}
}
