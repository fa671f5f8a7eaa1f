package greenapitest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

func client(t *testing.T, srv *greenapitest.Server) *greenapi.Client {
	t.Helper()
	c, err := greenapi.NewClient(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendMessageEmitsNotificationsAndHistory(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	c := client(t, srv)
	ctx := context.Background()
	id, err := c.SendMessage(ctx, greenapi.SendMessageParams{ChatID: "79001234567@c.us", Message: "Hello"})
	if err != nil || id == "" {
		t.Fatalf("SendMessage = %q, %v", id, err)
	}
	if sent := srv.Sent("79001234567@c.us"); len(sent) != 1 || sent[0].Message != "Hello" || sent[0].IDMessage != id {
		t.Errorf("recorded %+v", sent)
	}
	var types []string
	for range 2 {
		n, err := c.ReceiveNotification(ctx, 1)
		if err != nil || n == nil {
			t.Fatalf("ReceiveNotification = %v, %v", n, err)
		}
		parsed, err := greenapi.ParseNotification(n.Body)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, parsed.Head().TypeWebhook)
		if err := c.DeleteNotification(ctx, n.ReceiptID); err != nil {
			t.Fatal(err)
		}
	}
	if types[0] != greenapi.TypeOutgoingAPIMessageReceived || types[1] != greenapi.TypeOutgoingMessageStatus {
		t.Errorf("notifications = %v", types)
	}
	hist, err := c.GetChatHistory(ctx, "79001234567@c.us", 10)
	if err != nil || len(hist) != 1 || hist[0].IDMessage != id || !hist[0].SendByAPI || hist[0].Type != "outgoing" {
		t.Errorf("history = %+v, %v", hist, err)
	}
}

func TestQueueReturnsHeadUntilDeleted(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	c := client(t, srv)
	ctx := context.Background()
	first := srv.PushIncoming(greenapitest.Incoming{ChatID: "1@c.us", Text: "one"})
	srv.PushIncoming(greenapitest.Incoming{ChatID: "1@c.us", Text: "two"})
	a, _ := c.ReceiveNotification(ctx, 1)
	b, _ := c.ReceiveNotification(ctx, 1)
	if a == nil || b == nil || a.ReceiptID != b.ReceiptID {
		t.Fatalf("head changed before delete: %v %v", a, b)
	}
	n, _ := greenapi.ParseNotification(a.Body)
	if m, _ := greenapi.MessageOf(n); m.IDMessage != first {
		t.Errorf("first received %s, want %s", m.IDMessage, first)
	}
	_ = c.DeleteNotification(ctx, a.ReceiptID)
	next, _ := c.ReceiveNotification(ctx, 1)
	if next == nil || next.ReceiptID == a.ReceiptID {
		t.Errorf("after delete got %v", next)
	}
	_ = c.DeleteNotification(ctx, next.ReceiptID)
	start := time.Now()
	empty, err := c.ReceiveNotification(ctx, 1)
	if empty != nil || err != nil || time.Since(start) < 900*time.Millisecond {
		t.Errorf("empty queue: %v, %v after %v; want nil after waiting receiveTimeout", empty, err, time.Since(start))
	}
}

func TestUnknownContactHasEmptyFields(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	info, err := client(t, srv).GetContactInfo(context.Background(), "5@c.us")
	if err != nil || info.Name != "" || info.Category != "" || len(info.Products) != 0 {
		t.Errorf("unknown contact = %+v, %v", info, err)
	}
}

func TestWebhookDeliveryResendsUntil200InOrder(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	var (
		mu       sync.Mutex
		answers  = []int{500, 401, 200, 200}
		received []string
		auth     []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		n, _ := greenapi.ParseNotification(body)
		m, _ := greenapi.MessageOf(n)
		received = append(received, m.IDMessage)
		auth = append(auth, r.Header.Get("Authorization"))
		w.WriteHeader(answers[0])
		answers = answers[1:]
	}))
	defer hook.Close()
	a := srv.PushIncoming(greenapitest.Incoming{ChatID: "1@c.us", Text: "a"})
	b := srv.PushIncoming(greenapitest.Incoming{ChatID: "2@c.us", Text: "b"})
	srv.DeliverWebhooks(hook.URL, "hooktoken", 10*time.Millisecond, time.Second)
	if !srv.WaitQueueEmpty(5 * time.Second) {
		t.Fatal("queue not delivered")
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{a, a, a, b}
	if len(received) != len(want) {
		t.Fatalf("received %v, want %v", received, want)
	}
	for i := range want {
		if received[i] != want[i] {
			t.Errorf("delivery %d = %s, want %s", i, received[i], want[i])
		}
		if auth[i] != "Bearer hooktoken" {
			t.Errorf("Authorization = %q", auth[i])
		}
	}
	if d := srv.Deliveries(); len(d) != 4 || d[0].Status != 500 || d[3].Status != 200 {
		t.Errorf("deliveries = %+v", d)
	}
}

