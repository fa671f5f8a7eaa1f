package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

const salesChat = "120363000000000002@g.us"

// menuRules: a greeting with three choices: sales goes to its own group,
// support answers the sender and takes the rule's route (the operator
// chat), "something else" sends no summary at all.
const menuRules = `
[[rule]]
id = "menu"
reply = "greeting_named"
forward = true
choice_wait = "15m"

[[rule.choice]]
id = "sales"
label = "choice_sales"
forward_to = "` + salesChat + `"

[[rule.choice]]
id = "support"
label = "choice_support"
reply = "support_answer"

[[rule.choice]]
id = "other"
label = "choice_other"
forward = false
`

// greetedWithMenu is a harness with menuRules whose chat was greeted
// with the menu: name wrote "hi".
func greetedWithMenu(t *testing.T, chat, name string, mutate ...func(*bot.Config)) *harness {
	t.Helper()
	h := newHarness(t, true, mutate...)
	h.useRules(menuRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: name, Text: "hi"})
	return h
}

// endWaits runs what the leader of the "choices" duty runs, at the
// harness's time, with a pool that hands the stored notifications to the
// bot; it returns how many waits it ended.
func (h *harness) endWaits() int {
	h.t.Helper()
	return h.sweep(func(ctx context.Context, inbox bot.Enqueuer, now time.Time) (int, error) {
		return bot.EndChoiceWaits(ctx, h.store, inbox, now, []string{greenapitest.DefaultIDInstance}, logtest.Logger())
	})
}

