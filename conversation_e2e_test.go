package main

import (
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
