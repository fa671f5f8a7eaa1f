package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
)

// The answers to a call, in the caller's language (a Brazilian number:
// Portuguese), and the operators' summary of a caller (English).
const (
	callReplyPT   = "Não podemos atender ligações neste número — escreva sua pergunta aqui e nós responderemos."
	summaryCalled = "Called on WhatsApp, nobody picked up: no message yet."
)

// callStores are the stores the calls' tests run on.
var callStores = map[string]func(t *testing.T) bot.Store{
	"sqlite": func(t *testing.T) bot.Store { return sqlitetest.Open(t, "") },
	"postgres": func(t *testing.T) bot.Store {
		db, err := postgres.Open(context.Background(), postgrestest.SchemaURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	},
}

// onStores runs test on each store, with a system built on it (with
// options).
func onStores(t *testing.T, test func(t *testing.T, s *system), options ...func(*setup)) {
	for name, open := range callStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := open(t)
			s := newSystem(t, 5*time.Second, append([]func(*setup){func(st *setup) { st.store = store }}, options...)...)
			test(t, s)
		})
	}
}

// messages returns the texts sent to chat.
func (s *system) messages(chat string) []string {
	var out []string
	for _, m := range s.srv.Sent(chat) {
		out = append(out, m.Message)
	}
	return out
}

// TestMissedCallFromANewNumber is issue #25's item 4: a call nobody picked
// up from a new number gets one answer in the caller's language, and the
// operators one summary saying they called; the call's other statuses,
// Green API's duplicates and a second call within NEW_SENDER_AFTER add
// nothing.
func TestMissedCallFromANewNumber(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, s *system) {
		const chat = "5511987650301@c.us"
		s.srv.SetContact(chat, greenapi.ContactInfo{Name: "Padaria Sol", Category: "Padaria", IsBusiness: true})
		id, bodies := s.srv.NewCall(greenapitest.PhoneCall{From: chat}, greenapitest.CallOffer, greenapitest.CallMissed)
		for _, body := range append(bodies, bodies...) { // each twice, as Green API may deliver them
			s.srv.Push(body)
		}
		s.settle(t)
		if got := s.messages(chat); len(got) != 1 || got[0] != callReplyPT {
			t.Errorf("the caller got %q; want the answer to the call once, in Portuguese", got)
		}
		ops := s.messages(operatorChat)
		if len(ops) != 1 || !strings.Contains(ops[0], "Padaria Sol") || !strings.Contains(ops[0], summaryCalled) || strings.Contains(ops[0], "First message") {
			t.Fatalf("the operators got %q; want one summary saying the customer called", ops)
		}
		fc, err := s.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, id)
		if err != nil || fc.Step != bot.StepDone || !fc.Reply.Sent() || !fc.Summary.Sent() {
			t.Errorf("the first contact of the call: %+v, %v; want done, answered and forwarded", fc, err)
		}
		// Another call within NEW_SENDER_AFTER, declined this time.
		s.srv.PushCall(greenapitest.PhoneCall{From: chat}, greenapitest.CallOffer, greenapitest.CallDeclined)
		s.settle(t)
		if n, m := len(s.messages(chat)), len(s.messages(operatorChat)); n != 1 || m != 1 {
			t.Errorf("a second call within the period: the caller has %d messages, the operators %d; want nothing more", n, m)
		}
	})
}

// TestMissedCallFromAKnownNumber: a caller whose chat was active within
// NEW_SENDER_AFTER gets the answer to the call, once in the period, and
// the operators nothing.
func TestMissedCallFromAKnownNumber(t *testing.T) {
	t.Parallel()
	onStores(t, func(t *testing.T, s *system) {
		const chat = "5511987650302@c.us"
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "Oi"})
		s.settle(t)
		greeted, summaries := len(s.messages(chat)), len(s.messages(operatorChat))
		s.srv.PushCall(greenapitest.PhoneCall{From: chat}, greenapitest.CallOffer, greenapitest.CallHangUp)
		s.srv.PushCall(greenapitest.PhoneCall{From: chat}, greenapitest.CallOffer, greenapitest.CallMissed)
		s.settle(t)
		got := s.messages(chat)[greeted:]
		if len(got) != 1 || got[0] != callReplyPT {
			t.Errorf("after two calls the caller got %q; want the answer to a call once", got)
		}
		if n := len(s.messages(operatorChat)); n != summaries {
			t.Errorf("the operators got %d more messages; a known caller is no first contact", n-summaries)
		}
	})
}