// sweep runs a duty's sweep at the harness's time, before a pool works
// what is stored, so that a message stored before it is still unhandled
// when it looks (as when a chat's queue is behind); then the pool works
// both. It returns what the sweep returned.
func (h *harness) sweep(run func(ctx context.Context, inbox bot.Enqueuer, now time.Time) (int, error)) int {
	h.t.Helper()
	ctx := context.Background()
	pool := queue.NewPool(h.store, h.handle, queue.PoolConfig{MinRetry: time.Millisecond, MaxRetry: 10 * time.Millisecond}, logtest.Logger(), nil)
	h.mu.Lock()
	now := h.now
	h.mu.Unlock()
	n, err := run(ctx, queue.NewInbox(h.store, pool, logtest.Logger(), nopInboxMetrics{}), now)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := pool.Start(ctx); err != nil {
		h.t.Fatal(err)
	}
	defer pool.Stop(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := h.store.CountPending(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if pending == 0 {
			return n
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d notifications still pending", pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMenuChoiceRoutes: the greeting ends with the numbered choices in the
// sender's language, and the summary waits; a reply with a number, or with
// a label in the sender's language, routes once (delivered twice, still
// once): the summary goes where the choice says and says what was chosen,
// and the choice's answer goes to the sender.
func TestMenuChoiceRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, chat, first, choice string
		greeting                  []string // in the greeting, in order
		wantAnswer                string   // the start of the answer; "" none
		wantTo                    string   // where the summary goes; "" none
		wantChoice                string
	}{
		{"a number", "5511987654321@c.us", "oi", "1",
			[]string{"Olá, Ana!", "Responda com um número:\n1 Vendas\n2 Suporte\n3 Outro assunto"}, "", salesChat, "sales"},
		{"a label in the sender's language", "4915123456789@c.us", "Hallo", "kundendienst!",
			[]string{"Hallo, Ana!", "Antworten Sie mit einer Nummer:\n1 Vertrieb\n2 Kundendienst\n3 Etwas anderes"},
			"Danke! Unser Kundendienst schreibt Ihnen hier in Kürze.", operatorChat, "support"},
		{"a choice that sends no summary", "79001234567@c.us", "привет", "3",
			[]string{"Ответьте номером:\n1 Продажи\n2 Поддержка\n3 Другое"}, "", "", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, true, func(c *bot.Config) { c.Events = true })
			h.useRules(menuRules)
			h.write(greenapitest.Incoming{ChatID: tt.chat, SenderName: "Ana", Text: tt.first})
			sent := h.srv.Sent(tt.chat)
			if len(sent) != 1 {
				t.Fatalf("sent %+v; want the greeting", sent)
			}
			at := 0
			for _, part := range tt.greeting {
				i := strings.Index(sent[0].Message[at:], part)
				if i < 0 {
					t.Fatalf("greeting %q; want %q in it, after what came before", sent[0].Message, part)
				}
				at += i + len(part)
			}
			if n := len(h.srv.Sent(operatorChat, salesChat)); n != 0 {
				t.Fatalf("%d summaries before the choice; want them to wait for it", n)
			}
			if fc := firstContact(t, h, tt.chat); fc.Step != bot.StepChoosing {
				t.Fatalf("first contact at %s; want choosing", fc.Step)
			}
			h.advance(time.Minute)
			id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: tt.chat, SenderName: "Ana", Text: tt.choice, Time: h.now})
			for range 2 { // Green API delivers it twice
				if err := h.handle(context.Background(), queue.Notification{ChatID: tt.chat, IDMessage: id, Body: body, ReceivedAt: h.now}); err != nil {
					t.Fatal(err)
				}
			}
			sent = h.srv.Sent(tt.chat)
			switch {
			case tt.wantAnswer == "" && len(sent) != 1:
				t.Errorf("the choice was answered with %+v; want nothing", sent[1:])
			case tt.wantAnswer != "" && (len(sent) != 2 || !strings.HasPrefix(sent[1].Message, tt.wantAnswer)):
				t.Errorf("the choice was answered with %+v; want %q once", sent[1:], tt.wantAnswer)
			}
			for _, to := range []string{operatorChat, salesChat} {
				summaries := h.srv.Sent(to)
				switch {
				case to != tt.wantTo && len(summaries) != 0:
					t.Errorf("%s got %+v; want nothing", to, summaries)
				case to == tt.wantTo && (len(summaries) != 1 || !strings.Contains(summaries[0].Message, "New contact: Ana") ||
					!strings.Contains(summaries[0].Message, "\nChosen: ")):
					t.Errorf("%s got %+v; want one summary saying what was chosen", to, summaries)
				}
			}
			fc := firstContact(t, h, tt.chat)
			if fc.Step != bot.StepDone || fc.Choice != tt.wantChoice || fc.ChoiceMsg != id {
				t.Errorf("first contact %+v; want done, choice %s by %s", fc, tt.wantChoice, id)
			}
			// A later number is an ordinary message: the menu was answered.
			before := len(h.srv.Sent())
			h.write(greenapitest.Incoming{ChatID: tt.chat, SenderName: "Ana", Text: "1"})
			if after := h.srv.Sent(); len(after) != before {
				t.Errorf("a number after the choice sent %+v", after[before:])
			}
			events := firstContactEvents(t, h)
			if len(events) != 1 || !strings.Contains(events[0], `"choice":"`+tt.wantChoice+`"`) {
				t.Errorf("first_contact events %q; want one, naming the choice", events)
			}
		})
	}
}

// firstContactEvents delivers the outbox, in order, as the deliverer does,
// and returns the bodies of its first_contact events.
func firstContactEvents(t *testing.T, h *harness) []string {
	t.Helper()
	var out []string
	for _, e := range outboxEvents(t, h) {
		if strings.Contains(e, `"type":"first_contact"`) {
			out = append(out, e)
		}
	}
	return out
}

