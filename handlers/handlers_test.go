package handlers_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
)

const token = "0123456789abcdef0123456789abcdef"

// fakeInbox records what reaches the inbox.
type fakeInbox struct {
	bodies []string
	err    error
}

func (f *fakeInbox) Accept(_ context.Context, body []byte) (bot.Outcome, error) {
	if f.err != nil {
		return "", f.err
	}
	f.bodies = append(f.bodies, string(body))
	return bot.Stored, nil
}

// panickingInbox is an inbox with a bug.
type panickingInbox struct{}

func (panickingInbox) Accept(context.Context, []byte) (bot.Outcome, error) {
	panic("inbox bug: nil map")
}

func TestAPanicIsAnsweredWith500AndLoggedAsJSON(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	h := handlers.Public(handlers.Deps{Inbox: panickingInbox{}, WebhookTokens: []string{token}, Store: pinger{}, Instance: &handlers.Instance{},
		Metrics: handlers.NewMetrics(), Log: slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, logtest.Writer()), nil))})
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{"typeWebhook":"incomingMessageReceived"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d after a panic, want 500 (so Green API sends the notification again)", rec.Code)
	}
	line := logs.String()
	if !strings.Contains(line, `"level":"ERROR","msg":"panic while serving a request","method":"POST","path":"/webhook","panic":"inbox bug: nil map"`) {
		t.Errorf("the panic was not logged as a JSON line:\n%s", line)
	}
	// The server goes on serving.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz after a panic = %d", rec.Code)
	}
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func deps(inbox handlers.Acceptor, store pinger, inst *handlers.Instance) handlers.Deps {
	if inst == nil {
		inst = &handlers.Instance{}
		inst.Set("authorized", nil)
	}
	return handlers.Deps{Inbox: inbox, WebhookTokens: []string{token}, Store: store, Instance: inst,
		Metrics: handlers.NewMetrics(), Log: logtest.Logger()}
}

// router is the public listener's router.
func router(inbox handlers.Acceptor, store pinger, inst *handlers.Instance) http.Handler {
	return handlers.Public(deps(inbox, store, inst))
}

// admin is the operations listener's router.
func admin(store pinger, inst *handlers.Instance) http.Handler {
	return handlers.Admin(deps(&fakeInbox{}, store, inst))
}

func TestWebhookAuthAndSize(t *testing.T) {
	t.Parallel()
	body := `{"typeWebhook":"incomingMessageReceived"}`
	tests := []struct {
		name   string
		auth   string
		body   string
		status int
		stored bool
	}{
		{"bearer", "Bearer " + token, body, 200, true},
		{"basic, as Green API also sends", "Basic " + token, body, 200, true},
		{"lower-case scheme", "bearer " + token, body, 200, true},
		{"extra spaces", "Bearer   " + token + "  ", body, 200, true},
		{"no header", "", body, 401, false},
		{"wrong token", "Bearer " + strings.Repeat("x", len(token)), body, 401, false},
		{"token too short", "Bearer " + token[:10], body, 401, false},
		{"token too long", "Bearer " + token + "x", body, 401, false},
		{"no scheme", token, body, 401, false},
		{"other scheme", "Token " + token, body, 401, false},
		{"body over 1 MiB", "Bearer " + token, strings.Repeat("a", handlers.MaxBodyBytes+1), 413, false},
		{"body of exactly 1 MiB", "Bearer " + token, strings.Repeat("a", handlers.MaxBodyBytes), 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inbox := &fakeInbox{}
			req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			router(inbox, pinger{}, nil).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if stored := len(inbox.bodies) == 1; stored != tt.stored {
				t.Errorf("stored = %v, want %v", stored, tt.stored)
			}
		})
	}
}

func TestWebhookChunkedBodyOverLimit(t *testing.T) {
	t.Parallel()
	inbox := &fakeInbox{}
	req := httptest.NewRequest(http.MethodPost, "/webhook", io.MultiReader(strings.NewReader(strings.Repeat("a", handlers.MaxBodyBytes)), strings.NewReader("b")))
	req.ContentLength = -1 // no declared length: the limit must hold while reading
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	router(inbox, pinger{}, nil).ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || len(inbox.bodies) != 0 {
		t.Errorf("status = %d, stored %d", rec.Code, len(inbox.bodies))
	}
}

func TestWebhookStoreFailureIsNot200(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	router(&fakeInbox{err: errors.New("disk full")}, pinger{}, nil).ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d; Green API must keep a notification we could not store", rec.Code)
	}
}

func TestProbes(t *testing.T) {
	t.Parallel()
	notAuthorized := &handlers.Instance{}
	notAuthorized.Set("notAuthorized", nil)
	unreachable := &handlers.Instance{}
	unreachable.Set("", errors.New("dial tcp: connection refused"))
	paused := &handlers.Instance{}
	paused.Set("authorized", nil)
	paused.SetPaused(errors.New("greenapi: getStateInstance: HTTP 500 server error"))
	joining := &handlers.Instance{}
	joining.Set("authorized", nil)
	joining.JoinUntil(time.Now().Add(time.Hour))
	tests := []struct {
		name   string
		path   string
		store  pinger
		inst   *handlers.Instance
		status int
		body   string
	}{
		{"alive", "/healthz", pinger{}, nil, 200, `"ok"`},
		{"ready", "/readyz", pinger{}, nil, 200, `"instance":"authorized"`},
		{"store down", "/readyz", pinger{errors.New("database is locked")}, nil, 503, "database is locked"},
		{"instance not authorized", "/readyz", pinger{}, notAuthorized, 503, "notAuthorized"},
		{"green api unreachable", "/readyz", pinger{}, unreachable, 503, "connection refused"},
		{"calls paused", "/readyz", pinger{}, paused, 503, `"greenapi_calls":"paused: greenapi: getStateInstance: HTTP 500`},
		{"replica joining", "/readyz", pinger{}, joining, 503, `"replica":"joining: the other replicas learn of this one until`},
		{"metrics", "/metrics", pinger{}, nil, 200, "frontdesk_inbox_depth"},
		{"paused metric", "/metrics", pinger{}, nil, 200, "frontdesk_greenapi_paused 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			admin(tt.store, tt.inst).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("%s = %d %q; want %d containing %q", tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
			}
		})
	}
}
