package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

const escalationChat = "120363000000000009@g.us"

// remindRules: every contact is greeted and forwarded; no answer within
// 15 minutes reminds the operators, within 40 escalates to the managers.
const remindRules = `answer_within = "15m"
escalate_to = "` + escalationChat + `"
escalate_after = "40m"

[[rule]]
id = "everyone"
reply = "greeting_generic"
forward = true
`

// sendReminders runs what the leader of the "reminders" duty runs, at the
// harness's time, then works what it stored; it returns how many it stored.
func (h *harness) sendReminders() int {
	h.t.Helper()
	return h.sweep(func(ctx context.Context, inbox bot.Enqueuer, now time.Time) (int, error) {
		return bot.SendDueReminders(ctx, h.store, inbox, now, []string{greenapitest.DefaultIDInstance})
	})
}

// TestUnansweredContactIsRemindedThenEscalated is issue #25's item 2: a
// routed contact no person answers gets one reminder in the chat that got
// its summary after answer_within, and one message to escalate_to after
// escalate_after; each once, however often the sweep runs.
func TestUnansweredContactIsRemindedThenEscalated(t *testing.T) {
	t.Parallel()
	const chat = "12125550160@c.us"
	h := newHarness(t, true, func(c *bot.Config) { c.Events = true })
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "Do you deliver?"})
	if n := len(h.srv.Sent(operatorChat)); n != 1 {
		t.Fatalf("%d summaries", n)
	}
	h.advance(14 * time.Minute)
	if n := h.sendReminders(); n != 0 {
		t.Errorf("%d reminders before answer_within", n)
	}
	h.advance(2 * time.Minute)
	h.sendReminders()
	h.sendReminders()
	ops := h.srv.Sent(operatorChat)
	if want := "Still waiting for an answer after 15 minutes: Ana, +1 212-555-0160 — “Do you deliver?”"; len(ops) != 2 || ops[1].Message != want {
		t.Fatalf("the operators got %d messages, the last %q; want the summary, then %q", len(ops), ops[len(ops)-1].Message, want)
	}
	if n := len(h.srv.Sent(escalationChat)); n != 0 {
		t.Errorf("escalated %d times before escalate_after", n)
	}
	h.advance(25 * time.Minute)
	h.sendReminders()
	h.sendReminders()
	if esc := h.srv.Sent(escalationChat); len(esc) != 1 || !strings.HasPrefix(esc[0].Message, "No one has answered for 40 minutes: Ana") {
		t.Errorf("escalations %+v; want one", esc)
	}
	if n := len(h.srv.Sent(operatorChat)); n != 2 {
		t.Errorf("the operators got %d messages; want the summary and one reminder", n)
	}
	if n := len(h.srv.Sent(chat)); n != 1 {
		t.Errorf("the customer got %d messages; want only the greeting", n)
	}
	var told []string
	for _, e := range outboxEvents(t, h) {
		for _, ev := range []string{`"event":"reminded"`, `"event":"escalated"`} {
			if strings.Contains(e, ev) {
				told = append(told, ev)
			}
		}
	}
	if got := strings.Join(told, " "); got != `"event":"reminded" "event":"escalated"` {
		t.Errorf("the events tell %s; want one reminded, then one escalated", got)
	}
}

