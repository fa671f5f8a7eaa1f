package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
	"golang.org/x/time/rate"
)

// system is the whole processing side, in process: the inbox, the pool, the
// bot and the guard, on SQLite, against the fake Green API.
type system struct {
	srv   *greenapitest.Server
	inbox *queue.Inbox
	pool  *queue.Pool
	guard *pacing.Guard
	logs  *logtest.Buffer
	store bot.Store
}

// setup is what newSystem builds a system from; options change it.
type setup struct {
	client  greenapi.Config
	guard   pacing.GuardConfig
	bot     bot.Config
	pool    queue.PoolConfig
	metrics bot.Metrics
	store   bot.Store // default: a new SQLite file
	rules   string    // default: the shipped rules
}

// newSystem builds a system with fast settings (lookups at 1,000 a second,
// short timeouts and backoffs), changed by each option in turn.
func newSystem(t *testing.T, lookupTimeout time.Duration, options ...func(*setup)) *system {
	t.Helper()
	return newSystemOn(t, greenapitest.New(t, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 1000)), lookupTimeout, options...)
}

// newSystemOn builds a system against srv: several systems on one fake
// and one database are replicas.
func newSystemOn(t *testing.T, srv *greenapitest.Server, lookupTimeout time.Duration, options ...func(*setup)) *system {
	t.Helper()
	st := setup{
		client: srv.Config(),
		guard:  pacing.GuardConfig{MinPause: 50 * time.Millisecond, MaxPause: 400 * time.Millisecond},
		bot: bot.Config{Instance: greenapitest.DefaultIDInstance, NewSenderAfter: 14 * 24 * time.Hour, ProfileRefresh: time.Hour, LookupTimeout: lookupTimeout,
			OperatorChatID: operatorChat, Lookup: bot.LookupConfig{Interval: time.Millisecond, MinRetry: 20 * time.Millisecond}},
		pool: queue.PoolConfig{MinRetry: 20 * time.Millisecond, MaxRetry: 300 * time.Millisecond},
	}
	st.client.Timeout = 300 * time.Millisecond
	st.client.MinBackoff, st.client.MaxBackoff, st.client.MaxAttempts = 5*time.Millisecond, 50*time.Millisecond, 3
	st.client.Limits = map[string]rate.Limit{greenapi.MethodGetContactInfo: 1000}
	for _, o := range options {
		o(&st)
	}
	client, err := greenapi.NewClient(st.client)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(logs, logtest.Writer()), &slog.HandlerOptions{Level: slog.LevelInfo}))
	var store bot.Store = st.store
	if store == nil {
		store = sqlitetest.Open(t, "")
	}
	catalog := mustCatalog(t)
	if st.rules == "" {
		st.rules = bot.DefaultRules
	}
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(st.rules), catalog)
	if err != nil {
		t.Fatal(err)
	}
	st.guard.Probe = func(ctx context.Context) error { _, err := client.GetStateInstance(ctx); return err }
	guard := pacing.NewGuard(client, st.guard, log, st.metrics)
	t.Cleanup(guard.Close)
	b := bot.New(store, guard, catalog, rules, st.bot, log, st.metrics)
	t.Cleanup(b.Close)
	pool := queue.NewPool(store, b.Handle, st.pool, log, nil)
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Stop(context.Background()) })
	return &system{srv: srv, inbox: queue.NewInbox(store, pool, log, nopInboxMetrics{}), pool: pool, guard: guard, logs: logs, store: store}
}

type nopInboxMetrics struct{}

func (nopInboxMetrics) Accepted(string, string, queue.Outcome) {}
func (nopInboxMetrics) QuotaExceeded(string)                   {}

// deliver hands every queued notification to the inbox, as the webhook does.
func (s *system) deliver(t *testing.T) {
	t.Helper()
	client, _ := greenapi.NewClient(s.srv.Config())
	for s.srv.QueueLen() > 0 {
		n, err := client.ReceiveNotification(context.Background(), 0)
		if err != nil || n == nil {
			continue
		}
		if _, err := s.inbox.Accept(context.Background(), greenapitest.DefaultIDInstance, n.Body); err != nil {
			t.Fatal(err)
		}
		_ = client.DeleteNotification(context.Background(), n.ReceiptID)
	}
}

