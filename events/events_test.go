package events_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/events"
	"github.com/frontdesk-bot/frontdesk/schema"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

const secret = "events-secret-0123456789abcdef"

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"x"}`)
	signed := func(secret string, ts time.Time) http.Header {
		h := http.Header{}
		h.Set(events.HeaderTimestamp, itoa(ts.Unix()))
		h.Set(events.HeaderSignature, events.Sign(secret, ts.Unix(), body))
		return h
	}
	for _, tt := range []struct {
		name string
		h    http.Header
		body []byte
		ok   bool
	}{
		{"signed", signed(secret, now), body, true},
		{"another secret", signed("another-secret-0123456789", now), body, false},
		{"body changed", signed(secret, now), []byte(`{"id":"y"}`), false},
		{"replayed an hour later", signed(secret, now.Add(-time.Hour)), body, false},
		{"no headers", http.Header{}, body, false},
	} {
		err := events.Verify(secret, tt.h, tt.body, now, 5*time.Minute)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

type metrics struct {
	mu       sync.Mutex
	outcomes map[string]int
}

func (m *metrics) EventAttempt(o string)  { m.mu.Lock(); m.outcomes[o]++; m.mu.Unlock() }
func (m *metrics) EventsWaiting(int, int) {}

// TestDelivererKeepsOrderRetriesAndGivesUp: a receiver that fails a
// chat's first event three times; the chat's second event waits behind
// it, another chat's goes on; an event refused for longer than RetryFor is
// dead and holds nothing back.
func TestDelivererKeepsOrderRetriesAndGivesUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var mu sync.Mutex
	var got []string
	failures := map[string]int{"a1": 3, "c1": 1000}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := events.Verify(secret, r.Header, body, time.Now(), time.Minute); err != nil {
			t.Errorf("a delivery fails its signature: %v", err)
		}
		id := r.Header.Get(events.HeaderEventID)
		mu.Lock()
		defer mu.Unlock()
		if failures[id] > 0 {
			failures[id]--
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		got = append(got, id)
	}))
	defer receiver.Close()
	created := time.Now()
	for _, e := range []struct{ id, chat string }{{"a1", "a@c.us"}, {"a2", "a@c.us"}, {"b1", "b@c.us"}, {"c1", "c@c.us"}, {"c2", "c@c.us"}} {
		if err := store.AddEvent(ctx, bot.OutboxEvent{ID: e.id, ChatID: e.chat, Body: []byte(`{"id":"` + e.id + `"}`), CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
	}
	m := &metrics{outcomes: map[string]int{}}
	d := events.NewDeliverer(store, events.Config{URL: receiver.URL, Secret: secret, RetryFor: 2 * time.Second,
		MaxBackoff: 50 * time.Millisecond, PollEvery: 10 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)), m)
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stopped := make(chan struct{})
	go func() { defer close(stopped); d.Run(runCtx) }()
	for {
		// Wait for the deliverer's own count, not the receiver's: the
		// receiver records an event before the deliverer has its answer.
		mu.Lock()
		n := len(got)
		mu.Unlock()
		m.mu.Lock()
		settled := m.outcomes["delivered"] == 4 && m.outcomes["dead"] == 1
		m.mu.Unlock()
		if n == 4 && settled {
			break
		}
		if runCtx.Err() != nil {
			t.Fatalf("delivered %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
	mu.Lock()
	order := strings.Join(got, " ")
	mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if strings.Index(order, "a1") > strings.Index(order, "a2") || !strings.HasSuffix(order, "c2") {
		t.Errorf("delivered %q; want a1 before a2, and c2 once c1 died", order)
	}
	if m.outcomes["dead"] != 1 || m.outcomes["failed"] < 3 || m.outcomes["delivered"] != 4 {
		t.Errorf("outcomes %v; want 4 delivered, 1 dead, failures retried", m.outcomes)
	}
}

// TestEventsFollowTheSchema: both event types, with every field and with
// the fewest, validate against schema/events.schema.json.
func TestEventsFollowTheSchema(t *testing.T) {
	t.Parallel()
	events, err := schema.CompileEvents()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for _, e := range []bot.Event{
		bot.NewEvent(bot.EventFirstContact, "1101000001", "4915112345678@c.us", at, bot.FirstContactData{IDMessage: "BAE5", Phone: "+49 1511 2345678",
			Name: "Jana", Email: "jana@example.de", Category: "Bäckerei", Description: "Brot", IsBusiness: true, Products: 3,
			Rule: "business", Tag: "lead", Locale: "de", Replied: true, Forwarded: true, Degraded: "timeout", GaveUp: "rejected", Skipped: "human",
			Choice: "sales", Answered: true}),
		bot.NewEvent(bot.EventFirstContact, "1101000001", "4915112345678@c.us", at, bot.FirstContactData{IDMessage: "BAE9", Rule: "menu", ChoiceTimedOut: true}),
		bot.NewEvent(bot.EventFirstContact, "1101000001", "4915112345678@c.us", at, bot.FirstContactData{IDMessage: "BAE6"}),
		bot.NewEvent(bot.EventGreenAPIProblem, "1101000001", "", at, bot.GreenAPIProblemData{Problem: "quota_exceeded", Method: "sendMessage", Detail: "HTTP 466"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "opted_out", IDMessage: "BAE7"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "language_chosen", IDMessage: "BAE8", Locale: "es"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "answered", IDMessage: "BAE6", WaitedSeconds: 300, By: "phone"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "reminded", IDMessage: "BAE6", To: "120363000000000001@g.us"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "claimed", IDMessage: "BAE6", Operator: "Anna",
			OperatorPhone: "+55 11 90000-0001"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "call", IDMessage: "0CC5", Status: "missed",
			FirstContact: true, Replied: true}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "call", IDMessage: "0CC6", Status: "declined"}),
		bot.NewEvent(bot.EventConversation, "1101000001", "4915112345678@c.us", at, bot.ConversationData{Event: "rating", IDMessage: "BAE6", Rating: 5}),
	} {
		out, err := e.Outbox()
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(events, out.Body); err != nil {
			t.Errorf("%s: %v\n%s", e.Type, err, out.Body)
		}
	}
	// And the schema says no to a first contact without its fields, and
	// to a type it does not know.
	for _, bad := range []string{
		`{"id":"0123456789abcdef0123456789abcdef","type":"first_contact","created_at":"2026-11-28T12:00:00Z","chat_id":"1@c.us","data":{}}`,
		`{"id":"0123456789abcdef0123456789abcdef","type":"away_reply","created_at":"2026-11-28T12:00:00Z","data":{}}`,
	} {
		if err := schema.Validate(events, []byte(bad)); err == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}
}
