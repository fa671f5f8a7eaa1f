package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// The operators in the operators' chat (operatorChat).
const (
	anna  = "5511900000001@c.us"
	bruno = "5511900000002@c.us"
)

// claim has operator (with name) reply to the operators' chat's message
// quoted with text, and returns the reply's idMessage.
func (h *harness) claim(chat, operator, name, quoted, text string) string {
	h.t.Helper()
	id := "3EB2" + strings.ToUpper(strings.TrimSuffix(operator, "@c.us")) + itoa(h.now.UnixNano()%1e6)
	in := greenapitest.Incoming{ChatID: chat, Sender: operator, SenderName: name, IDMessage: id,
		Data: greenapitest.Quote(quoted, greenapitest.AccountWid, "New contact", text)}
	h.write(in)
	return id
}

// TestClaimInTheOperatorsChat is issue #25's item 3: an operator takes a
// contact by quoting its summary with a claim word; Frontdesk says so once,
// tells a second claimer who has it, reminds no one before the claimer's
// own answer_within, and then names the claimer in the reminder.
func TestClaimInTheOperatorsChat(t *testing.T) {
	t.Parallel()
	const chat = "12125550170@c.us"
	h := newHarness(t, true, func(c *bot.Config) { c.Events = true })
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "Do you deliver?"})
	ops := h.srv.Sent(operatorChat)
	if len(ops) != 1 {
		t.Fatalf("%d summaries", len(ops))
	}
	summary := ops[0].IDMessage
	h.advance(10 * time.Minute)
	claimID := h.claim(operatorChat, anna, "Anna", summary, "mine")
	// The same notification handled again (a duplicate, a retry): once.
	h.write(greenapitest.Incoming{ChatID: operatorChat, Sender: anna, SenderName: "Anna", IDMessage: claimID,
		Data: greenapitest.Quote(summary, greenapitest.AccountWid, "New contact", "mine")})
	ops = h.srv.Sent(operatorChat)
	if want := "Taken by Anna: +1 212-555-0170"; len(ops) != 2 || ops[1].Message != want {
		t.Fatalf("the operators' chat got %q; want the summary, then %q once", messages(ops), want)
	}
	h.advance(time.Minute)
	h.claim(operatorChat, bruno, "Bruno", summary, "+")
	ops = h.srv.Sent(operatorChat)
	if want := "+1 212-555-0170 is already taken by Anna."; len(ops) != 3 || ops[2].Message != want {
		t.Fatalf("a second claim got %q; want %q", messages(ops[2:]), want)
	}
	// answer_within (15 minutes) counts from Anna's claim, at 10 minutes.
	h.advance(6 * time.Minute) // 17 minutes
	if n := h.sendReminders(); n != 0 {
		t.Errorf("%d reminders 7 minutes after the claim", n)
	}
	h.advance(9 * time.Minute) // 26 minutes
	h.sendReminders()
	ops = h.srv.Sent(operatorChat)
	want := "Still waiting for an answer after 15 minutes: Ana, +1 212-555-0170 — “Do you deliver?”\nTaken by Anna, who has not answered yet."
	if len(ops) != 4 || ops[3].Message != want {
		t.Fatalf("the reminder is %q; want %q", messages(ops[3:]), want)
	}
	var claimed []string
	for _, e := range outboxEvents(t, h) {
		if strings.Contains(e, `"event":"claimed"`) {
			claimed = append(claimed, e)
		}
	}
	if len(claimed) != 1 || !strings.Contains(claimed[0], `"operator":"Anna"`) || !strings.Contains(claimed[0], `"operator_phone":"+55 11 90000-0001"`) {
		t.Errorf("claimed events %v; want one, naming Anna and her number", claimed)
	}
}