// outboxEvents delivers the outbox, in order, as the deliverer does, and
// returns every event's body.
func outboxEvents(t *testing.T, h *harness) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for range 10 {
		events, err := h.store.DueEvents(ctx, time.Now().Add(48*time.Hour), 100) // the harness clock runs ahead
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			out = append(out, string(e.Body))
			if err := h.store.SettleEvent(ctx, e.Seq, bot.EventSettlement{At: time.Now(), Delivered: true, Attempts: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestAnsweredContactIsNotReminded: a person of the business answered in
// time: no reminder, no escalation.
func TestAnsweredContactIsNotReminded(t *testing.T) {
	t.Parallel()
	const chat = "12125550161@c.us"
	h := newHarness(t, true, func(c *bot.Config) { c.Events = true })
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
	h.advance(10 * time.Minute)
	h.businessWrites(chat)
	var answered []string
	for _, e := range outboxEvents(t, h) {
		if strings.Contains(e, `"event":"answered"`) {
			answered = append(answered, e)
		}
	}
	// A message's time is WhatsApp's, in whole seconds: 10 minutes, less
	// the fraction of a second of the first contact's start.
	if len(answered) != 1 || !(strings.Contains(answered[0], `"waited_seconds":600,`) || strings.Contains(answered[0], `"waited_seconds":599,`)) ||
		!strings.Contains(answered[0], `"by":"phone"`) {
		t.Errorf("answered events %v; want one, 10 minutes by phone", answered)
	}
	h.advance(time.Hour)
	if n := h.sendReminders(); n != 0 {
		t.Errorf("%d reminders for an answered contact", n)
	}
	if n := len(h.srv.Sent(operatorChat)) + len(h.srv.Sent(escalationChat)); n != 1 {
		t.Errorf("%d messages to the operators and the managers; want only the summary", n)
	}
}

// TestReminderAnsweredWhileQueued: the person's answer is stored but not
// yet handled when the reminder is due: the reminder is queued after it
// in the chat's order, and finds the contact answered.
func TestReminderAnsweredWhileQueued(t *testing.T) {
	t.Parallel()
	const chat = "12125550162@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Cy", Text: "hi"})
	h.advance(14 * time.Minute)
	id := "3EB1ANSWER0000000001"
	body := `{"typeWebhook":"outgoingMessageReceived","instanceData":{"idInstance":` + greenapitest.DefaultIDInstance + `,"wid":"` + greenapitest.AccountWid + `","typeInstance":"whatsapp"},` +
		`"timestamp":` + itoa(h.now.Unix()) + `,"idMessage":"` + id + `","senderData":{"chatId":"` + chat + `","sender":"` + greenapitest.AccountWid + `","senderName":"Business"},` +
		`"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"Hello!"}}}`
	if _, err := h.store.AddNotification(context.Background(), queue.Notification{Instance: greenapitest.DefaultIDInstance, ChatID: chat, IDMessage: id,
		TypeWebhook: "outgoingMessageReceived", Body: []byte(body), ReceivedAt: h.now}); err != nil {
		t.Fatal(err)
	}
	h.advance(2 * time.Minute)
	if n := h.sendReminders(); n != 1 {
		t.Fatalf("stored %d reminders; want the due one, queued behind the answer", n)
	}
	if n := len(h.srv.Sent(operatorChat)); n != 1 {
		t.Errorf("the operators got %d messages; the answer came first: want only the summary", n)
	}
}

// TestReminderTimeCountsOpenHoursOnly: with [hours], a contact written at
// 21:00 is reminded 15 open minutes later, at 09:15 the next open day.
func TestReminderTimeCountsOpenHoursOnly(t *testing.T) {
	t.Parallel()
	h := hoursOf(t, officeHours)
	be := mustLoad(t, "Europe/Berlin")
	for _, tt := range []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"21:00 on a Tuesday", time.Date(2026, 12, 1, 21, 0, 0, 0, be), 15 * time.Minute, time.Date(2026, 12, 2, 9, 15, 0, 0, be)},
		{"17:50 on a Friday", time.Date(2026, 12, 4, 17, 50, 0, 0, be), 15 * time.Minute, time.Date(2026, 12, 7, 9, 5, 0, 0, be)},
		{"while open", time.Date(2026, 12, 1, 10, 0, 30, 0, be), 15 * time.Minute, time.Date(2026, 12, 1, 10, 15, 30, 0, be)},
		{"across the change to summer time", time.Date(2027, 3, 26, 17, 30, 0, 0, be), time.Hour, time.Date(2027, 3, 29, 9, 30, 0, 0, be)},
	} {
		if got := h.AddOpen(tt.from, tt.d); !got.Equal(tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
}

// TestReminderSettingsAreChecked: answer_within and escalation mistakes
// name the file, line and key.
func TestReminderSettingsAreChecked(t *testing.T) {
	t.Parallel()
	const rule = "\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\nforward = true\n"
	for _, tt := range []struct{ text, want string }{
		{`answer_within = "30s"` + rule, `rules.toml:1: answer_within: "30s": expected a duration of at least 1m`},
		{`answer_within = "15m"` + "\n" + `escalate_to = "120363000000000009@g.us"` + rule, `escalate_after: escalate_to and escalate_after go together`},
		{`answer_within = "15m"` + "\n" + `escalate_to = "nobody"` + "\n" + `escalate_after = "1h"` + rule, `rules.toml:2: escalate_to: "nobody": expected a chat id`},
		{`answer_within = "2h"` + "\n" + `escalate_to = "120363000000000009@g.us"` + "\n" + `escalate_after = "1h"` + rule, `escalate_after: 1h0m0s: expected longer than answer_within (2h0m0s)`},
		{rule + `answer_within = "1x"` + "\n", `rules.toml:6: rule "all": answer_within: "1x": expected a duration`},
		{`hold_message = "we_miss_you"` + rule, `rules.toml:1: hold_message: message "we_miss_you" is not in the default locale "en"`},
		{rule + "\n[[rule.choice]]\nid = \"sales\"\nlabel = \"choice_sales\"\nanswer_within = \"1x\"\n", `rules.toml:10: rule "all": choice "sales": answer_within: "1x": expected a duration`},
	} {
		_, err := bot.ParseRules("rules.toml", []byte(tt.text), mustCatalog(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.text, err, tt.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReminderWhoseOutcomeWasLostGoesOnce: the reminder went out but its
// answer was lost (as when Frontdesk dies between the send and its
// record): the retry reads the operators' chat's history and does not send
// it again.
func TestReminderWhoseOutcomeWasLostGoesOnce(t *testing.T) {
	t.Parallel()
	const chat = "12125550163@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Di", Text: "hi"})
	h.advance(16 * time.Minute)
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
	h.sendReminders()
	h.sendReminders()
	if ops := h.srv.Sent(operatorChat); len(ops) != 2 || !strings.HasPrefix(ops[1].Message, "Still waiting for an answer") {
		t.Errorf("the operators got %d messages; want the summary and the reminder once", len(ops))
	}
	if n := len(h.srv.Calls(greenapi.MethodGetChatHistory)); n == 0 {
		t.Error("the reminder of unknown outcome was not looked for in the history")
	}
}

// TestHoldMessageGoesOnceAndNeverToWhoOptedOut is issue #25's item 2: with
// hold_message the customer gets one message in their language with the
// reminder; one who opted out gets none.
func TestHoldMessageGoesOnceAndNeverToWhoOptedOut(t *testing.T) {
	t.Parallel()
	rules := "hold_message = \"hold\"\n" + remindRules
	t.Run("unanswered", func(t *testing.T) {
		t.Parallel()
		const chat = "5511987650170@c.us" // Brazil: Portuguese
		h := newHarness(t, true)
		h.useRules(rules)
		h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "Oi"})
		h.advance(16 * time.Minute)
		h.sendReminders()
		h.sendReminders()
		sent := h.srv.Sent(chat)
		if len(sent) != 2 || sent[1].Message != "Não nos esquecemos de você: uma pessoa vai responder aqui o mais rápido possível." {
			t.Errorf("the customer got %+v; want the greeting, then the hold message once, in Portuguese", sent)
		}
		// Its echo is Frontdesk's own: the contact is still unanswered.
		h.businessEcho(chat, sent[len(sent)-1].IDMessage)
		h.advance(25 * time.Minute)
		if h.sendReminders(); len(h.srv.Sent(escalationChat)) != 1 {
			t.Error("the hold message's echo counted as a person's answer: no escalation")
		}
	})
	t.Run("opted out", func(t *testing.T) {
		t.Parallel()
		const chat = "5511987650171@c.us"
		h := newHarness(t, true)
		h.useRules(rules)
		h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bia", Text: "Oi"})
		h.advance(time.Minute)
		h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bia", Text: "PARAR"})
		h.advance(15 * time.Minute)
		h.sendReminders()
		for _, m := range h.srv.Sent(chat) {
			if strings.Contains(m.Message, "esquecemos") {
				t.Errorf("a customer who opted out got the hold message")
			}
		}
		if ops := h.srv.Sent(operatorChat); len(ops) != 2 {
			t.Errorf("the operators got %d messages; want the summary and the reminder", len(ops))
		}
	})
}

// businessEcho hands the bot Green API's echo (outgoingAPIMessageReceived)
// of a message Frontdesk sent in chat.
func (h *harness) businessEcho(chat, id string) {
	h.t.Helper()
	body := fmt.Sprintf(`{"typeWebhook":"outgoingAPIMessageReceived","instanceData":{"idInstance":%s,"wid":%q,"typeInstance":"whatsapp"},`+
		`"timestamp":%d,"idMessage":%q,"senderData":{"chatId":%q,"sender":%q,"senderName":"Business"},`+
		`"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"…"}}}`,
		greenapitest.DefaultIDInstance, greenapitest.AccountWid, h.now.Unix(), id, chat, greenapitest.AccountWid)
	if err := h.handle(context.Background(), queue.Notification{ChatID: chat, IDMessage: id, Body: []byte(body), ReceivedAt: h.now}); err != nil {
		h.t.Fatal(err)
	}
}

// TestTwoReplicasRemindOnce is issue #25's proof "two replicas → once":
// two replicas on one PostgreSQL database sweep for due reminders at the
// same moment (as during a handover of the "reminders" duty), each storing
// what it finds through its own inbox and working it with its own bot;
// then an operator's claim is delivered to both (a duplicate). The
// reminder, the escalation and the claim's acknowledgement each go once.
func TestTwoReplicasRemindOnce(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 1000))
	var replicas []*harness
	for _, store := range replicaStores(t, 2) {
		h := newHarnessOn(t, srv, store, true)
		h.useRules(remindRules)
		replicas = append(replicas, h)
	}
	const chat = "12125550174@c.us"
	replicas[0].write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "hi"})
	both := func(d time.Duration) {
		var wg sync.WaitGroup
		for _, h := range replicas {
			h.advance(d)
			wg.Go(func() { h.sendReminders() })
		}
		wg.Wait()
	}
	both(16 * time.Minute)
	both(0)
	summary := srv.Sent(operatorChat)[0].IDMessage
	id, body := srv.NewIncoming(greenapitest.Incoming{ChatID: operatorChat, Sender: anna, SenderName: "Anna",
		Data: greenapitest.Quote(summary, greenapitest.AccountWid, "New contact", "+")})
	// Delivered to both, as a webhook resent to another replica is: each
	// stores it (the inbox's Accept), and the one that stored it works it.
	var wg sync.WaitGroup
	for _, h := range replicas {
		wg.Go(func() {
			n := queue.Notification{Instance: greenapitest.DefaultIDInstance, ChatID: operatorChat, IDMessage: id, TypeWebhook: "incomingMessageReceived",
				Body: body, ReceivedAt: h.now}
			stored, err := h.store.AddNotification(context.Background(), n)
			if err != nil {
				t.Error(err)
				return
			}
			if stored != 0 {
				if err := h.handle(context.Background(), n); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	both(41 * time.Minute) // escalate_after counts from the claim, at 16 minutes
	both(0)
	ops := messages(srv.Sent(operatorChat))
	if len(ops) != 3 || !strings.HasPrefix(ops[1], "Still waiting") || !strings.HasPrefix(ops[2], "Taken by Anna") {
		t.Errorf("the operators' chat got %q; want the summary, one reminder, one acknowledgement", ops)
	}
	if esc := srv.Sent(escalationChat); len(esc) != 1 {
		t.Errorf("%d escalations; want one", len(esc))
	}
}

// TestChoiceHasItsOwnAnswerWithin is issue #25's item 2 on a menu choice:
// a choice's answer_within (and escalation) replace the rule's once it is
// chosen; another choice keeps the rule's.
func TestChoiceHasItsOwnAnswerWithin(t *testing.T) {
	t.Parallel()
	const salesChat, managers = "120363000000000002@g.us", "120363000000000003@g.us"
	rules := `answer_within = "15m"

[[rule]]
id = "menu"
reply = "greeting_generic"
forward = true

[[rule.choice]]
id = "sales"
label = "choice_sales"
forward_to = "` + salesChat + `"
answer_within = "5m"
escalate_to = "` + managers + `"
escalate_after = "10m"

[[rule.choice]]
id = "support"
label = "choice_support"
`
	h := newHarness(t, true)
	h.useRules(rules)
	const buyer, client = "12125550190@c.us", "12125550191@c.us"
	h.write(greenapitest.Incoming{ChatID: buyer, SenderName: "Ana", Text: "hi"})
	h.write(greenapitest.Incoming{ChatID: client, SenderName: "Bo", Text: "hi"})
	h.advance(time.Minute)
	h.write(greenapitest.Incoming{ChatID: buyer, SenderName: "Ana", Text: "1"})
	h.write(greenapitest.Incoming{ChatID: client, SenderName: "Bo", Text: "2"})
	h.advance(5 * time.Minute) // 6 minutes after the first messages
	h.sendReminders()
	sales := messages(h.srv.Sent(salesChat))
	if len(sales) != 2 || !strings.HasPrefix(sales[1], "Still waiting for an answer after 5 minutes: Ana") {
		t.Fatalf("the sales chat got %q; want the summary, then the choice's reminder after 5 minutes", sales)
	}
	if ops := h.srv.Sent(operatorChat); len(ops) != 1 {
		t.Errorf("the operators got %d messages 6 minutes in; want only the support summary (the rule's 15 minutes)", len(ops))
	}
	h.advance(5 * time.Minute) // 11 minutes
	h.sendReminders()
	if esc := messages(h.srv.Sent(managers)); len(esc) != 1 || !strings.HasPrefix(esc[0], "No one has answered for 10 minutes: Ana") {
		t.Errorf("the managers got %q; want the choice's escalation after 10 minutes", esc)
	}
	h.advance(5 * time.Minute) // 16 minutes
	h.sendReminders()
	if ops := messages(h.srv.Sent(operatorChat)); len(ops) != 2 || !strings.HasPrefix(ops[1], "Still waiting for an answer after 15 minutes: Bo") {
		t.Errorf("the operators got %q; want the support summary, then the rule's reminder after 15 minutes", ops)
	}
	if n := len(h.srv.Sent(salesChat)); n != 2 {
		t.Errorf("the sales chat got %d messages; want no second reminder", n)
	}
}

// TestTwoClaimsAtOnceOneHolds: two replicas handle, at the same moment,
// Anna's claim of a contact's summary in the operators' chat and Bruno's
// of its escalation in the managers' chat (two chats: two lanes). One
// claim holds; its claimer is told so, the other who has it.
func TestTwoClaimsAtOnceOneHolds(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 1000))
	var replicas []*harness
	for _, store := range replicaStores(t, 2) {
		h := newHarnessOn(t, srv, store, true)
		h.useRules(remindRules)
		replicas = append(replicas, h)
	}
	const chat = "12125550177@c.us"
	first := replicas[0]
	first.write(greenapitest.Incoming{ChatID: chat, SenderName: "Gil", Text: "hi"})
	first.advance(41 * time.Minute)
	first.sendReminders()
	first.sendReminders()
	summary, escalation := srv.Sent(operatorChat)[0].IDMessage, srv.Sent(escalationChat)[0].IDMessage
	claims := []struct {
		chat, operator, name, quoted string
	}{{operatorChat, anna, "Anna", summary}, {escalationChat, bruno, "Bruno", escalation}}
	var wg sync.WaitGroup
	for i, c := range claims {
		h := replicas[i]
		h.advance(41 * time.Minute)
		id, body := srv.NewIncoming(greenapitest.Incoming{ChatID: c.chat, Sender: c.operator, SenderName: c.name, Time: h.now,
			Data: greenapitest.Quote(c.quoted, greenapitest.AccountWid, "…", "+")})
		wg.Go(func() {
			if err := h.handle(context.Background(), queue.Notification{ChatID: c.chat, IDMessage: id, Body: body, ReceivedAt: h.now}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st, err := first.store.GetChat(context.Background(), greenapitest.DefaultIDInstance, chat)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := first.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, st.FirstContactMsg)
	if err != nil {
		t.Fatal(err)
	}
	holder, other := fc.Claim.By, map[string]string{"Anna": "Bruno", "Bruno": "Anna"}[fc.Claim.By]
	if other == "" {
		t.Fatalf("the claim is held by %q; want Anna or Bruno", holder)
	}
	var told []string
	for _, c := range []string{operatorChat, escalationChat} {
		for _, m := range srv.Sent(c) {
			if strings.HasPrefix(m.Message, "Taken by") || strings.Contains(m.Message, "already taken") {
				told = append(told, m.Message)
			}
		}
	}
	if len(told) != 2 || !slices.Contains(told, "Taken by "+holder+": +1 212-555-0177") || !slices.Contains(told, "+1 212-555-0177 is already taken by "+holder+".") {
		t.Errorf("the chats were told %q; want one acknowledgement of %s and %s told %s has it", told, holder, other, holder)
	}
}
