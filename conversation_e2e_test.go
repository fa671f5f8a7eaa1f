package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// TestEndToEndOptOutAndTakeover: through the webhook, with the fake Green
// API: a stop word gets one confirmation and the chat nothing more; a
// person of the business who writes while a new sender's greeting waits
// for its profile keeps the greeting from going out; a staff number is
// ignored.
func TestEndToEndOptOutAndTakeover(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	fake.SetLatency(greenapi.MethodGetContactInfo, 1500*time.Millisecond)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"), "IGNORE_CHATS=+49 151 1111111", "LOOKUP_TIMEOUT=10s")
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)

	const stopper, taken, staff = "79001234567@c.us", "12125550199@c.us", "491511111111@c.us"
	fake.PushIncoming(greenapitest.Incoming{ChatID: stopper, Text: "СТОП"})
	// A new sender whose greeting waits 1.5 s for its profile; a person of
	// the business answers meanwhile, from the phone.
	fake.PushIncoming(greenapitest.Incoming{ChatID: taken, SenderName: "Ana", Text: "hi"})
	time.Sleep(300 * time.Millisecond)
	fake.PushOutgoing(taken, "Hi Ana, Maria here, how can I help?")
	fake.PushIncoming(greenapitest.Incoming{ChatID: staff, Text: "test"})

	if sent := fake.WaitSent(stopper, 1, 10*time.Second); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "Вы больше не будете получать") {
		t.Fatalf("the stop word got %+v; want the Russian confirmation", sent)
	}
	fake.PushIncoming(greenapitest.Incoming{ChatID: stopper, Text: "а доставка есть?"})
	waitFor(t, "the second message and the lookup to be handled", 15*time.Second, func() bool {
		logs := p.logs.String()
		return fake.QueueLen() == 0 && strings.Contains(logs, `"msg":"greeting not sent"`) && strings.Contains(logs, `"why":"human"`)
	})
	time.Sleep(500 * time.Millisecond)
	if sent := fake.Sent(stopper); len(sent) != 1 {
		t.Errorf("the opted-out chat got %d messages; want only the confirmation", len(sent))
	}
	if sent := fake.Sent(taken); len(sent) != 0 {
		t.Errorf("the chat a person took over got %+v", sent)
	}
	if sent := fake.Sent(staff); len(sent) != 0 {
		t.Errorf("the staff number got %+v", sent)
	}
	p.stop(t)
}

