package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// TestPublicListenerServesOnlyTheWebhook: the port that faces the internet
// shows neither the business's traffic nor the instance's state, and its
// answers name no software.
func TestPublicListenerServesOnlyTheWebhook(t *testing.T) {
	t.Parallel()
	public := router(&fakeInbox{}, pinger{}, nil)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/metrics", 404},
		{http.MethodGet, "/readyz", 404},
		{http.MethodGet, "/", 404},
		{http.MethodGet, "/webhook", 404},
		{http.MethodGet, "/debug/pprof/", 404},
		{http.MethodPost, "/webhook", 401},
		{http.MethodGet, "/healthz", 200},
	} {
		rec := httptest.NewRecorder()
		public.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		body := strings.ToLower(rec.Body.String())
		if rec.Code != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.status)
		}
		for _, leak := range []string{"frontdesk", "gin", "golang", "go1.", "version", "inbox", "authorized"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s %s says %q: %s", tt.method, tt.path, leak, body)
			}
		}
		if server := rec.Header().Get("Server"); server != "" {
			t.Errorf("%s %s carries a Server header %q", tt.method, tt.path, server)
		}
	}
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	d := deps(&fakeInbox{}, pinger{}, nil)
	d.MetricsToken = "metrics-token-0123456789"
	h := handlers.Admin(d)
	for _, tt := range []struct {
		auth   string
		status int
	}{
		{"", 401},
		{"Bearer wrong-token-0123456789", 401},
		{"Bearer " + token, 401}, // the webhook's token opens nothing else
		{"Bearer metrics-token-0123456789", 200},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status || (tt.status == 200 && !strings.Contains(rec.Body.String(), "frontdesk_inbox_depth")) {
			t.Errorf("/metrics with %q = %d, want %d", tt.auth, rec.Code, tt.status)
		}
	}
	// Without a token /metrics is open: the listener itself is private.
	rec := httptest.NewRecorder()
	admin(pinger{}, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 {
		t.Errorf("/metrics without METRICS_TOKEN = %d", rec.Code)
	}
}

// TestWebhookTokenRotation: during a rotation both the new and the
// previous token are accepted, so no notification is refused while the
// console and Frontdesk change over; nothing else is.
func TestWebhookTokenRotation(t *testing.T) {
	t.Parallel()
	const previous = "previous-token-0123456789abcdef"
	d := deps(&fakeInbox{}, pinger{}, nil)
	inst := handlers.NewInstance(instanceID)
	d.Instances.Set([]handlers.InstanceEntry{{Instance: inst, Tokens: []string{token, previous}}})
	h := handlers.Public(d)
	for _, tt := range []struct {
		auth   string
		status int
	}{
		{"Bearer " + token, 200},
		{"Bearer " + previous, 200},
		{"Bearer " + previous + "x", 401},
		{"Bearer ", 401},
	} {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{"typeWebhook":"incomingMessageReceived"}`))
		req.Header.Set("Authorization", tt.auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("webhook with %q = %d, want %d", tt.auth, rec.Code, tt.status)
		}
	}
}

// blockingInbox holds every request until released.
type blockingInbox struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingInbox) Accept(context.Context, string, []byte) (queue.Outcome, error) {
	b.entered <- struct{}{}
	<-b.release
	return queue.Stored, nil
}

func TestPublicListenerBoundsRequestsInFlight(t *testing.T) {
	t.Parallel()
	inbox := &blockingInbox{entered: make(chan struct{}, handlers.MaxInFlight), release: make(chan struct{})}
	h := router(inbox, pinger{}, nil)
	post := func() int {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	var wg sync.WaitGroup
	for range handlers.MaxInFlight {
		wg.Add(1)
		go func() { defer wg.Done(); post() }()
	}
	for range handlers.MaxInFlight {
		<-inbox.entered
	}
	if code := post(); code != http.StatusServiceUnavailable {
		t.Errorf("request %d while %d are in flight = %d, want 503", handlers.MaxInFlight+1, handlers.MaxInFlight, code)
	}
	close(inbox.release)
	wg.Wait()
	go func() { <-inbox.entered }()
	if code := post(); code != http.StatusOK {
		t.Errorf("once they are done = %d, want 200", code)
	}
}
