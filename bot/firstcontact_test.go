package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
	"golang.org/x/time/rate"
)

const operatorChat = "120363000000000001@g.us"

type harness struct {
	cfg   bot.Config
	t     testing.TB
	srv   *greenapitest.Server
	store bot.Store
	bot   *bot.Bot
	mu    sync.Mutex
	now   time.Time
}

// newHarness wires a bot to a fake Green API and a fresh SQLite store.
// With fast, the fake and the client allow 1,000 lookups a second, for
// tests that are not about the rate limit.
func newHarness(t testing.TB, fast bool, mutate ...func(*bot.Config)) *harness {
	t.Helper()
	var opts []greenapitest.Option
	if fast {
		opts = append(opts, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 1000))
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "fd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newHarnessOn(t, greenapitest.New(t, opts...), store, fast, mutate...)
}

// newHarnessOn is newHarness on srv and store, which other harnesses may
// share: replicas of one service.
func newHarnessOn(t testing.TB, srv *greenapitest.Server, store bot.Store, fast bool, mutate ...func(*bot.Config)) *harness {
	t.Helper()
	h := &harness{t: t, srv: srv, now: time.Now()}
	cfg := h.srv.Config()
	cfg.MinBackoff, cfg.MaxBackoff, cfg.MaxAttempts = time.Millisecond, 5*time.Millisecond, 3
	bc := bot.Config{Instance: greenapitest.DefaultIDInstance, NewSenderAfter: 14 * 24 * time.Hour, ProfileRefresh: 24 * time.Hour, LookupTimeout: 5 * time.Second, OperatorChatID: operatorChat}
	if fast {
		cfg.Limits = map[string]rate.Limit{greenapi.MethodGetContactInfo: 1000}
		bc.Lookup = bot.LookupConfig{Interval: time.Millisecond, MinRetry: 10 * time.Millisecond}
	}
	client, err := greenapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.store = store
	catalog := mustCatalog(t)
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutate {
		m(&bc)
	}
	h.cfg = bc
	h.bot = bot.New(store, client, catalog, rules, bc, logtest.Logger(), nil)
	h.bot.Now = func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }
	t.Cleanup(h.bot.Close)
	return h
}

// handle has the bot handle n as the pool would: a notification that waits
// (for its sender's lookup) is handled again when the wait is over.
func (h *harness) handle(ctx context.Context, n queue.Notification) error {
	for {
		err := h.bot.Handle(ctx, n)
		var wait *pacing.WaitError
		if !errors.As(err, &wait) {
			return err
		}
		if err := wait.Wait(ctx); err != nil {
			return err
		}
	}
}

// handleUntilDone handles n again, as the pool retries it, until it
// succeeds (at most 6 times).
func (h *harness) handleUntilDone(n queue.Notification) {
	h.t.Helper()
	err := h.handle(context.Background(), n)
	for tries := 0; err != nil && tries < 5; tries++ {
		err = h.handle(context.Background(), n)
	}
	if err != nil {
		h.t.Fatal(err)
	}
}