// TestEndToEndKilledMidAutomaticMessage: SIGKILL after an automatic
// message outside a first contact went out and before it was recorded
// (Green API holds its answer); after the restart the chat's history shows
// it, and it is not sent again: the opt-out confirmation, an away reply,
// the greeting sent again in a chosen language, the answer to a choice
// from the menu, the menu's hint, the reminder to the operators (a minute
// after the summary) and the acknowledgement of a claim in their chat.
func TestEndToEndKilledMidAutomaticMessage(t *testing.T) {
	t.Parallel()
	tomorrow := strings.ToLower(time.Now().UTC().Add(24 * time.Hour).Weekday().String())
	tests := []struct {
		name  string
		rules string
		// before has the chat reach the moment: it returns how many
		// messages the chat gets in all.
		before func(f *greenapitest.Server, chat string) int
		last   func(f *greenapitest.Server, chat string)
		// watch is the chat whose messages are counted; "" the customer's.
		watch string
	}{
		{"the opt-out confirmation", "", func(*greenapitest.Server, string) int { return 1 },
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "STOP"})
			}, ""},
		{"an away reply", "[hours]\ntimezone = \"UTC\"\n" + tomorrow + " = [\"09:00-17:00\"]\naway = \"everyone\"\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\n",
			func(f *greenapitest.Server, chat string) int {
				f.PushOutgoing(chat, "Hello from the shop") // a known chat
				return 1
			},
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "are you there?"})
			}, ""},
		{"the greeting in a chosen language", "[languages]\noffer = true\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_named\"\n",
			func(f *greenapitest.Server, chat string) int {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
				f.WaitSent(chat, 1, 10*time.Second)
				return 2
			},
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "Deutsch"})
			}, ""},
		{"the answer to a choice from the menu", e2eMenuRules, greeted,
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "2"})
			}, ""},
		{"the menu's hint", e2eMenuRules, greeted,
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "how much?"})
			}, ""},
		{"the reminder", "answer_within = \"1m\"\n" + e2eForwardAll, summarized,
			func(*greenapitest.Server, string) {}, e2eOperatorChat},
		{"the claim's acknowledgement", e2eForwardAll, summarized,
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: e2eOperatorChat, Sender: "5511900000001@c.us", SenderName: "Anna",
					Data: greenapitest.Quote(f.Sent(e2eOperatorChat)[0].IDMessage, greenapitest.AccountWid, "New contact", "+")})
			}, e2eOperatorChat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := greenapitest.New(t)
			const chat = "12125550123@c.us"
			dir := t.TempDir()
			extra := []string{"HUMAN_PAUSE=0"}
			if tt.rules != "" {
				writeFile(t, filepath.Join(dir, "rules.toml"), tt.rules)
				extra = append(extra, "RULES_FILE="+filepath.Join(dir, "rules.toml"))
			}
			port := freePort(t)
			db := filepath.Join(dir, "fd.db")
			p := start(t, fake, port, db, extra...)
			fake.DeliverWebhooks(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
			want := tt.before(fake, chat)
			fake.WaitQueueEmpty(10 * time.Second)
			fake.SetAnswerDelay(greenapi.MethodSendMessage, time.Hour)
			watch := chat
			if tt.watch != "" {
				watch = tt.watch
			}
			tt.last(fake, chat)
			// A reminder goes a minute after its summary, at the sweep's next look.
			waitFor(t, "the message to go out", 100*time.Second, func() bool { return len(fake.Sent(watch)) == want })
			time.Sleep(100 * time.Millisecond)
			p.kill()
			fake.SetAnswerDelay(greenapi.MethodSendMessage, 0)

			start(t, fake, port, db, extra...)
			if !fake.WaitQueueEmpty(15 * time.Second) {
				t.Fatal("Green API's queue was not drained after the restart")
			}
			time.Sleep(500 * time.Millisecond)
			if sent := fake.Sent(watch); len(sent) != want {
				t.Errorf("the chat got %d messages, want %d: the one in flight at the kill exactly once", len(sent), want)
			}
			if n := len(fake.Calls(greenapi.MethodGetChatHistory)); n == 0 {
				t.Error("the history was not read after the restart")
			}
		})
	}
}

// e2eMenuRules are the README's example menu: sales to its own group,
// support answered and summarized to the operators, anything else without
// a summary.
const e2eMenuRules = `[[rule]]
id = "menu"
reply = "greeting_named"
forward = true

[[rule.choice]]
id = "sales"
label = "choice_sales"
forward_to = "` + e2eSalesChat + `"

[[rule.choice]]
id = "support"
label = "choice_support"
reply = "support_answer"

[[rule.choice]]
id = "other"
label = "choice_other"
forward = false
`

// e2eSalesChat is the sales group of e2eMenuRules.
const e2eSalesChat = "120363000000000002@g.us"

// menuRulesWaiting are e2eMenuRules with the menu's wait.
func menuRulesWaiting(wait string) string {
	return strings.Replace(e2eMenuRules, "forward = true\n", "forward = true\nchoice_wait = \""+wait+"\"\n", 1)
}

// greeted has a new sender write and be greeted: the chat gets two
// messages in all.
// e2eForwardAll greets everyone and forwards each to the operators.
const e2eForwardAll = "[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\nforward = true\n"

