package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

// service is the webhook with the real inbox on a real SQLite store; the
// pool is not started, so stored notifications simply wait.
type service struct {
	http.Handler              // the public listener
	admin        http.Handler // the operations listener
	store        *sqlite.DB
}

func newService(tb testing.TB) *service {
	tb.Helper()
	return newServiceLogging(tb, logtest.Logger())
}

func newServiceLogging(tb testing.TB, log *slog.Logger) *service {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "fd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	metrics := handlers.NewMetrics()
	pool := queue.NewPool(store, func(context.Context, queue.Notification) error { return nil }, queue.PoolConfig{}, log, metrics)
	d := deps(queue.NewInbox(store, pool, log, metrics), pinger{}, nil)
	d.Store, d.Log = store, log
	return &service{Handler: handlers.Public(d), admin: handlers.Admin(d), store: store}
}

func (s *service) post(auth string, body io.Reader) int {
	req := httptest.NewRequest(http.MethodPost, "/webhook", body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code
}

func (s *service) counts(tb testing.TB) (stored, dead int) {
	tb.Helper()
	stored, err := s.store.CountNotifications(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	dead, err = s.store.CountDeadLetters(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return stored, dead
}

func message(chatID, senderName, text string) string {
	return `{"typeWebhook":"incomingMessageReceived","instanceData":{"idInstance":1101000001,"wid":"71231234567@c.us","typeInstance":"whatsapp"},` +
		`"timestamp":1703014480,"idMessage":"3EB063C771F28EB323FAE3","senderData":{"chatId":` + chatID + `,"sender":` + chatID +
		`,"senderName":` + senderName + `},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":` + text + `}}}`
}

func TestBadInputLosesNothingAndKeepsServing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		status      int
		stored      int
		deadLetters int
	}{
		{"a normal message", message(`"79001234567@c.us"`, `"Ivan"`, `"hi"`), 200, 1, 0},
		{"not JSON", "this is not json", 200, 0, 1},
		{"empty body", "", 200, 0, 1},
		{"invalid UTF-8", message(`"79001234567@c.us"`, "\"\xff\xfe\"", "\"bad \xc3\x28 bytes\""), 200, 1, 0},
		{"deeply nested JSON", `{"typeWebhook":"incomingMessageReceived","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, 200, 0, 1},
		{"unknown typeWebhook", `{"typeWebhook":"somethingNew","instanceData":{"idInstance":1101000001}}`, 200, 0, 1},
		{"another instance's body", `{"typeWebhook":"somethingNew","instanceData":{"idInstance":1101000002}}`, 401, 0, 0},
		{"every field missing", `{"typeWebhook":"incomingMessageReceived"}`, 200, 0, 1},
		{"a type we ignore", `{"typeWebhook":"deviceInfo","instanceData":{"idInstance":1101000001},"timestamp":1}`, 200, 0, 0},
		{"odd characters in the chat id", message(`"'; DROP TABLE notifications;--\u0000\n@c.us"`, `"x"`, `"hi"`), 200, 1, 0},
		{"formatting, emoji and right-to-left text", message(`"972501234567@c.us"`, `"*שלום* _עולם_ 🎉\u202e~x~"`, `"\u200f*bold* 👍🏽"`), 200, 1, 0},
		{"10 MiB", strings.Repeat("x", 10<<20), 413, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newService(t)
			if got := s.post("Bearer "+token, strings.NewReader(tt.body)); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
			stored, dead := s.counts(t)
			if stored != tt.stored || dead != tt.deadLetters {
				t.Errorf("stored %d, dead letters %d; want %d, %d", stored, dead, tt.stored, tt.deadLetters)
			}
			if tt.stored == 1 {
				pending, _ := s.store.PendingNotifications(context.Background(), 0, 10)
				n, _ := s.store.GetNotification(context.Background(), pending[0].ID)
				if string(n.Body) != tt.body {
					t.Error("the stored body differs from the one Green API sent")
				}
			}
			rec := httptest.NewRecorder()
			s.admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != 200 {
				t.Errorf("/readyz = %d after this input", rec.Code)
			}
		})
	}
}

func TestUnauthenticatedRequestsWriteNothing(t *testing.T) {
	t.Parallel()
	s := newService(t)
	for range 100 {
		s.post("Bearer nope", strings.NewReader(message(`"79001234567@c.us"`, `"x"`, `"hi"`)))
		s.post("", strings.NewReader(strings.Repeat("x", 1<<20)))
	}
	if stored, dead := s.counts(t); stored != 0 || dead != 0 {
		t.Errorf("unauthenticated requests stored %d notifications and %d dead letters", stored, dead)
	}
}

func FuzzWebhook(f *testing.F) {
	f.Add("Bearer "+token, []byte(message(`"79001234567@c.us"`, `"Ivan"`, `"hi"`)))
	f.Add("Basic "+token, []byte(`{"typeWebhook":"outgoingMessageStatus","chatId":"1@c.us","idMessage":"A"}`))
	f.Add("Bearer x", []byte(`{}`))
	f.Add("", []byte("not json"))
	s := newService(f)
	f.Fuzz(func(t *testing.T, auth string, body []byte) {
		storedBefore, deadBefore := s.counts(t)
		status := s.post(auth, strings.NewReader(string(body)))
		stored, dead := s.counts(t)
		added := (stored - storedBefore) + (dead - deadBefore)
		switch status {
		case http.StatusUnauthorized:
			if added != 0 {
				t.Fatalf("an unauthenticated request stored %d rows", added)
			}
		case http.StatusOK:
			if added > 1 {
				t.Fatalf("one request stored %d rows", added)
			}
		case http.StatusRequestEntityTooLarge:
			if added != 0 {
				t.Fatal("an oversized body was stored")
			}
		default:
			t.Fatalf("status %d", status)
		}
	})
}