// useRules gives the bot the rules of text (and the shipped locales).
func (h *harness) useRules(text string) {
	h.t.Helper()
	catalog := mustCatalog(h.t)
	rules, err := bot.ParseRules("rules.toml", []byte(text), catalog)
	if err != nil {
		h.t.Fatal(err)
	}
	h.bot = h.bot.WithContent(catalog, rules, h.cfg)
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

// write has a contact write text and lets the bot handle it.
func (h *harness) write(in greenapitest.Incoming) {
	h.t.Helper()
	if in.Time.IsZero() {
		h.mu.Lock()
		in.Time = h.now
		h.mu.Unlock()
	}
	id, body := h.srv.NewIncoming(in)
	if err := h.handle(context.Background(), queue.Notification{ChatID: in.ChatID, IDMessage: id, Body: body, ReceivedAt: in.Time}); err != nil {
		h.t.Fatalf("Handle: %v", err)
	}
}

func (h *harness) lookups() int { return len(h.srv.Calls(greenapi.MethodGetContactInfo)) }

func products(names ...string) []greenapi.Product {
	var ps []greenapi.Product
	for i, n := range names {
		ps = append(ps, greenapi.Product{ID: fmt.Sprint(i), Name: n, Availability: "in stock"})
	}
	return ps
}

func TestDefaultRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		chat        string
		profile     *greenapi.ContactInfo
		in          greenapitest.Incoming
		wantReply   string
		wantSummary []string // nil: no summary
	}{
		{
			name:      "business with products",
			chat:      "12125550001@c.us",
			profile:   &greenapi.ContactInfo{Name: "Dealer", Category: "Automotive Dealership", Email: "24service@tt.tt", Description: "Official service", Products: products("Oil change", "Inspection")},
			in:        greenapitest.Incoming{Text: "Hi, do you sell parts?"},
			wantReply: "Hello, Dealer! Thank you for writing to us. We see 2 products in your catalogue:\n• Oil change\n• Inspection\nHow can we help?",
			wantSummary: []string{"New contact: Dealer", "Phone: +1 212-555-0001", "Category: Automotive Dealership", "About: Official service",
				"Email: 24service@tt.tt", "Products (2): Oil change, Inspection", "Rule: business-with-catalogue, tag: business-lead", "First message: Hi, do you sell parts?"},
		},
		{
			name:        "business without products",
			chat:        "12125550002@c.us",
			profile:     &greenapi.ContactInfo{Name: "Bakery Bob", Category: "Bakery"},
			in:          greenapitest.Incoming{Text: "hello"},
			wantReply:   "Hello, Bakery Bob! Thank you for writing to us. We see you work in Bakery. How can we help your business?",
			wantSummary: []string{"New contact: Bakery Bob", "Category: Bakery", "Rule: business, tag: business"},
		},
		{
			name:      "named personal contact",
			chat:      "12125550003@c.us",
			profile:   &greenapi.ContactInfo{Name: "Ann"},
			in:        greenapitest.Incoming{Text: "hi"},
			wantReply: "Hello, Ann! Thank you for your message. How can we help?",
		},
		{
			name:      "name from the notification when the profile has none",
			chat:      "12125550004@c.us",
			in:        greenapitest.Incoming{Text: "hi", SenderName: "annie", SenderContactName: "Ann Smith"},
			wantReply: "Hello, Ann Smith! Thank you for your message. How can we help?",
		},
		{
			name:      "anyone else reads naturally without a name",
			chat:      "12125550005@c.us",
			in:        greenapitest.Incoming{Text: "hi"},
			wantReply: "Hello! Thank you for your message. How can we help?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, true)
			if tt.profile != nil {
				h.srv.SetContact(tt.chat, *tt.profile)
			}
			tt.in.ChatID = tt.chat
			h.write(tt.in)
			replies := h.srv.Sent(tt.chat)
			if len(replies) != 1 || replies[0].Message != tt.wantReply {
				t.Errorf("replies = %+v\nwant %q", replies, tt.wantReply)
			}
			summaries := h.srv.Sent(operatorChat)
			if tt.wantSummary == nil {
				if len(summaries) != 0 {
					t.Errorf("summary sent: %q", summaries[0].Message)
				}
				return
			}
			if len(summaries) != 1 {
				t.Fatalf("%d summaries, want 1", len(summaries))
			}
			for _, w := range tt.wantSummary {
				if !strings.Contains(summaries[0].Message, w) {
					t.Errorf("summary %q\ndoes not contain %q", summaries[0].Message, w)
				}
			}
		})
	}
}

func TestBurstOfFiveGivesOneLookupAndOneGreeting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, false)
	chat := "79001234567@c.us"
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Ivan"})
	var wg sync.WaitGroup
	for i := range 5 {
		id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Text: fmt.Sprint("msg ", i), Time: h.now})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.handle(context.Background(), queue.Notification{ChatID: chat, IDMessage: id, Body: body}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := h.lookups(); n != 1 {
		t.Errorf("%d lookups, want 1", n)
	}
	if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "Здравствуйте, Ivan!") {
		t.Errorf("sent %+v, want one Russian greeting", sent)
	}

	// A later message costs neither a lookup nor a greeting.
	h.advance(time.Hour)
	h.write(greenapitest.Incoming{ChatID: chat, Text: "are you there?"})
	if n, sent := h.lookups(), len(h.srv.Sent(chat)); n != 1 || sent != 1 {
		t.Errorf("after a second message: %d lookups, %d sent", n, sent)
	}
}

