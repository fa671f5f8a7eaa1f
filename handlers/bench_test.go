package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// BenchmarkWebhook is the durable acknowledgement in process: auth, body
// limit, parse, the group-committed insert into SQLite (fsync included) and
// the 200, from many concurrent requests as Green API's retries and several
// instances would send. The network is left out; bench/loadgen has it.
//
//	go test -run '^$' -bench Webhook -benchmem ./handlers
func BenchmarkWebhook(b *testing.B) {
	s := newServiceLogging(b, slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	var seq atomic.Int64
	b.SetParallelism(32) // 32 × GOMAXPROCS requests in flight
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := bytes.Replace([]byte(message(fmt.Sprintf(`"7900%07d@c.us"`, n%5000), `"Ivan"`, `"hello"`)), []byte(`"idMessage":"`), fmt.Appendf(nil, `"idMessage":"B%d`, n), 1)
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	stored, err := s.store.CountNotifications(b.Context())
	if err != nil || int64(stored) != seq.Load() {
		b.Fatalf("%d of %d notifications stored (%v)", stored, seq.Load(), err)
	}
}