// TestMenuHintOnce: a reply that chooses nothing gets the menu once more,
// once per menu; a stop word gets its confirmation and no hint; a choice
// after that still routes.
func TestMenuHintOnce(t *testing.T) {
	t.Parallel()
	const chat = "12125550120@c.us"
	h := greetedWithMenu(t, chat, "Bo")
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "how much is the blue one?"})
	sent := h.srv.Sent(chat)
	if len(sent) != 2 || sent[1].Message != "To reach the right person, reply with the number of your choice:\n1 Sales\n2 Support\n3 Something else" {
		t.Fatalf("sent %+v; want the greeting, then the hint", sent)
	}
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hello??"})
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "7"})
	if sent := h.srv.Sent(chat); len(sent) != 2 {
		t.Fatalf("a second reply that chose nothing got %+v; want no second hint", sent[2:])
	}
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "SALES"})
	if summaries := h.srv.Sent(salesChat); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Chosen: Sales") {
		t.Errorf("sales got %+v; want the summary, chosen by the label", summaries)
	}
	if n := len(h.srv.Sent(operatorChat)); n != 0 {
		t.Errorf("the operator chat got %d summaries; the choice routes to sales", n)
	}
}

// TestMenuWaitEnds: no choice within the wait takes the rule's own route,
// once (the wait's end is stored as a notification of the chat, once); the
// summary says so, and that the sender opted out meanwhile; a number after
// that is an ordinary message.
func TestMenuWaitEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.Events = true })
	h.useRules(menuRules)
	const chat, patient = "12125550121@c.us", "12125550122@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Cy", Text: "hi"})
	h.advance(10 * time.Minute)
	h.write(greenapitest.Incoming{ChatID: patient, SenderName: "Di", Text: "hi"})
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Cy", Text: "stop"})
	if sent := h.srv.Sent(chat); len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "You will receive no more automatic messages") {
		t.Fatalf("sent %+v; want the greeting, then the opt-out confirmation and no hint", sent)
	}
	if n := h.endWaits(); n != 0 {
		t.Fatalf("ended %d waits before their end", n)
	}
	h.advance(6 * time.Minute) // 16 minutes after the first greeting, 6 after the second
	if n := h.endWaits(); n != 1 {
		t.Fatalf("ended %d waits; want the first sender's", n)
	}
	summaries := h.srv.Sent(operatorChat)
	if len(summaries) != 1 || !strings.Contains(summaries[0].Message, "New contact: Cy") ||
		!strings.Contains(summaries[0].Message, "\nNo choice within 15 minutes.\nThe sender asked for no automatic messages.") {
		t.Fatalf("the operators got %+v; want Cy's summary: no choice, opted out", summaries)
	}
	if n := h.endWaits(); n != 0 {
		t.Errorf("the wait ended again (%d)", n)
	}
	fc := firstContact(t, h, chat)
	if fc.Step != bot.StepDone || fc.Choice != "" || fc.ChoiceMsg != bot.ChoiceWaitPrefix+fc.IDMessage {
		t.Errorf("first contact %+v; want done by the wait's end", fc)
	}
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Cy", Text: "1"})
	if n := len(h.srv.Sent(salesChat)); n != 0 {
		t.Errorf("a number after the wait routed to sales")
	}
	if fc := firstContact(t, h, patient); fc.Step != bot.StepChoosing {
		t.Errorf("the second sender's menu is %s; want it still waiting", fc.Step)
	}
	if events := firstContactEvents(t, h); len(events) != 1 || !strings.Contains(events[0], `"choice_timed_out":true`) {
		t.Errorf("first_contact events %q; want one, saying the wait ran out", events)
	}
}

// TestMenuCrashBetweenSteps: the choice's answer fails after it went out
// (an ambiguous 500), then the summary fails before it went out; each
// retry of the choosing message settles what it began: the answer is found
// in the history, not sent again, and the summary goes out once.
func TestMenuCrashBetweenSteps(t *testing.T) {
	t.Parallel()
	const chat = "12125550123@c.us"
	h := greetedWithMenu(t, chat, "Ed")
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ed", Text: "2", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}
	if err := h.handle(context.Background(), n); err == nil {
		t.Fatal("the ambiguous failure was not reported: the notification would not be retried")
	}
	if fc := firstContact(t, h, chat); fc.Step != bot.StepChosen || !fc.Answer.Attempted {
		t.Fatalf("after the failure: %+v; want chosen, the answer attempted", fc)
	}
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500})
	h.handleUntilDone(n)
	if sent := h.srv.Sent(chat); len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "Thank you! Our support team") {
		t.Errorf("the sender got %+v; want the greeting and the answer, once each", sent)
	}
	if summaries := h.srv.Sent(operatorChat); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Chosen: Support") {
		t.Errorf("the operators got %+v; want one summary", summaries)
	}
	if n := len(h.srv.Calls(greenapi.MethodGetChatHistory)); n == 0 {
		t.Error("the history was not read before the answer's resend")
	}
}