func TestDuplicateDeliveryDoesNotGreetTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: "12125550009@c.us", Text: "hi", Time: h.now})
	for range 3 {
		if err := h.handle(context.Background(), queue.Notification{ChatID: "12125550009@c.us", IDMessage: id, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.srv.Sent()); n != 1 {
		t.Errorf("%d messages sent for one message delivered three times", n)
	}
}

func TestNewAfterSilence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.NewSenderAfter = 48 * time.Hour; c.ProfileRefresh = 72 * time.Hour })
	chat := "12125550010@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hi"})
	h.advance(49 * time.Hour)
	h.write(greenapitest.Incoming{ChatID: chat, Text: "back again"})
	if n := len(h.srv.Sent(chat)); n != 2 {
		t.Errorf("%d greetings, want 2: one per first contact", n)
	}
	if n := h.lookups(); n != 1 {
		t.Errorf("%d lookups, want 1: the profile is fresh for 72h", n)
	}
	h.advance(73 * time.Hour)
	h.write(greenapitest.Incoming{ChatID: chat, Text: "and again"})
	if n := h.lookups(); n != 2 {
		t.Errorf("%d lookups, want 2 once the profile is stale", n)
	}
}

func TestNeverAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	ctx := context.Background()
	handle := func(body []byte) {
		t.Helper()
		if err := h.handle(ctx, queue.Notification{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	// A group, a broadcast and a channel.
	for _, chat := range []string{"79001234567-1581234048@g.us", "status@broadcast", "120363043968066561@newsletter"} {
		_, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Sender: "79001234567@c.us", Text: "hi"})
		handle(body)
	}
	// Frontdesk's own messages and the business's.
	for _, f := range []string{"current_outgoingAPIMessageReceived_extendedTextMessage.json", "current_outgoingMessageReceived_textMessage.json"} {
		handle(readExample(t, f))
	}
	// A chat the business wrote to first.
	h.srv.PushOutgoing("12125550011@c.us", "Hello from the shop")
	for range 3 { // the outgoing notification and its status, as the fake queues them
		body := receive(t, h.srv)
		if body != nil {
			handle(body)
		}
	}
	h.write(greenapitest.Incoming{ChatID: "12125550011@c.us", Text: "thanks!"})
	if sent := h.srv.Sent(); len(sent) != 0 {
		t.Errorf("sent %+v", sent)
	}
	if n := h.lookups(); n != 0 {
		t.Errorf("%d lookups", n)
	}
}

func TestLanguageByPhone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	for chat, want := range map[string]string{
		"5511987654321@c.us":  "Olá! Obrigado",
		"972501234567@c.us":   "שלום!",
		"4915112345678@c.us":  "Hallo! Danke",
		"34612345678@c.us":    "¡Hola! Gracias",
		"33612345678@c.us":    "Hello! Thank you",
		"123456789012345@lid": "Hello! Thank you",
	} {
		h.write(greenapitest.Incoming{ChatID: chat, Text: "hi"})
		if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, want) {
			t.Errorf("%s: sent %+v, want %q", chat, sent, want)
		}
	}
}

func TestRussianCatalogueGreetingPlurals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	for i, n := range []int{1, 2, 5, 21} {
		chat := fmt.Sprintf("7900123456%d@c.us", i)
		names := make([]string, n)
		for j := range names {
			names[j] = fmt.Sprint("Товар ", j)
		}
		h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Дилер", Category: "Автосалон", Products: products(names...)})
		h.write(greenapitest.Incoming{ChatID: chat, Text: "Здравствуйте"})
		want := map[int]string{1: "1 товар:", 2: "2 товара:", 5: "5 товаров:", 21: "21 товар:"}[n]
		if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.Contains(sent[0].Message, "В вашем каталоге "+want) {
			t.Errorf("%d products: %+v, want %q", n, sent, want)
		}
	}
}

