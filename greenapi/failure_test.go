package greenapi_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// TestKindOfEveryFailure runs each failure through the real client against
// the fake, and checks the one classification the bot decides by.
func TestKindOfEveryFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  greenapitest.Fault
		kind   greenapi.Kind
		reason string
	}{
		{"400", greenapitest.Fault{Status: 400}, greenapi.ContactRefused, "rejected"},
		{"401", greenapitest.Fault{Status: 401}, greenapi.InstanceDown, "unauthorized"},
		{"403", greenapitest.Fault{Status: 403}, greenapi.InstanceDown, "forbidden"},
		{"404", greenapitest.Fault{Status: 404}, greenapi.ContactRefused, "rejected"},
		{"429", greenapitest.Fault{Status: 429}, greenapi.RetryLater, "rate_limited"},
		{"466", greenapitest.Fault{Status: 466}, greenapi.RetryNever, "quota_exceeded"},
		{"500", greenapitest.Fault{Status: 500}, greenapi.RetryLater, "server_error"},
		{"502", greenapitest.Fault{Status: 502}, greenapi.RetryLater, "server_error"},
		{"timeout", greenapitest.Fault{Hang: true}, greenapi.RetryLater, "timeout"},
		{"connection dropped", greenapitest.Fault{Drop: true}, greenapi.RetryLater, "connection_lost"},
		{"malformed JSON", greenapitest.Fault{Body: "<html>gateway</html>"}, greenapi.OurBug, "unreadable_answer"},
		{"empty body", greenapitest.Fault{EmptyBody: true}, greenapi.OurBug, "unreadable_answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := greenapitest.New(t)
			c := fastClient(t, srv, func(cfg *greenapi.Config) { cfg.Timeout = 100 * time.Millisecond })
			srv.FailNext(greenapi.MethodGetContactInfo, 1, tt.fault)
			_, err := c.GetContactInfo(context.Background(), "1@c.us")
			if got := greenapi.KindOf(err); got != tt.kind {
				t.Errorf("KindOf(%v) = %s, want %s", err, got, tt.kind)
			}
			if got := greenapi.ReasonOf(err); got != tt.reason {
				t.Errorf("ReasonOf(%v) = %s, want %s", err, got, tt.reason)
			}
		})
	}
}

func TestKindOfWithoutAFault(t *testing.T) {
	t.Parallel()
	// A host where nothing listens: the connection is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := greenapi.NewClient(greenapi.Config{APIURL: "http://" + addr, IDInstance: "1", APIToken: "secret-token-123", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, refused := c.GetStateInstance(context.Background())

	tests := []struct {
		name   string
		err    error
		kind   greenapi.Kind
		reason string
	}{
		{"nil", nil, "", ""},
		{"connection refused", refused, greenapi.InstanceDown, "unreachable"},
		{"phone logged out", &greenapi.APIError{Method: "sendMessage", Status: 400, Message: "Instance account not authorized"},
			greenapi.InstanceDown, "not_authorized"},
		{"an undocumented status", &greenapi.APIError{Method: "sendMessage", Status: 418}, greenapi.OurBug, "rejected"},
		{"message too long", greenapi.ErrMessageTooLong, greenapi.OurBug, "too_long"},
		{"our deadline", context.DeadlineExceeded, greenapi.RetryLater, "timeout"},
		{"wrapped", errors.Join(errors.New("sending"), &greenapi.APIError{Status: 503}), greenapi.RetryLater, "server_error"},
	}
	for _, tt := range tests {
		if got := greenapi.KindOf(tt.err); got != tt.kind {
			t.Errorf("%s: KindOf(%v) = %q, want %q", tt.name, tt.err, got, tt.kind)
		}
		if got := greenapi.ReasonOf(tt.err); got != tt.reason {
			t.Errorf("%s: ReasonOf(%v) = %q, want %q", tt.name, tt.err, got, tt.reason)
		}
	}
}
