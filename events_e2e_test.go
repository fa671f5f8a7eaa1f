package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/events"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/schema"
)

const e2eEventsSecret = "e2e-events-secret-0123456789abcdef"

// TestEndToEndEventsSurviveAFailingReceiverAndAKill: the receiver answers
// 500, drops connections and then comes back, while Frontdesk is SIGKILLed
// once in the middle: every first contact's event arrives, signed; a
// receiver that keeps the ids it has seen handles each exactly once.
func TestEndToEndEventsSurviveAFailingReceiverAndAKill(t *testing.T) {
	t.Parallel()
	var (
		mu        sync.Mutex
		attempts  int
		delivered = map[string]int{} // event id: deliveries answered 2xx
		bodies    = map[string][]byte{}
		bad       int
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		attempts++
		n := attempts
		mu.Unlock()
		switch {
		case n <= 5:
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		case n <= 8: // the connection breaks before an answer
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		case n == 9: // no answer before Frontdesk's 10 s timeout
			select {
			case <-r.Context().Done():
			case <-time.After(15 * time.Second):
			}
			return
		}
		if err := events.Verify(e2eEventsSecret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			mu.Lock()
			bad++
			mu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		id := r.Header.Get(events.HeaderEventID)
		mu.Lock()
		delivered[id]++
		bodies[id] = body
		mu.Unlock()
	}))
	defer receiver.Close()

	fake := greenapitest.New(t)
	db := filepath.Join(t.TempDir(), "fd.db")
	port := freePort(t)
	env := []string{"EVENTS_URL=" + receiver.URL, "EVENTS_SECRET=" + e2eEventsSecret, "LOOKUP_TIMEOUT=2s"}
	p := start(t, fake, port, db, env...)
	fake.DeliverWebhooks("http://"+net.JoinHostPort("127.0.0.1", itoa(port))+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	const senders = 12
	chat := func(i int) string { return "4915112399" + pad2(i) + "@c.us" }
	for i := range senders / 2 {
		fake.PushIncoming(greenapitest.Incoming{ChatID: chat(i), Text: "Hallo", SenderName: "Sender " + itoa(i)})
	}
	for i := range senders / 2 {
		fake.WaitSent(chat(i), 1, 15*time.Second)
	}
	p.kill() // events of the first half wait in the outbox, some attempted
	for i := senders / 2; i < senders; i++ {
		fake.PushIncoming(greenapitest.Incoming{ChatID: chat(i), Text: "Hallo", SenderName: "Sender " + itoa(i)})
	}
	p = start(t, fake, port, db, env...)
	waitFor(t, "every first contact's event", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) >= senders
	})
	p.stop(t)
	mu.Lock()
	defer mu.Unlock()
	eventsSchema, err := schema.CompileEvents()
	if err != nil {
		t.Fatal(err)
	}
	chats := map[string]bool{}
	twice := 0
	for id, n := range delivered {
		if n > 1 {
			twice++
		}
		var e struct {
			Type   string `json:"type"`
			ChatID string `json:"chat_id"`
		}
		if err := json.Unmarshal(bodies[id], &e); err != nil || e.Type != "first_contact" {
			t.Errorf("event %s: %s (%v)", id, bodies[id], err)
		}
		if err := schema.Validate(eventsSchema, bodies[id]); err != nil {
			t.Errorf("event %s does not follow schema/events.schema.json: %v", id, err)
		}
		chats[e.ChatID] = true
	}
	t.Logf("RELIABILITY events: %d first contacts, Frontdesk SIGKILLed once, the receiver failed its first 9 attempts (5 × 500, 3 dropped connections, 1 past the 10 s timeout): %d attempts in all, %d distinct events received, %d received more than once (the receiver keeps one), %d with a bad signature",
		senders, attempts, len(delivered), twice, bad)
	if len(chats) != senders || bad != 0 {
		t.Errorf("events for %d of %d senders, %d with a bad signature", len(chats), senders, bad)
	}
}

func pad2(i int) string {
	if i < 10 {
		return "0" + itoa(i)
	}
	return itoa(i)
}

func itoa(i int) string { return strconv.Itoa(i) }
