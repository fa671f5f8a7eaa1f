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
