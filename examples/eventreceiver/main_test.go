package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/events"
)

// TestReceiverAcceptsWhatFrontdeskSigns: the example agrees with the
// signature Frontdesk makes (events.Sign), refuses others, and handles a
// retried event once.
func TestReceiverAcceptsWhatFrontdeskSigns(t *testing.T) {
	const secret = "receiver-secret-0123456789abcdef"
	handled := 0
	h := receiver(secret, func(event) { handled++ })
	body := []byte(`{"id":"0123456789abcdef0123456789abcdef","type":"first_contact","chat_id":"1@c.us","data":{}}`)
	post := func(signWith string, ts time.Time) int {
		req := httptest.NewRequest(http.MethodPost, "/frontdesk", bytes.NewReader(body))
		req.Header.Set(events.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		req.Header.Set(events.HeaderSignature, events.Sign(signWith, ts.Unix(), body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(secret, time.Now()); code != 200 {
		t.Errorf("signed by Frontdesk: %d", code)
	}
	if code := post(secret, time.Now()); code != 200 || handled != 1 {
		t.Errorf("retried: %d, handled %d times; want 200 and once", code, handled)
	}
	if code := post("another-secret-0123456789", time.Now()); code != 401 {
		t.Errorf("another secret: %d", code)
	}
	if code := post(secret, time.Now().Add(-time.Hour)); code != 401 {
		t.Errorf("a replay an hour old: %d", code)
	}
}