// TestMenuWithLanguageChoice: with [languages], the languages are numbered
// after the choices; choosing a language sends the greeting and its menu
// again in it, and a label of the new language then chooses.
func TestMenuWithLanguageChoice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.useRules("[languages]\noffer = true\nchoices = [\"en\", \"de\", \"es\"]\n" + menuRules)
	const chat = "12125550124@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Flo", Text: "hi"})
	sent := h.srv.Sent(chat)
	if len(sent) != 1 || !strings.Contains(sent[0].Message, "3 Something else\n\nPrefer another language? Reply with its number:\n4 Deutsch\n5 español") {
		t.Fatalf("greeting %+v; want the choices 1–3, then the languages from 4", sent)
	}
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Flo", Text: "4"})
	sent = h.srv.Sent(chat)
	if len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "Hallo, Flo!") || !strings.Contains(sent[1].Message, "2 Kundendienst") ||
		strings.Contains(sent[1].Message, "español") {
		t.Fatalf("after 4: %+v; want the German greeting with its menu, without the languages", sent[1:])
	}
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Flo", Text: "Vertrieb"})
	if summaries := h.srv.Sent(salesChat); len(summaries) != 1 {
		t.Errorf("sales got %d summaries; want the German label to choose", len(summaries))
	}
}

// TestMenuWhileAPersonHasTheChat: a person of the business wrote after
// the greeting: the choice still routes (the operators learn it) but
// the sender gets no automatic answer, and no hint.
func TestMenuWhileAPersonHasTheChat(t *testing.T) {
	t.Parallel()
	const chat = "12125550125@c.us"
	h := greetedWithMenu(t, chat, "Gus", func(c *bot.Config) { c.HumanPause = time.Hour })
	h.businessWrites(chat)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Gus", Text: "what?"})
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Gus", Text: "2"})
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Errorf("the sender got %+v after a person took the chat", sent[1:])
	}
	if summaries := h.srv.Sent(operatorChat); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Chosen: Support") {
		t.Errorf("the operators got %+v; want the summary", summaries)
	}
}