// TestOnlyAClaimQuotingAContactClaims: in the operators' chat, a claim
// word that quotes nothing, or quotes another message, and any other
// reply change nothing; a claim in a group that is not an operators' chat
// is not read.
func TestOnlyAClaimQuotingAContactClaims(t *testing.T) {
	t.Parallel()
	const chat = "12125550171@c.us"
	const otherGroup = "120363000000000077@g.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
	summary := h.srv.Sent(operatorChat)[0].IDMessage
	h.write(greenapitest.Incoming{ChatID: operatorChat, Sender: anna, SenderName: "Anna", Text: "+"})
	h.write(greenapitest.Incoming{ChatID: operatorChat, Sender: anna, SenderName: "Anna", // quoting a colleague's message
		Data: greenapitest.Quote("3EB0NOTASUMMARY0001", bruno, "who is on duty?", "+")})
	h.claim(operatorChat, anna, "Anna", summary, "who takes this?")
	h.claim(otherGroup, anna, "Anna", summary, "+")
	if ops := h.srv.Sent(operatorChat); len(ops) != 1 {
		t.Errorf("the operators' chat got %q; want only the summary", messages(ops))
	}
	if n := len(h.srv.Sent(otherGroup)); n != 0 {
		t.Errorf("a group that is no operators' chat got %d messages", n)
	}
	h.advance(16 * time.Minute)
	h.sendReminders()
	if ops := h.srv.Sent(operatorChat); len(ops) != 2 || strings.Contains(ops[1].Message, "Taken by") {
		t.Errorf("the reminder %q; want one that names no one", messages(ops[1:]))
	}
}

// TestClaimQuotingTheReminder: the reminder quoted with a claim word
// claims too, and the escalation then names the claimer.
func TestClaimQuotingTheReminder(t *testing.T) {
	t.Parallel()
	const chat = "12125550172@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Cy", Text: "hi"})
	h.advance(16 * time.Minute)
	h.sendReminders()
	ops := h.srv.Sent(operatorChat)
	if len(ops) != 2 {
		t.Fatalf("%d messages to the operators; want the summary and the reminder", len(ops))
	}
	h.claim(operatorChat, bruno, "Bruno", ops[1].IDMessage, "беру")
	if ops := h.srv.Sent(operatorChat); len(ops) != 3 || ops[2].Message != "Taken by Bruno: +1 212-555-0172" {
		t.Fatalf("the operators' chat got %q; want the claim acknowledged", messages(ops[2:]))
	}
	// escalate_after (40 minutes) counts from the claim, at 16 minutes.
	h.advance(25 * time.Minute)
	if h.sendReminders(); len(h.srv.Sent(escalationChat)) != 0 {
		t.Error("escalated 25 minutes after the claim; want escalate_after from the claim")
	}
	h.advance(16 * time.Minute)
	h.sendReminders()
	esc := h.srv.Sent(escalationChat)
	if len(esc) != 1 || !strings.HasSuffix(esc[0].Message, "\nTaken by Bruno, who has not answered yet.") {
		t.Errorf("escalations %q; want one naming Bruno", messages(esc))
	}
}

// TestClaimAcknowledgementOfUnknownOutcomeGoesOnce: the acknowledgement
// went out but its answer was lost: the retry reads the operators' chat's
// history and does not send it again.
func TestClaimAcknowledgementOfUnknownOutcomeGoesOnce(t *testing.T) {
	t.Parallel()
	const chat = "12125550173@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Di", Text: "hi"})
	summary := h.srv.Sent(operatorChat)[0].IDMessage
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: operatorChat, Sender: anna, SenderName: "Anna", Time: h.now,
		Data: greenapitest.Quote(summary, greenapitest.AccountWid, "New contact", "+")})
	h.handleUntilDone(queue.Notification{ChatID: operatorChat, IDMessage: id, Body: body, ReceivedAt: h.now})
	if ops := h.srv.Sent(operatorChat); len(ops) != 2 || ops[1].Message != "Taken by Anna: +1 212-555-0173" {
		t.Errorf("the operators' chat got %q; want the acknowledgement once", messages(ops))
	}
	if n := len(h.srv.Calls(greenapi.MethodGetChatHistory)); n == 0 {
		t.Error("the acknowledgement of unknown outcome was not looked for in the history")
	}
}

func messages(sent []greenapitest.SentMessage) []string {
	var out []string
	for _, m := range sent {
		out = append(out, m.Message)
	}
	return out
}