func TestUnknownRequestIsRecorded(t *testing.T) {
	t.Parallel()
	srv := greenapitest.NewServer()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/waInstance" + srv.IDInstance + "/noSuchMethod/" + srv.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d", resp.StatusCode)
	}
	u := srv.Unexpected()
	if len(u) != 1 {
		t.Fatalf("unexpected = %v", u)
	}
	if strings.Contains(u[0], srv.Token) {
		t.Errorf("unexpected request logged with the token: %q", u[0])
	}
}

// TestIncomingKinds: the fake's edits, deletions, reactions, votes and
// button replies parse as Green API's documented bodies do.
func TestIncomingKinds(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	chat := "79001234567@c.us"
	tests := []struct {
		data map[string]any
		typ  string
		kind greenapi.MessageKind
		text string
	}{
		{greenapitest.Edited("A", "new text"), "editedMessage", greenapi.KindEvent, "new text"},
		{greenapitest.Deleted("A"), "deletedMessage", greenapi.KindEvent, ""},
		{greenapitest.Reaction("A", chat, "👍"), "reactionMessage", greenapi.KindEvent, ""},
		{greenapitest.PollVote("A", "Poll", []string{"x", "y"}, 1, chat), "pollUpdateMessage", greenapi.KindAnswer, ""},
		{greenapitest.ButtonReply("templateButtonReplyMessage", "A", 1, "2", "Second"), "templateButtonReplyMessage", greenapi.KindAnswer, "Second"},
		{greenapitest.ButtonReply("templateButtonsReplyMessage", "A", 1, "2", "Second"), "templateButtonsReplyMessage", greenapi.KindAnswer, "Second"},
		{greenapitest.ButtonReply("interactiveButtonsResponse", "A", 1, "2", "Second"), "interactiveButtonsResponse", greenapi.KindAnswer, "Second"},
	}
	for _, tt := range tests {
		_, body := srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Data: tt.data})
		n, err := greenapi.ParseNotification(body)
		if err != nil {
			t.Fatalf("%s: %v", tt.typ, err)
		}
		m, _ := greenapi.MessageOf(n)
		text, _ := greenapi.MessageText(m.MessageData.Message)
		if m.MessageData.Message.TypeMessage() != tt.typ || m.MessageData.Kind() != tt.kind || text != tt.text {
			t.Errorf("%s: parsed %T %s %q; want %s %q", tt.typ, m.MessageData.Message, m.MessageData.Kind(), text, tt.kind, tt.text)
		}
	}
}

// TestIncomingLID: the fake writes an @lid chat's senderPhoneNumber as a
// number (as documented) or a string, or leaves it out, and the parser
// reads the sender's number from it.
func TestIncomingLID(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	const lid = "120650379300963@lid"
	tests := []struct {
		in       greenapitest.Incoming
		raw      string // how the field is written
		wantDigs string
	}{
		{greenapitest.Incoming{ChatID: lid, Text: "hi", SenderPhoneNumber: "491512345678"}, `"senderPhoneNumber":491512345678`, "491512345678"},
		{greenapitest.Incoming{ChatID: lid, Text: "hi", SenderPhoneNumber: "491512345678", PhoneAsString: true}, `"senderPhoneNumber":"491512345678"`, "491512345678"},
		{greenapitest.Incoming{ChatID: lid, Text: "hi"}, "", ""},
		{greenapitest.Incoming{ChatID: lid, Data: greenapitest.Edited("A", "new"), SenderPhoneNumber: "491512345678"}, `"senderPhoneNumber":491512345678`, "491512345678"},
	}
	for _, tt := range tests {
		_, body := srv.NewIncoming(tt.in)
		if tt.raw != "" && !strings.Contains(string(body), tt.raw) || tt.raw == "" && strings.Contains(string(body), "senderPhoneNumber") {
			t.Errorf("body %s; want %q", body, tt.raw)
		}
		n, err := greenapi.ParseNotification(body)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := greenapi.MessageOf(n)
		if got, _ := m.SenderData.Phone(); got != tt.wantDigs || m.SenderData.ChatID != lid {
			t.Errorf("%s: Phone() = %q, want %q", body, got, tt.wantDigs)
		}
	}
}