// TestMenuRulesErrors: every mistake in a menu is named by the file, the
// line, the rule and the choice.
func TestMenuRulesErrors(t *testing.T) {
	t.Parallel()
	head := "[[rule]]\nid = \"r\"\nreply = \"greeting_generic\"\n"
	tests := []struct{ rules, want string }{
		{head + "[[rule.choice]]\nid = \"a\"\n", `rules.toml:4: rule "r": choice "a": label: missing`},
		{head + "[[rule.choice]]\nid = \"a\"\nlabel = \"nope\"\n", `rules.toml:6: rule "r": choice "a": label: message "nope" is not in the default locale`},
		{head + "[[rule.choice]]\nlabel = \"choice_sales\"\n", `rules.toml:4: rule "r": choice 1: id: missing`},
		{head + "[[rule.choice]]\nid = \"a\"\nlabel = \"choice_sales\"\n[[rule.choice]]\nid = \"a\"\nlabel = \"choice_other\"\n",
			`rules.toml:8: rule "r": choice "a": id: used by an earlier choice`},
		{head + "[[rule.choice]]\nid = \"a\"\nlabel = \"choice_sales\"\nreply = \"nope\"\n", `rules.toml:7: rule "r": choice "a": reply: message "nope"`},
		{head + "[[rule.choice]]\nid = \"a\"\nlabel = \"choice_sales\"\nforward = false\nforward_to = \"x@g.us\"\n",
			`rules.toml:8: rule "r": choice "a": forward_to: sends the summary, but forward = false`},
		{head + "choice_wait = \"30s\"\n[[rule.choice]]\nid = \"a\"\nlabel = \"choice_sales\"\n", `rules.toml:4: rule "r": choice_wait: "30s": expected a duration from 1m to 24h`},
		{head + "choice_wait = \"5m\"\n", `rules.toml:4: rule "r": choice_wait: the rule has no [[rule.choice]]`},
		{"[[rule]]\nid = \"r\"\nreply = \"\"\n[[rule.choice]]\nid = \"a\"\nlabel = \"choice_sales\"\n", `rules.toml:4: rule "r": choice: needs a reply`},
		{head + tenChoices(), `rule "r": choice: 10 choices: at most 9`},
		{head + "[[rule.choice]]\nid = \"a\"\nlable = \"choice_sales\"\n", `rules.toml:6: unknown key "rule.choice.lable"`},
	}
	for _, tt := range tests {
		_, err := bot.ParseRules("rules.toml", []byte(tt.rules), mustCatalog(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\n: %v\nwant %q", tt.rules, err, tt.want)
		}
	}
	if _, err := bot.ParseRules("rules.toml", []byte(menuRules), mustCatalog(t)); err != nil {
		t.Errorf("the example menu: %v", err)
	}
}

func tenChoices() string {
	var b strings.Builder
	for i := range 10 {
		b.WriteString("[[rule.choice]]\nid = \"c" + string(rune('0'+i)) + "\"\nlabel = \"choice_sales\"\n")
	}
	return b.String()
}

// TestMenuAfterAReloadWithoutIt: the rules change while a menu waits and
// no rule offers it any more: the sender's "1" is an ordinary message,
// and the wait's end still takes the route recorded with the greeting.
func TestMenuAfterAReloadWithoutIt(t *testing.T) {
	t.Parallel()
	const chat = "12125550126@c.us"
	h := greetedWithMenu(t, chat, "Hal")
	h.useRules("[[rule]]\nid = \"plain\"\nreply = \"greeting_generic\"\n")
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Hal", Text: "1"})
	if n := len(h.srv.Sent(chat)) + len(h.srv.Sent(salesChat)); n != 1 {
		t.Fatalf("%d messages; want only the greeting: the menu is no rule's any more", n)
	}
	h.advance(16 * time.Minute)
	if n := h.endWaits(); n != 1 {
		t.Fatalf("ended %d waits; want 1", n)
	}
	if summaries := h.srv.Sent(operatorChat); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "No choice within 15 minutes.") {
		t.Errorf("the operators got %+v; want the summary of the rule's route", summaries)
	}
}

// TestMenuChoiceQueuedWhenTheWaitEnds: the sender's "2" is stored but not
// yet handled (its chat's queue is behind) when the menu's wait ends: the
// wait's end is queued after it, so the choice still routes, and the
// wait's end finds the menu answered.
func TestMenuChoiceQueuedWhenTheWaitEnds(t *testing.T) {
	t.Parallel()
	const chat = "12125550127@c.us"
	h := greetedWithMenu(t, chat, "Ivy")
	h.advance(time.Minute)
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ivy", Text: "2", Time: h.now})
	if _, err := h.store.AddNotification(context.Background(), queue.Notification{Instance: greenapitest.DefaultIDInstance, ChatID: chat,
		IDMessage: id, TypeWebhook: "incomingMessageReceived", Body: body, ReceivedAt: h.now}); err != nil {
		t.Fatal(err)
	}
	h.advance(20 * time.Minute)
	if n := h.endWaits(); n != 1 {
		t.Fatalf("ended %d waits; want 1", n)
	}
	if sent := h.srv.Sent(chat); len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "Thank you! Our support team") {
		t.Errorf("the sender got %+v; want the greeting, then the answer to the queued choice", sent)
	}
	if summaries := h.srv.Sent(operatorChat); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Chosen: Support") {
		t.Errorf("the operators got %+v; want the summary of the choice", summaries)
	}
}