// TestClaimAfterTheReminderWasQueued: the reminder was stored when due,
// but the customer's chat was behind; an operator claims meanwhile. The
// stored reminder waits, and the reminder goes answer_within after the
// claim, naming the claimer, once.
func TestClaimAfterTheReminderWasQueued(t *testing.T) {
	t.Parallel()
	const chat = "12125550175@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ed", Text: "hi"})
	summary := h.srv.Sent(operatorChat)[0].IDMessage
	h.advance(16 * time.Minute)
	// The sweep stores the due reminder; the claim is handled before it.
	ctx := context.Background()
	stored := &storeOnly{store: h.store}
	if _, err := bot.SendDueReminders(ctx, h.store, stored, h.now, []string{greenapitest.DefaultIDInstance}); err != nil || len(stored.got) != 1 {
		t.Fatalf("%d reminders stored, %v; want the due one", len(stored.got), err)
	}
	h.claim(operatorChat, anna, "Anna", summary, "+")
	n := stored.got[0]
	if err := h.handle(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := h.store.FinishNotification(ctx, n.ID, h.now); err != nil {
		t.Fatal(err)
	}
	if ops := h.srv.Sent(operatorChat); len(ops) != 2 {
		t.Fatalf("the operators' chat got %q; want the summary and the acknowledgement only", messages(ops))
	}
	h.advance(14 * time.Minute)
	if n := h.sendReminders(); n != 0 {
		t.Errorf("%d reminders stored 14 minutes after the claim", n)
	}
	h.advance(2 * time.Minute)
	h.sendReminders()
	h.sendReminders()
	ops := messages(h.srv.Sent(operatorChat))
	if len(ops) != 3 || !strings.HasSuffix(ops[2], "\nTaken by Anna, who has not answered yet.") {
		t.Errorf("the operators' chat got %q; want one reminder naming Anna, 15 minutes after the claim", ops)
	}
}

// storeOnly is an Enqueuer that stores what it is given, as the inbox
// does, and keeps it for the test to handle.
type storeOnly struct {
	store bot.Store
	got   []queue.Notification
}

func (s *storeOnly) Add(ctx context.Context, n queue.Notification) (bool, error) {
	id, err := s.store.AddNotification(ctx, n)
	if err != nil || id == 0 {
		return false, err
	}
	n.ID = id
	s.got = append(s.got, n)
	return true, nil
}

// TestClaimBeforeTheSummaryIsRecorded: an operator claims a summary whose
// send's answer was lost (it went out; its id is not recorded until the
// chat's history settles it): the claim is handled again while that
// summary is being settled, and holds once it is; a claim of a message
// that is no contact's is given up at once when no summary is being
// settled, and after a while when one is.
func TestClaimBeforeTheSummaryIsRecorded(t *testing.T) {
	t.Parallel()
	const chat = "12125550176@c.us"
	h := newHarness(t, true)
	h.useRules(remindRules)
	claim := func(quoted string, written time.Time) error {
		id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: operatorChat, Sender: anna, SenderName: "Anna", Time: written,
			Data: greenapitest.Quote(quoted, greenapitest.AccountWid, "…", "+")})
		return h.handle(context.Background(), queue.Notification{ChatID: operatorChat, IDMessage: id, Body: body, ReceivedAt: h.now})
	}
	if err := claim("3EB0NOTACONTACTS", h.now); err != nil {
		t.Errorf("a claim of a message that is no contact's, no summary being settled: %v; want it given up at once", err)
	}
	// The summary goes out, but its answer is lost and the history cannot
	// be read yet.
	h.srv.FailChat(greenapi.MethodSendMessage, operatorChat, greenapitest.Fault{Status: 500, AfterWork: true})
	h.srv.FailChat(greenapi.MethodGetChatHistory, operatorChat, greenapitest.Fault{Status: 500})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Fa", Text: "hi", Time: h.now})
	customer := queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}
	if err := h.handle(context.Background(), customer); err == nil {
		t.Fatal("the summary's lost answer was settled at once; want it pending")
	}
	summary := h.srv.Sent(operatorChat)[0].IDMessage
	if err := claim(summary, h.now); err == nil {
		t.Error("a claim of the summary being settled is done with; want it handled again")
	}
	if err := claim("3EB0NEVERACONTACT", h.now.Add(-3*time.Minute)); err != nil {
		t.Errorf("a claim written 3 minutes ago of a message that is no contact's: %v; want it given up", err)
	}
	h.srv.FailChat(greenapi.MethodSendMessage, operatorChat, greenapitest.Fault{})
	h.srv.FailChat(greenapi.MethodGetChatHistory, operatorChat, greenapitest.Fault{})
	h.handleUntilDone(customer)
	if err := claim(summary, h.now); err != nil {
		t.Fatal(err)
	}
	if ops := messages(h.srv.Sent(operatorChat)); len(ops) != 2 || !strings.HasPrefix(ops[1], "Taken by Anna") {
		t.Errorf("the operators' chat got %q; want the summary once and one acknowledgement", ops)
	}
}