// TestAnsweredCallGetsNothing: a call a person picked up, a call that
// only rang, a group's call and a call from IGNORE_CHATS get nothing, and
// are no first contact.
func TestAnsweredCallGetsNothing(t *testing.T) {
	t.Parallel()
	const (
		picked  = "5511987650303@c.us"
		group   = "120363000000000099@g.us"
		ignored = "5511987650304@c.us"
	)
	onStores(t, func(t *testing.T, s *system) {
		s.srv.PushCall(greenapitest.PhoneCall{From: picked}, greenapitest.CallOffer, greenapitest.CallPickUp)
		s.srv.PushCall(greenapitest.PhoneCall{From: group}, greenapitest.CallOffer, greenapitest.CallMissed)
		s.srv.PushCall(greenapitest.PhoneCall{From: ignored}, greenapitest.CallOffer, greenapitest.CallMissed)
		s.srv.PushCall(greenapitest.PhoneCall{From: ignored + "x"}, greenapitest.CallOffer) // still ringing
		s.settle(t)
		if sent := s.srv.Sent(); len(sent) != 0 {
			t.Errorf("sent %+v; want nothing", sent)
		}
		if st, err := s.store.GetChat(context.Background(), greenapitest.DefaultIDInstance, picked); err != nil || st.FirstContactMsg != "" {
			t.Errorf("the chat of an answered call: %+v, %v; want no first contact", st, err)
		}
	}, func(st *setup) {
		filter, err := bot.NewChatFilter([]string{ignored})
		if err != nil {
			t.Fatal(err)
		}
		st.bot.Ignore = filter
	})
}

// TestNoAnswerToACallerWhoOptedOutOrIsWithAPerson: a caller who opted out,
// and one whose chat a person of the business has, get no answer.
func TestNoAnswerToACallerWhoOptedOutOrIsWithAPerson(t *testing.T) {
	t.Parallel()
	const (
		stopped = "5511987650305@c.us"
		person  = "5511987650306@c.us"
	)
	onStores(t, func(t *testing.T, s *system) {
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: stopped, SenderName: "Bia", Text: "Oi"})
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: person, SenderName: "Caio", Text: "Oi"})
		s.settle(t)
		s.srv.PushIncoming(greenapitest.Incoming{ChatID: stopped, SenderName: "Bia", Text: "PARAR"})
		s.srv.PushOutgoing(person, "Olá Caio, sou a Júlia")
		s.settle(t)
		before := map[string]int{stopped: len(s.srv.Sent(stopped)), person: len(s.srv.Sent(person))}
		s.srv.PushCall(greenapitest.PhoneCall{From: stopped}, greenapitest.CallOffer, greenapitest.CallDeclined)
		s.srv.PushCall(greenapitest.PhoneCall{From: person}, greenapitest.CallOffer, greenapitest.CallDeclined)
		s.settle(t)
		for chat, n := range before {
			if got := s.messages(chat)[n:]; len(got) != 0 {
				t.Errorf("%s got %q after the call; want nothing", chat, got)
			}
		}
	}, func(st *setup) { st.bot.HumanPause = time.Hour })
}

// crashingStore fails, once, the write that comes after the record of
// the answer to a call and before its send, as a process killed between
// the two does: the record is kept, nothing was sent.
type crashingStore struct {
	bot.Store
	mu      sync.Mutex
	crashed bool
}

func (c *crashingStore) SaveChatMessage(ctx context.Context, m bot.ChatMessage) error {
	c.mu.Lock()
	crash := m.Kind == bot.MsgCallReply && m.Out.Attempted && !c.crashed
	c.crashed = c.crashed || crash
	c.mu.Unlock()
	if crash {
		return errors.New("killed before the send")
	}
	return c.Store.SaveChatMessage(ctx, m)
}

// TestCallReplyGoesOnceAcrossACrash: the answer to a call is recorded
// before it is sent; a crash between the record and the send, or after
// the send and before its outcome was kept, sends it once.
func TestCallReplyGoesOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	for name, open := range callStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, lost := range []bool{false, true} {
				chat := "5511987650307@c.us"
				if lost {
					chat = "5511987650308@c.us"
				}
				crashing := &crashingStore{Store: open(t)}
				s := newSystem(t, 5*time.Second, func(st *setup) { st.store = crashing })
				s.srv.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Davi", Text: "Oi"})
				s.settle(t)
				greeted := len(s.srv.Sent(chat))
				if lost {
					crashing.mu.Lock()
					crashing.crashed = true // no crash before the send: its outcome is lost after it
					crashing.mu.Unlock()
					s.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
				}
				s.srv.PushCall(greenapitest.PhoneCall{From: chat}, greenapitest.CallOffer, greenapitest.CallMissed)
				s.settle(t)
				if got := s.messages(chat)[greeted:]; len(got) != 1 || got[0] != callReplyPT {
					t.Errorf("lost outcome %v: the caller got %q; want the answer once", lost, got)
				}
				crashing.mu.Lock()
				crashed := crashing.crashed
				crashing.mu.Unlock()
				if !crashed {
					t.Error("no crash between the record and the send")
				}
				if lost && len(s.srv.Calls(greenapi.MethodGetChatHistory)) == 0 {
					t.Error("the answer of unknown outcome was not looked for in the chat's history")
				}
			}
		})
	}
}