func TestHiddenProductsAreNeverShown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	chat := "12125550020@c.us"
	ps := products("Visible one", "Secret prototype", "Visible two")
	ps[1].IsHidden = true
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Shop", Category: "Retail", Products: ps})
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hi"})
	for _, m := range h.srv.Sent() {
		if strings.Contains(m.Message, "Secret") {
			t.Errorf("hidden product shown to %s: %q", m.ChatID, m.Message)
		}
	}
	if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.Contains(sent[0].Message, "We see 2 products") {
		t.Errorf("reply %+v should count 2 visible products", sent)
	}

	// The shipped example: two visible products, price null, one without description.
	var example greenapi.ContactInfo
	if err := json.Unmarshal(readExample(t, "current_getContactInfo_response.json"), &example); err != nil {
		t.Fatal(err)
	}
	h.srv.SetContact("79001112233@c.us", example)
	h.write(greenapitest.Incoming{ChatID: "79001112233@c.us", Text: "Добрый день"})
	if sent := h.srv.Sent("79001112233@c.us"); len(sent) != 1 || !strings.Contains(sent[0].Message, "2 товара:\n• Замена\n• Техническое обслуживание\n") {
		t.Errorf("example profile reply = %+v", sent)
	}
}

func TestFailedLookupStillGreets(t *testing.T) {
	t.Parallel()
	for _, fault := range []greenapitest.Fault{{Status: 500}, {Status: 466}, {Drop: true}} {
		t.Run(fmt.Sprint(fault), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, true)
			chat := "12125550030@c.us"
			h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Profile Name", Category: "Bakery"})
			h.srv.FailNext(greenapi.MethodGetContactInfo, 10, fault)
			h.write(greenapitest.Incoming{ChatID: chat, Text: "hi", SenderContactName: "Ann from contacts"})
			if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "Hello, Ann from contacts!") {
				t.Errorf("sent %+v", sent)
			}
			fc := firstContact(t, h, chat)
			if fc.Degraded == "" || fc.Step != bot.StepDone {
				t.Errorf("record = %+v, want done and degraded", fc)
			}
		})
	}
}

func TestSlowLookupIsBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.LookupTimeout = 300 * time.Millisecond })
	h.srv.SetLatency(greenapi.MethodGetContactInfo, 10*time.Second)
	start := time.Now()
	h.write(greenapitest.Incoming{ChatID: "12125550031@c.us", Text: "hi", SenderName: "Ann"})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("greeting took %v with a 300ms lookup budget", d)
	}
	if sent := h.srv.Sent("12125550031@c.us"); len(sent) != 1 {
		t.Errorf("sent %+v", sent)
	}
}

func TestLongCatalogueIsCut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("Product %03d %s", i, strings.Repeat("x", 100))
	}
	chat := "79001234500@c.us"
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Big", Category: "Shop", Products: products(names...)})
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hi"})
	sent := h.srv.Sent(chat)
	if len(sent) != 1 {
		t.Fatalf("sent %d", len(sent))
	}
	msg := sent[0].Message
	if n := len([]rune(msg)); n > greenapi.MaxMessageLength || n < greenapi.MaxMessageLength-500 {
		t.Errorf("reply has %d characters; want just under %d", n, greenapi.MaxMessageLength)
	}
	shown := strings.Count(msg, "• ")
	if !strings.Contains(msg, fmt.Sprintf("…и ещё %d товар", 300-shown)) || !strings.Contains(msg, "300 товаров") {
		t.Errorf("reply shows %d products but does not say how many more:\n%s", shown, msg[len(msg)-200:])
	}
}

func TestCrashAfterSendIsSettledWithoutResending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	chat := "12125550040@c.us"
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Text: "hi", SenderName: "Ann", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body}
	// The reply goes out but its answer is lost: a 500 after sending looks
	// the same to the bot as a crash between sending and recording.
	if err := h.handle(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	fc := firstContact(t, h, chat)
	fc.Step, fc.Reply.ID = bot.StepDecided, ""
	if err := h.store.SaveFirstContact(context.Background(), fc); err != nil {
		t.Fatal(err)
	}
	if err := h.handle(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Errorf("greeting sent %d times", len(sent))
	}
	if fc := firstContact(t, h, chat); fc.Reply.ID == "" || fc.Step != bot.StepDone {
		t.Errorf("record not settled: %+v", fc)
	}
}

func TestAmbiguousSendFailureIsRetriedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	chat := "12125550041@c.us"
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Text: "hi", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body}
	if err := h.handle(context.Background(), n); err == nil {
		t.Fatal("a 500 on sendMessage should be reported for a later retry")
	}
	if err := h.handle(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Errorf("greeting sent %d times, want 1", len(sent))
	}
	if calls := h.srv.Calls(greenapi.MethodGetChatHistory); len(calls) != 1 {
		t.Errorf("history read %d times, want once to settle the unknown outcome", len(calls))
	}
}

// TestAmbiguousSummaryFoundDeepInABusyGroup: the summary's sendMessage
// answers 500 after it went out, and 150 other messages go to the
// operators' group before the retry: the retry reads further than the
// last 100, finds it, and does not send it again.
func TestAmbiguousSummaryFoundDeepInABusyGroup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.useRules("[[rule]]\nid = \"quiet\"\nreply = \"\"\nforward = true\n")
	const chat = "12125550042@c.us"
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "hi", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body}
	if err := h.handle(context.Background(), n); err == nil {
		t.Fatal("the ambiguous failure was not reported")
	}
	client, err := greenapi.NewClient(h.srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 { // the group is busy: other summaries, people
		if _, err := client.SendMessage(context.Background(), greenapi.SendMessageParams{ChatID: operatorChat, Message: fmt.Sprintf("message %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	h.handleUntilDone(n)
	summaries := 0
	for _, m := range h.srv.Sent(operatorChat) {
		if strings.HasPrefix(m.Message, "New contact: Ana") {
			summaries++
		}
	}
	if summaries != 1 {
		t.Errorf("the summary went out %d times; want once", summaries)
	}
}

func TestQuotaSpentOnSendGivesUpQuietly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 466})
	h.write(greenapitest.Incoming{ChatID: "12125550042@c.us", Text: "hi"})
	if fc := firstContact(t, h, "12125550042@c.us"); fc.Step != bot.StepGaveUp {
		t.Errorf("step = %s, want gave_up", fc.Step)
	}
	if n := len(h.srv.Calls(greenapi.MethodSendMessage)); n != 1 {
		t.Errorf("%d sendMessage calls; a 466 must not be retried", n)
	}
}

func firstContact(t *testing.T, h *harness, chat string) bot.FirstContact {
	t.Helper()
	// The record is keyed by the message that started the contact: the
	// first incoming message of the chat in the fake's history.
	client, _ := greenapi.NewClient(h.srv.Config())
	msgs, err := client.GetChatHistory(context.Background(), chat, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Type == "incoming" {
			fc, err := h.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, msgs[i].IDMessage)
			if err != nil {
				t.Fatal(err)
			}
			return fc
		}
	}
	t.Fatal("no incoming message")
	return bot.FirstContact{}
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "greenapi", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func receive(t *testing.T, srv *greenapitest.Server) []byte {
	t.Helper()
	client, _ := greenapi.NewClient(srv.Config())
	n, err := client.ReceiveNotification(context.Background(), 0)
	if err != nil || n == nil {
		return nil
	}
	_ = client.DeleteNotification(context.Background(), n.ReceiptID)
	return n.Body
}

func TestOperatorSummaryInOperatorLocaleAndRuleRouting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.OperatorLocale = "ru" })
	chat := "4915112345678@c.us"
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Autohaus", Category: "Car dealer", Products: products("Ölwechsel")})
	h.write(greenapitest.Incoming{ChatID: chat, Text: "Hallo"})
	summary := h.srv.Sent(operatorChat)
	if len(summary) != 1 || !strings.HasPrefix(summary[0].Message, "Новый контакт: Autohaus\nТелефон: +49 1511 2345678\n") {
		t.Errorf("summary = %+v, want Russian for the operators", summary)
	}
	if reply := h.srv.Sent(chat); len(reply) != 1 || !strings.HasPrefix(reply[0].Message, "Hallo, Autohaus! Danke") {
		t.Errorf("reply = %+v, want German for the German sender", reply)
	}
	if fc := firstContact(t, h, chat); fc.Tag != "business-lead" || fc.Rule != "business-with-catalogue" || fc.Locale != "de" {
		t.Errorf("record = %+v", fc)
	}
}