// summarized has chat write and the summary reach the operators' chat,
// where the summary and one more message (the one killed in flight) go.
func summarized(f *greenapitest.Server, chat string) int {
	f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
	f.WaitSent(e2eOperatorChat, 1, 10*time.Second)
	return 2
}

func greeted(f *greenapitest.Server, chat string) int {
	f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
	f.WaitSent(chat, 1, 10*time.Second)
	return 2
}

// TestEndToEndMenuOnTwoReplicas: two replicas on one PostgreSQL database
// (a rolling deploy): a greeting ends with its menu and the summary waits;
// a reply with a number routes to the chosen group; a menu whose wait has
// ended takes the rule's own route, once, whichever replica looks for the
// ended waits.
func TestEndToEndMenuOnTwoReplicas(t *testing.T) {
	t.Parallel()
	db := postgrestest.SchemaURL(t)
	const sales = e2eSalesChat
	rules := filepath.Join(t.TempDir(), "rules.toml")
	writeFile(t, rules, e2eMenuRules)
	fake := greenapitest.New(t)
	extra := []string{"RULES_FILE=" + rules, "LOG_LEVEL=info"}
	first := start(t, fake, 0, db, extra...)
	second := start(t, fake, 0, db, extra...)
	fake.DeliverWebhooks(first.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)

	const chooser, silent = "5511987654321@c.us", "4915123456789@c.us"
	fake.PushIncoming(greenapitest.Incoming{ChatID: chooser, SenderName: "Ana", Text: "oi"})
	fake.PushIncoming(greenapitest.Incoming{ChatID: silent, SenderName: "Jonas", Text: "Hallo"})
	if sent := fake.WaitSent(chooser, 1, 15*time.Second); len(sent) != 1 || !strings.HasSuffix(sent[0].Message, "Responda com um número:\n1 Vendas\n2 Suporte\n3 Outro assunto") {
		t.Fatalf("the greeting %+v; want it to end with the Portuguese menu", sent)
	}
	fake.WaitSent(silent, 1, 15*time.Second)
	if n := len(fake.Sent(e2eOperatorChat, sales)); n != 0 {
		t.Fatalf("%d summaries before any choice", n)
	}
	fake.PushIncoming(greenapitest.Incoming{ChatID: chooser, SenderName: "Ana", Text: "1"})
	if got := fake.WaitSent(sales, 1, 15*time.Second); len(got) != 1 || !strings.Contains(got[0].Message, "Chosen: Sales") {
		t.Fatalf("sales got %+v; want the summary of the choice", got)
	}
	// The silent sender's wait ends now (instead of in 15 minutes).
	ended := time.Now()
	execSQL(t, db, `UPDATE first_contacts SET choice_until = now() - interval '1 second' WHERE chat_id = '`+silent+`' AND step = 'choosing'`)
	got := fake.WaitSent(e2eOperatorChat, 1, 20*time.Second)
	t.Logf("the summary went out %v after the wait ended (the leader looks every %v)", time.Since(ended).Round(10*time.Millisecond), bot.ChoiceSweepEvery)
	if len(got) != 1 || !strings.Contains(got[0].Message, "New contact: Jonas") || !strings.Contains(got[0].Message, "No choice within 15 minutes.") {
		t.Fatalf("the operators got %+v; want Jonas's summary, without a choice", got)
	}
	time.Sleep(2 * bot.ChoiceSweepEvery) // both replicas had a chance to look again
	if n := len(fake.Sent(e2eOperatorChat)); n != 1 {
		t.Errorf("the operators got %d summaries; want 1", n)
	}
	if n := len(fake.Sent(chooser)) + len(fake.Sent(silent)); n != 2 {
		t.Errorf("the senders got %d messages; want the two greetings", n)
	}
	if n := count(t, db, `SELECT count(*) FROM first_contacts WHERE step = 'done'`); n != 2 {
		t.Errorf("%d first contacts done; want 2", n)
	}
	first.stop(t)
	second.stop(t)
}