// call has the harness's bot handle a call from chat in each status, in
// turn, at the harness's time, and returns the call's id.
func (h *harness) call(chat string, statuses ...string) string {
	h.t.Helper()
	h.mu.Lock()
	at := h.now
	h.mu.Unlock()
	id, bodies := h.srv.NewCall(greenapitest.PhoneCall{From: chat, Time: at}, statuses...)
	for i, body := range bodies {
		n := queue.Notification{ChatID: chat, IDMessage: id + "/" + statuses[i], TypeWebhook: greenapi.TypeIncomingCall, Body: body, ReceivedAt: at}
		if err := h.handle(context.Background(), n); err != nil {
			h.t.Fatalf("Handle: %v", err)
		}
	}
	return id
}

// TestCallerIsTrackedLikeAnyFirstContact: the first contact of a call is
// reminded as any is, the reminder saying they called, until a person
// answers; its events tell of the call.
func TestCallerIsTrackedLikeAnyFirstContact(t *testing.T) {
	t.Parallel()
	const chat = "12125550309@c.us"
	h := newHarness(t, true, func(c *bot.Config) { c.Events = true })
	h.useRules(remindRules)
	id := h.call(chat, greenapitest.CallOffer, greenapitest.CallMissed)
	if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "We cannot take calls on this number") {
		t.Fatalf("the caller got %+v; want the answer to the call in English", sent)
	}
	h.advance(16 * time.Minute)
	h.sendReminders()
	ops := h.srv.Sent(operatorChat)
	if want := "Still waiting for an answer after 15 minutes: ?, +1 212-555-0309 — a missed call"; len(ops) != 2 || ops[1].Message != want {
		t.Fatalf("the operators got %+v; want the summary, then %q", ops, want)
	}
	h.businessWrites(chat)
	if fc, err := h.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, id); err != nil || fc.AnsweredAt.IsZero() || fc.AnsweredBy != "phone" {
		t.Errorf("the first contact of the call: %+v, %v; want answered from the phone", fc, err)
	}
	h.advance(30 * time.Minute)
	if h.sendReminders(); len(h.srv.Sent(escalationChat)) != 0 {
		t.Error("an answered caller was escalated")
	}
	var calls []string
	for _, e := range outboxEvents(t, h) {
		if strings.Contains(e, `"event":"call"`) {
			calls = append(calls, e)
		}
	}
	if len(calls) != 1 || !strings.Contains(calls[0], `"status":"missed","first_contact":true,"replied":true`) {
		t.Errorf("the call events: %q; want one, of a first contact answered", calls)
	}
}

// TestCallAnswerEchoIsNoAnswerAndAPeriodLaterAgain: the echo of the answer
// to a known caller's call is Frontdesk's own, not a person's answer; a
// call after NEW_SENDER_AFTER of silence is a first contact again.
func TestCallAnswerEchoIsNoAnswerAndAPeriodLaterAgain(t *testing.T) {
	t.Parallel()
	const chat = "12125550310@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Eva", Text: "hello?"})
	h.advance(time.Minute)
	h.call(chat, greenapitest.CallOffer, greenapitest.CallMissed)
	sent := h.srv.Sent(chat)
	if len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "We cannot take calls") {
		t.Fatalf("the customer got %+v; want the greeting, then the answer to the call", sent)
	}
	h.businessEcho(chat, sent[1].IDMessage)
	h.advance(15 * time.Minute)
	if h.sendReminders(); len(h.srv.Sent(operatorChat)) != 2 {
		t.Error("the echo of the answer to the call counted as a person's answer: no reminder")
	}
	h.advance(h.cfg.NewSenderAfter + time.Hour)
	id := h.call(chat, greenapitest.CallOffer, greenapitest.CallDeclined)
	if sent := h.srv.Sent(chat); len(sent) != 3 || !strings.HasPrefix(sent[2].Message, "We cannot take calls") {
		t.Errorf("after NEW_SENDER_AFTER of silence the caller got %d messages; want the answer to the call again", len(sent)-2)
	}
	if fc, err := h.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, id); err != nil || !fc.Summary.Sent() {
		t.Errorf("the call a period later: %+v, %v; want a first contact forwarded", fc, err)
	}
}

// TestCallerOfAMenuRuleReachesTheOperators: a caller matches a rule whose
// menu routes and whose own route forwards nothing; a caller gets no menu,
// so the summary goes to the operators' chat all the same.
func TestCallerOfAMenuRuleReachesTheOperators(t *testing.T) {
	t.Parallel()
	const chat = "12125550311@c.us"
	h := newHarness(t, true)
	h.useRules(`[[rule]]
id = "menu"
reply = "greeting_generic"
forward = false

[[rule.choice]]
id = "sales"
label = "choice_sales"
forward_to = "120363000000000002@g.us"

[[rule.choice]]
id = "other"
label = "choice_other"
`)
	h.call(chat, greenapitest.CallOffer, greenapitest.CallMissed)
	if ops := h.srv.Sent(operatorChat); len(ops) != 1 || !strings.Contains(ops[0].Message, "Called on WhatsApp") {
		t.Errorf("the operators got %+v; want the summary of the call", ops)
	}
}
