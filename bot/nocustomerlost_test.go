package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// TestRefusedGreetingStillReachesTheOperators is issue #25's item 5: a
// greeting Green API refused for good (466) ended the first contact as
// gave_up, and the operators never heard of the customer. The summary
// still goes, saying the customer got nothing.
func TestRefusedGreetingStillReachesTheOperators(t *testing.T) {
	t.Parallel()
	const chat = "5511987650007@c.us"
	h := newHarness(t, true)
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Padaria Sol", Category: "Padaria", IsBusiness: true})
	h.srv.FailChat(greenapi.MethodSendMessage, chat, greenapitest.Fault{Status: 466})
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Oi"})
	if sent := h.srv.Sent(chat); len(sent) != 0 {
		t.Errorf("the customer got %+v; Green API refused it", sent)
	}
	summaries := h.srv.Sent(operatorChat)
	if len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Padaria Sol") ||
		!strings.Contains(summaries[0].Message, "The sender did not get the greeting: Green API refused it (quota_exceeded). Please answer them.") {
		t.Errorf("the operators got %+v; want the summary saying the greeting was refused", summaries)
	}
}

// TestLookupFailureStillReachesTheOperators is issue #25's item 5: without
// its profile a business falls to the shipped rule for private persons,
// which forwards nothing, so its summary was silently not sent. It is
// forwarded, saying why; a rule written for unknown profiles decides
// otherwise.
func TestLookupFailureStillReachesTheOperators(t *testing.T) {
	t.Parallel()
	const chat = "5511987650008@c.us"
	t.Run("the shipped rules", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, true)
		h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Padaria Sol", Category: "Padaria", IsBusiness: true})
		h.srv.FailChat(greenapi.MethodGetContactInfo, chat, greenapitest.Fault{Status: 400})
		h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Oi"})
		if sent := h.srv.Sent(chat); len(sent) != 1 {
			t.Errorf("the customer got %d messages; want the greeting", len(sent))
		}
		summaries := h.srv.Sent(operatorChat)
		if len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Profile unknown (rejected): forwarded so that no customer is missed.") {
			t.Errorf("the operators got %+v; want the summary saying the profile is unknown", summaries)
		}
	})
	t.Run("a rule for unknown profiles", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, true)
		h.useRules(`
[[rule]]
id = "unknown"
profile_unknown = true
reply = "greeting_generic"
forward = false

[[rule]]
id = "everyone"
reply = "greeting_generic"
forward = true
`)
		h.srv.FailChat(greenapi.MethodGetContactInfo, chat, greenapitest.Fault{Status: 400})
		h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Oi"})
		if summaries := h.srv.Sent(operatorChat); len(summaries) != 0 {
			t.Errorf("the operators got %+v; the rule for unknown profiles forwards nothing", summaries)
		}
		if sent := h.srv.Sent(chat); len(sent) != 1 {
			t.Errorf("the customer got %d messages; want the greeting", len(sent))
		}
	})
}

// TestNothingDeliveredIsAFirstContactAgain is issue #25's item 5: with the
// monthly quota spent nothing reaches anyone, and the customer's next
// message was a known chat's: nothing ever happened, even once the quota
// was raised. The chat is released, and the next message is greeted.
func TestNothingDeliveredIsAFirstContactAgain(t *testing.T) {
	t.Parallel()
	const chat = "5511987650009@c.us"
	h := newHarness(t, true)
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Padaria Sol", Category: "Padaria", IsBusiness: true})
	h.srv.FailRandomly(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 466})
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Oi"})
	if n := len(h.srv.Sent(chat)) + len(h.srv.Sent(operatorChat)); n != 0 {
		t.Fatalf("%d messages went out with the quota spent", n)
	}
	h.srv.FailRandomly(greenapi.MethodSendMessage, 0) // the quota is raised
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Alguém aí?"})
	if sent := h.srv.Sent(chat); len(sent) != 1 || !strings.Contains(sent[0].Message, "Padaria Sol") {
		t.Errorf("the customer got %+v; want the greeting at their next message", sent)
	}
	if summaries := h.srv.Sent(operatorChat); len(summaries) != 1 || !strings.Contains(summaries[0].Message, "Alguém aí?") {
		t.Errorf("the operators got %+v; want the summary of the next message", summaries)
	}
}

// TestReleaseSurvivesACrash: the first contact was recorded as given up,
// and the process died before the chat was released: handling its message
// again releases it, and the customer's next message is greeted.
func TestReleaseSurvivesACrash(t *testing.T) {
	t.Parallel()
	const chat = "5511987650010@c.us"
	h := newHarness(t, true)
	h.srv.FailRandomly(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 466})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Oi", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}
	h.handleUntilDone(n)
	// The crash: the chat is as it was before the release.
	if _, err := h.store.ClaimFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, id, h.now, 14*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.handleUntilDone(n) // the notification again, after the restart
	h.srv.FailRandomly(greenapi.MethodSendMessage, 0)
	h.advance(time.Minute)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Sol", Text: "Olá?"})
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Errorf("the customer got %d messages at their next message; want the greeting", len(sent))
	}
}
