package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
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
// the greeting sent again in a chosen language.
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
	}{
		{"the opt-out confirmation", "", func(*greenapitest.Server, string) int { return 1 },
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "STOP"})
			}},
		{"an away reply", "[hours]\ntimezone = \"UTC\"\n" + tomorrow + " = [\"09:00-17:00\"]\naway = \"everyone\"\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\n",
			func(f *greenapitest.Server, chat string) int {
				f.PushOutgoing(chat, "Hello from the shop") // a known chat
				return 1
			},
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "are you there?"})
			}},
		{"the greeting in a chosen language", "[languages]\noffer = true\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_named\"\n",
			func(f *greenapitest.Server, chat string) int {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "hi"})
				f.WaitSent(chat, 1, 10*time.Second)
				return 2
			},
			func(f *greenapitest.Server, chat string) {
				f.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Bo", Text: "Deutsch"})
			}},
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
			tt.last(fake, chat)
			waitFor(t, "the message to go out", 10*time.Second, func() bool { return len(fake.Sent(chat)) == want })
			time.Sleep(100 * time.Millisecond)
			p.kill()
			fake.SetAnswerDelay(greenapi.MethodSendMessage, 0)

			start(t, fake, port, db, extra...)
			if !fake.WaitQueueEmpty(15 * time.Second) {
				t.Fatal("Green API's queue was not drained after the restart")
			}
			time.Sleep(500 * time.Millisecond)
			if sent := fake.Sent(chat); len(sent) != want {
				t.Errorf("the chat got %d messages, want %d: the one in flight at the kill exactly once", len(sent), want)
			}
			if n := len(fake.Calls(greenapi.MethodGetChatHistory)); n == 0 {
				t.Error("the history was not read after the restart")
			}
		})
	}
}
