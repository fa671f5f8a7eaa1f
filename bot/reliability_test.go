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
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"golang.org/x/time/rate"
)

// system is the whole processing side, in process: the inbox, the pool, the
// bot and the guard, on SQLite, against the fake Green API.
type system struct {
	srv   *greenapitest.Server
	inbox *bot.Inbox
	pool  *bot.Pool
	guard *bot.Guard
	logs  *logtest.Buffer
}

func newSystem(t *testing.T, lookupTimeout time.Duration) *system {
	t.Helper()
	srv := greenapitest.New(t, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 1000))
	cfg := srv.Config()
	cfg.Timeout = 300 * time.Millisecond
	cfg.MinBackoff, cfg.MaxBackoff, cfg.MaxAttempts = 5*time.Millisecond, 50*time.Millisecond, 3
	cfg.Limits = map[string]rate.Limit{greenapi.MethodGetContactInfo: 1000}
	client, err := greenapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, logtest.Writer()), &slog.HandlerOptions{Level: slog.LevelInfo}))
	store := openStore(t, "")
	catalog := mustCatalog(t)
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
	if err != nil {
		t.Fatal(err)
	}
	var pool *bot.Pool
	guard := bot.NewGuard(client, bot.GuardConfig{MinPause: 50 * time.Millisecond, MaxPause: 400 * time.Millisecond,
		OnChange: func(err error) {
			if err == nil {
				pool.RetryNow()
			}
		}}, log, nil)
	b := bot.New(store, guard, catalog, rules, bot.Config{NewSenderAfter: 14 * 24 * time.Hour, ProfileRefresh: time.Hour,
		LookupTimeout: lookupTimeout, OperatorChatID: operatorChat}, log, nil)
	pool = bot.NewPool(store, b.Handle, bot.PoolConfig{MinRetry: 20 * time.Millisecond, MaxRetry: 300 * time.Millisecond}, log, nopPoolMetrics{})
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Stop(context.Background()) })
	return &system{srv: srv, inbox: bot.NewInbox(store, pool, log, nopInboxMetrics{}), pool: pool, guard: guard, logs: logs}
}

type nopInboxMetrics struct{}

func (nopInboxMetrics) Accepted(string, bot.Outcome) {}
func (nopInboxMetrics) QuotaExceeded()               {}

// deliver hands every queued notification to the inbox, as the webhook does.
func (s *system) deliver(t *testing.T) {
	t.Helper()
	client, _ := greenapi.NewClient(s.srv.Config())
	for s.srv.QueueLen() > 0 {
		n, err := client.ReceiveNotification(context.Background(), 0)
		if err != nil || n == nil {
			continue
		}
		if _, err := s.inbox.Accept(context.Background(), n.Body); err != nil {
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
	guarded := []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory}
	for _, m := range guarded {
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
	pausesBefore := strings.Count(s.logs.String(), "Green API unavailable: pausing calls")
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
	pauses := strings.Count(s.logs.String(), "Green API unavailable: pausing calls")
	probes := pauses - pausesBefore + 1 // each failed probe starts a pause step; one may be in flight
	for _, m := range guarded {
		s.srv.FailRandomly(m, 0)
	}
	outage := time.Since(outageStart)
	took := s.drain(t, 30*time.Second)
	t.Logf("RELIABILITY outage: %d new senders, 2 s outage: %d calls in the first 0.5 s (each chat's first call and its client retries), %d in the next 1.5 s (%d probes), %d pause log lines, a known chat handled during it, drained %v after it ended",
		contacts, firstWave, later, probes, pauses, took.Round(time.Millisecond))
	// The first wave is bounded by chats x client attempts; after it, only
	// the guard's probes go out, one per backoff step. Without the guard, 50
	// chats retrying every 20-300 ms would make hundreds of calls.
	if firstWave > contacts*3 {
		t.Errorf("%d calls in the first wave, more than %d chats x 3 attempts", firstWave, contacts)
	}
	// Paused, only probes go out: one per pause step (50 ms doubling to
	// 400 ms here), each with the client's 3 attempts. Without the guard,
	// 50 chats retrying every 20-300 ms would make hundreds of calls.
	if later > 3*probes {
		t.Errorf("%d calls in 1.5 s of a paused outage with %d pause steps: more than one probe (3 attempts) a step", later, probes)
	}
	// Pauses of 50, 100, 200, then 400 ms: the steps an outage this long can hold.
	if steps := 5 + int(outage/(400*time.Millisecond)); pauses == 0 || pauses > steps {
		t.Errorf("%d pause log lines in a %v outage; want one per backoff step, at most %d", pauses, outage.Round(time.Millisecond), steps)
	}
	if n := strings.Count(s.logs.String(), "notification failed; will retry"); n > contacts {
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
	if n := len(s.srv.Calls(greenapi.MethodSendMessage)); n != contacts {
		t.Errorf("%d sendMessage calls for %d new senders: a 466 must not be retried", n, contacts)
	}
	if n := strings.Count(s.logs.String(), "monthly quota is spent"); n != 1 {
		t.Errorf("quota logged %d times, want once", n)
	}
	if s.guard.Paused() {
		t.Error("a spent quota paused all calls")
	}
}