func (s *system) drain(t *testing.T, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for s.pool.Depth() > 0 {
		if time.Since(start) > timeout {
			t.Fatalf("%d notifications still unprocessed after %v", s.pool.Depth(), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func chatN(i int) string { return fmt.Sprintf("1212600%04d@c.us", i) }

func TestRandomFaultsStillGreetEveryoneExactlyOnce(t *testing.T) {
	t.Parallel()
	const contacts = 500
	s := newSystem(t, 2*time.Second)
	faults := []greenapitest.Fault{{Status: 500}, {Status: 502}, {Status: 429}, {Hang: true}, {Status: 500, AfterWork: true}}
	for _, m := range []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory} {
		s.srv.FailRandomly(m, 0.2, faults...)
	}
	for i := range contacts {
		if i%5 == 0 {
			s.srv.SetContact(chatN(i), greenapi.ContactInfo{Name: fmt.Sprint("Shop ", i), Category: "Retail"})
		}
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: chatN(i), Text: "hello", SenderName: fmt.Sprint("P", i)})
	}
	start := time.Now()
	s.deliver(t)
	s.drain(t, 3*time.Minute)
	took := time.Since(start)
	time.Sleep(100 * time.Millisecond)

	dup, missing := 0, 0
	for i := range contacts {
		switch n := len(s.srv.Sent(chatN(i))); {
		case n == 0:
			missing++
		case n > 1:
			dup++
		}
	}
	calls, failed := 0, 0
	for _, c := range s.srv.Calls(greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory) {
		calls++
		if c.Status != 200 {
			failed++
		}
	}
	t.Logf("RELIABILITY random-faults: %d first contacts, %d Green API calls, %d failed (%.0f%%), drained in %v, missing %d, duplicated %d",
		contacts, calls, failed, 100*float64(failed)/float64(calls), took.Round(time.Millisecond), missing, dup)
	if missing != 0 || dup != 0 {
		t.Errorf("%d senders never greeted, %d greeted more than once", missing, dup)
	}
	if summaries := len(s.srv.Sent(operatorChat)); summaries > contacts/5 {
		t.Errorf("%d summaries for %d businesses", summaries, contacts/5)
	}
}

func TestOutageWaitsWithoutBusyLoopThenDrains(t *testing.T) {
	t.Parallel()
	s := newSystem(t, time.Second)
	// Green API unreachable: every connection dropped, the probe's too.
	guarded := []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory}
	for _, m := range append(guarded, greenapi.MethodGetStateInstance) {
		s.srv.FailRandomly(m, 1, greenapitest.Fault{Drop: true})
	}
	outageStart := time.Now()
	const contacts = 50
	for i := range contacts {
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: chatN(i), Text: "hi"})
	}
	s.deliver(t)
	time.Sleep(500 * time.Millisecond)
	if !s.guard.Paused() {
		t.Error("calls are not paused during the outage")
	}
	firstWave := len(s.srv.Calls(guarded...))
	// A chat the business wrote to first needs no call: it is handled
	// during the outage, not held behind the chats that wait for Green API.
	waiting := s.pool.Depth()
	s.srv.PushOutgoing("12126999999@c.us", "Your order is ready")
	s.srv.PushIncoming(greenapitest.Incoming{ChatID: "12126999999@c.us", Text: "Thanks, on my way"})
	s.deliver(t)
	knownStart := time.Now()
	for s.pool.Depth() > waiting && time.Since(knownStart) < time.Second {
		time.Sleep(5 * time.Millisecond)
	}
	if d := s.pool.Depth(); d > waiting {
		t.Errorf("a known chat's messages still wait during the outage (depth %d, %d before them)", d, waiting)
	}
	time.Sleep(1500*time.Millisecond - time.Since(knownStart))
	later := len(s.srv.Calls(guarded...)) - firstWave
	probes := len(s.srv.Calls(greenapi.MethodGetStateInstance))
	for _, m := range append(guarded, greenapi.MethodGetStateInstance) {
		s.srv.FailRandomly(m, 0)
	}
	outage := time.Since(outageStart)
	took := s.drain(t, 30*time.Second)
	logs := s.logs.String()
	pauses, resumes := strings.Count(logs, "pausing calls"), strings.Count(logs, "resuming calls")
	t.Logf("RELIABILITY outage: %d new senders, %v outage: %d calls in the first 0.5 s, %d in the next 1.5 s, %d probes (getStateInstance), %d pause and %d resume log lines, a known chat handled during it, drained %v after it ended",
		contacts, outage.Round(100*time.Millisecond), firstWave, later, probes, pauses, resumes, took.Round(time.Millisecond))
	// Before the pause: the calls that went out until Threshold failures
	// and a failed probe, each with the client's retries (3 attempts).
	if firstWave > 3*contacts {
		t.Errorf("%d calls in the first wave, more than %d chats x 3 attempts", firstWave, contacts)
	}
	// Paused, only the guard's probes go out; no chat's call does.
	if later > 0 {
		t.Errorf("%d calls of chats went out while calls were paused", later)
	}
	// Pauses of 50, 100, 200, then 400 ms: the probes an outage this long
	// can hold, and the check that paused; a probe is one request, which Go's
	// HTTP client repeats once on a dropped connection: 3 a step is slack.
	if steps := 2 + int(outage/(400*time.Millisecond)) + 3; probes == 0 || probes > 3*steps {
		t.Errorf("%d probe calls in a %v outage; want one probe (a request, or two on a dropped connection) per pause step, at most %d steps", probes, outage.Round(time.Millisecond), steps)
	}
	if pauses != 1 || resumes != 1 {
		t.Errorf("%d pause and %d resume log lines for one outage; want one each", pauses, resumes)
	}
	if n := strings.Count(logs, "notification failed; will retry"); n > contacts {
		t.Errorf("%d per-message failure lines during an outage", n)
	}
	for i := range contacts {
		if n := len(s.srv.Sent(chatN(i))); n != 1 {
			t.Errorf("%s greeted %d times after the outage", chatN(i), n)
		}
	}
}

func TestQuotaSpentIsLoggedOnceAndNotRetried(t *testing.T) {
	t.Parallel()
	s := newSystem(t, time.Second)
	s.srv.FailRandomly(greenapi.MethodGetContactInfo, 1, greenapitest.Fault{Status: 466})
	s.srv.FailRandomly(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 466})
	const contacts = 20
	for i := range contacts {
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: chatN(i), Text: "hi"})
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: chatN(i), Text: "second message from a now known sender"})
	}
	s.deliver(t)
	s.drain(t, 10*time.Second)
	// Each message is tried once, never again: its greeting, then its
	// summary (the operators still hear of a customer whose greeting was
	// refused). Nothing reached anyone, so each sender's second message is
	// a first contact again: once the quota is raised it is greeted.
	if n := len(s.srv.Calls(greenapi.MethodSendMessage)); n != 2*2*contacts {
		t.Errorf("%d sendMessage calls for %d new senders writing twice; want a greeting and a summary a message, none retried", n, contacts)
	}
	if n := strings.Count(s.logs.String(), "monthly quota is spent"); n != 1 {
		t.Errorf("quota logged %d times, want once", n)
	}
	if s.guard.Paused() {
		t.Error("a spent quota paused all calls")
	}
}
