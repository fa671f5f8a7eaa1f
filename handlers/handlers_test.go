package handlers_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

const token = "0123456789abcdef0123456789abcdef"

const instanceID = "1101000001"

// fakeInbox records what reaches the inbox.
type fakeInbox struct {
	mu        sync.Mutex
	bodies    []string
	instances []string
	err       error
}

func (f *fakeInbox) Accept(_ context.Context, instance string, body []byte) (queue.Outcome, error) {
	if f.err != nil {
		return "", f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, string(body))
	f.instances = append(f.instances, instance)
	return queue.Stored, nil
}

// panickingInbox is an inbox with a bug.
type panickingInbox struct{}

func (panickingInbox) Accept(context.Context, string, []byte) (queue.Outcome, error) {
	panic("inbox bug: nil map")
}

func TestAPanicIsAnsweredWith500AndLoggedAsJSON(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	d := deps(panickingInbox{}, pinger{}, nil)
	d.Log = slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, logtest.Writer()), nil))
	h := handlers.Public(d)
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

// deps serves one instance, instanceID, whose webhook token is token;
// inst is its state (nil: authorized).
func deps(inbox handlers.Acceptor, store pinger, inst *handlers.Instance) handlers.Deps {
	if inst == nil {
		inst = handlers.NewInstance(instanceID)
		inst.Set("authorized", nil)
	}
	set := handlers.NewInstances()
	set.Set([]handlers.InstanceEntry{{Instance: inst, Tokens: []string{token}}})
	m := handlers.NewMetrics()
	m.Watch(set)
	return handlers.Deps{Inbox: inbox, Instances: set, Replica: &handlers.Replica{}, Store: store, Metrics: m, Log: logtest.Logger()}
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
	state := func(s string, err error) *handlers.Instance {
		inst := handlers.NewInstance(instanceID)
		inst.Set(s, err)
		return inst
	}
	paused := state("authorized", nil)
	paused.SetPaused(errors.New("greenapi: getStateInstance: HTTP 500 server error"))
	tests := []struct {
		name    string
		path    string
		store   pinger
		inst    *handlers.Instance
		joining bool
		status  int
		body    string
	}{
		{"alive", "/healthz", pinger{}, nil, false, 200, `"ok"`},
		{"ready", "/readyz", pinger{}, nil, false, 200, `"instance":"authorized"`},
		{"store down", "/readyz", pinger{errors.New("database is locked")}, nil, false, 503, "database is locked"},
		{"instance not authorized", "/readyz", pinger{}, state("notAuthorized", nil), false, 503, `"instances_not_working":{"1101000001":"notAuthorized"}`},
		{"green api unreachable", "/readyz", pinger{}, state("", errors.New("dial tcp: connection refused")), false, 503, "connection refused"},
		{"calls paused", "/readyz", pinger{}, paused, false, 503, `"1101000001":"calls paused: greenapi: getStateInstance: HTTP 500`},
		{"replica joining", "/readyz", pinger{}, nil, true, 503, `"replica":"joining: the other replicas learn of this one until`},
		{"metrics", "/metrics", pinger{}, nil, false, 200, "frontdesk_inbox_depth"},
		{"paused metric", "/metrics", pinger{}, nil, false, 200, `frontdesk_greenapi_paused{id_instance="1101000001"} 0`},
		{"paused metric while paused", "/metrics", pinger{}, paused, false, 200, `frontdesk_greenapi_paused{id_instance="1101000001"} 1`},
		{"authorized metric", "/metrics", pinger{}, nil, false, 200, `frontdesk_instance_authorized{id_instance="1101000001"} 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			d := deps(&fakeInbox{}, tt.store, tt.inst)
			if tt.joining {
				d.Replica.JoinUntil(time.Now().Add(time.Hour))
			}
			handlers.Admin(d).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("%s = %d %q; want %d containing %q", tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
			}
		})
	}
}

// TestWebhookRoutesEachTokenToItsInstance: two numbers on one listener;
// a token opens its own instance's webhook only, at /webhook and at
// /webhook/{idInstance}, and a refusal never says which instance exists.
func TestWebhookRoutesEachTokenToItsInstance(t *testing.T) {
	t.Parallel()
	const (
		a, b, polled   = "1101000001", "1101000002", "1101000003"
		tokenA, tokenB = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	set := handlers.NewInstances()
	set.Set([]handlers.InstanceEntry{
		{Instance: handlers.NewInstance(a), Tokens: []string{tokenA}},
		{Instance: handlers.NewInstance(b), Tokens: []string{tokenB, "previous-token-of-b-0123456789"}},
		{Instance: handlers.NewInstance(polled)}, // poll mode: no webhook
	})
	tests := []struct {
		name, path, token string
		inboxErr          error
		status            int
		instance          string // stored for; "" none
	}{
		{"A's token", "/webhook", tokenA, nil, 200, a},
		{"B's token", "/webhook", tokenB, nil, 200, b},
		{"B's previous token during a rotation", "/webhook", "previous-token-of-b-0123456789", nil, 200, b},
		{"A's token at A's path", "/webhook/" + a, tokenA, nil, 200, a},
		{"A's token at B's path", "/webhook/" + b, tokenA, nil, 401, ""},
		{"A's token at an unknown instance's path", "/webhook/999", tokenA, nil, 401, ""},
		{"a wrong token at A's path", "/webhook/" + a, strings.Repeat("x", 32), nil, 401, ""},
		{"a polled instance's path", "/webhook/" + polled, "", nil, 401, ""},
		{"A's token with a body that names B", "/webhook", tokenA, queue.ErrOtherInstance, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inbox := &fakeInbox{err: tt.inboxErr}
			m := handlers.NewMetrics()
			h := handlers.Public(handlers.Deps{Inbox: inbox, Instances: set, Replica: &handlers.Replica{}, Store: pinger{}, Metrics: m, Log: logtest.Logger()})
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+tt.token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.status == 401 && rec.Body.Len() != 0 {
				t.Errorf("a refusal says %q; want an empty body that names no instance", rec.Body.String())
			}
			got := ""
			if len(inbox.instances) == 1 {
				got = inbox.instances[0]
			}
			if got != tt.instance {
				t.Errorf("stored for instance %q, want %q", got, tt.instance)
			}
		})
	}
}

// TestReadyWhileOneInstanceWorks: with several numbers, one logged out
// does not take the replica (and the others' webhooks) out of rotation;
// it is named in the body. With none working, the replica is not ready.
func TestReadyWhileOneInstanceWorks(t *testing.T) {
	t.Parallel()
	ok, out := handlers.NewInstance("1101000001"), handlers.NewInstance("1101000002")
	ok.Set("authorized", nil)
	out.Set("notAuthorized", nil)
	set := handlers.NewInstances()
	set.Set([]handlers.InstanceEntry{{Instance: ok}, {Instance: out}})
	d := handlers.Deps{Inbox: &fakeInbox{}, Instances: set, Replica: &handlers.Replica{}, Store: pinger{}, Metrics: handlers.NewMetrics(), Log: logtest.Logger()}
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		handlers.Admin(d).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec
	}
	if rec := get(); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"instances_not_working":{"1101000002":"notAuthorized"}`) ||
		!strings.Contains(rec.Body.String(), `"instances_working":1`) {
		t.Errorf("/readyz = %d %s; want 200 naming the logged-out number", rec.Code, rec.Body.String())
	}
	ok.Set("", errors.New("dial tcp: connection refused"))
	if rec := get(); rec.Code != 503 || !strings.Contains(rec.Body.String(), `"instances_working":0`) {
		t.Errorf("/readyz with no number working = %d %s; want 503", rec.Code, rec.Body.String())
	}
}
