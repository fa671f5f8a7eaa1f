package events_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/events"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

// BenchmarkDelivererDrainsTheOutbox: how fast one replica empties an
// outbox into a receiver on loopback that answers at once (SQLite, each
// delivery recorded durably).
func BenchmarkDelivererDrainsTheOutbox(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "fd.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
	}))
	defer receiver.Close()
	body := []byte(`{"id":"0123456789abcdef0123456789abcdef","type":"first_contact","chat_id":"491512345678@c.us","data":{"id_message":"BAE5","is_business":false,"products":0,"rule":"named","tag":"","locale":"de","replied":true,"forwarded":false}}`)
	for i := range b.N {
		if err := store.AddEvent(ctx, bot.OutboxEvent{ID: fmt.Sprint("e", i), ChatID: fmt.Sprintf("4915%08d@c.us", i), Body: body, CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	d := events.NewDeliverer(store, events.Config{URL: receiver.URL, Secret: secret, PollEvery: time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)), &metrics{outcomes: map[string]int{}})
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	defer func() { cancel(); <-stopped }()
	b.ResetTimer()
	start := time.Now()
	go func() { defer close(stopped); d.Run(runCtx) }()
	for received.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
