package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// forwardAll greets everyone and forwards every first contact to the
// operator chat, so that each first contact shows as a greeting and a
// summary.
const forwardAll = `
[[rule]]
id = "all"
reply = "greeting_named"
forward = true
`

// summaries returns the operator summaries sent so far.
func (h *harness) summaries() []string {
	var out []string
	for _, m := range h.srv.Sent(operatorChat) {
		out = append(out, m.Message)
	}
	return out
}

// TestDeletionStartsNoFirstContact (#24 item 4): a deletion from a chat
// with no recent activity is neither greeted nor summarized, and it does
// not make the chat known: the sender's real message that follows is the
// first contact, greeted and forwarded with its text.
func TestDeletionStartsNoFirstContact(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.useRules(forwardAll)
	chat := "12125550101@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ann", Data: greenapitest.Deleted("3EB0DELETED")})
	if sent := h.srv.Sent(); len(sent) != 0 {
		t.Fatalf("a deletion sent %+v; want nothing", sent)
	}
	h.advance(time.Minute)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ann", Text: "Do you deliver on Sundays?"})
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Errorf("the real message got %+v; want the greeting", sent)
	}
	if s := h.summaries(); len(s) != 1 || !strings.HasSuffix(s[0], "First message: Do you deliver on Sundays?") {
		t.Errorf("summaries %q; want one with the real message's text", s)
	}
}

// TestEditIsReadNotGreeted (#24 item 5): an edit is an event about a
// message Frontdesk saw: as the first thing of a chat it is not greeted
// (the real message after it is), and where a text is needed, while a
// menu waits, its new text is read: it chooses.
func TestEditIsReadNotGreeted(t *testing.T) {
	t.Parallel()
	t.Run("first in the chat", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, true)
		h.useRules(forwardAll)
		chat := "12125550102@c.us"
		h.write(greenapitest.Incoming{ChatID: chat, Data: greenapitest.Edited("3EB0EARLIER", "I need a quote")})
		if sent := h.srv.Sent(); len(sent) != 0 {
			t.Fatalf("an edit sent %+v; want nothing", sent)
		}
		h.write(greenapitest.Incoming{ChatID: chat, Text: "hello?"})
		if s := h.summaries(); len(s) != 1 || !strings.HasSuffix(s[0], "First message: hello?") {
			t.Errorf("summaries %q; want one, for the real message", s)
		}
	})
	t.Run("while a menu waits", func(t *testing.T) {
		t.Parallel()
		chat := "12125550103@c.us"
		h := greetedWithMenu(t, chat, "Ann")
		h.advance(time.Minute)
		h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ann", Data: greenapitest.Edited("3EB0EARLIER", "2")})
		if fc := firstContact(t, h, chat); fc.Step != bot.StepDone || fc.Choice != "support" {
			t.Errorf("first contact %+v; want support chosen by the edit's new text", fc)
		}
	})
}

// TestEventsAndVotesAfterSilenceDoNotGreetAgain (#24 item 6): after
// NEW_SENDER_AFTER of silence, a reaction, an edit, a deletion or a poll
// vote about an old message greets nobody, and does not count as the
// chat's activity: the person's next real message is a first contact.
func TestEventsAndVotesAfterSilenceDoNotGreetAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.NewSenderAfter = 48 * time.Hour })
	h.useRules(forwardAll)
	chat := "12125550104@c.us"
	first := h.srv.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "unused"}) // an old message's id
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hi"})
	h.advance(49 * time.Hour)
	for name, data := range map[string]map[string]any{
		"reaction":  greenapitest.Reaction(first, chat, "👍"),
		"edit":      greenapitest.Edited(first, "hi there"),
		"deletion":  greenapitest.Deleted(first),
		"poll vote": greenapitest.PollVote(first, "Visit?", []string{"Yes", "No"}, 0, chat),
	} {
		h.write(greenapitest.Incoming{ChatID: chat, Data: data})
		if sent := h.srv.Sent(chat); len(sent) != 1 {
			t.Errorf("after a %s: %d messages to the chat; want the first greeting only", name, len(sent))
		}
		h.advance(time.Hour)
	}
	h.write(greenapitest.Incoming{ChatID: chat, Text: "back again"})
	if sent := h.srv.Sent(chat); len(sent) != 2 {
		t.Errorf("%d greetings; want 2: the real message after the silence is a first contact", len(sent))
	}
	if s := h.summaries(); len(s) != 2 || !strings.HasSuffix(s[1], "First message: back again") {
		t.Errorf("summaries %q; want the second for the real message", s)
	}
}

// TestButtonRepliesAreRead (#24 item 7): templateButtonReplyMessage (and
// its documented twin templateButtonsReplyMessage) and
// interactiveButtonsResponse are read: they answer something Frontdesk
// sent, so they start no first contact, and where a text is needed (a
// waiting menu) their display text counts.
func TestButtonRepliesAreRead(t *testing.T) {
	t.Parallel()
	for i, typ := range []string{"templateButtonReplyMessage", "templateButtonsReplyMessage", "interactiveButtonsResponse"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, true)
			h.useRules(forwardAll)
			stranger := "1212555011" + string(rune('0'+i)) + "@c.us"
			h.write(greenapitest.Incoming{ChatID: stranger, Data: greenapitest.ButtonReply(typ, "3EB0OLD", 0, "1", "Yes")})
			if sent := h.srv.Sent(); len(sent) != 0 {
				t.Errorf("a button reply from an unknown chat sent %+v; want nothing", sent)
			}

			chat := "1212555012" + string(rune('0'+i)) + "@c.us"
			h = greetedWithMenu(t, chat, "Ann")
			h.advance(time.Minute)
			h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ann", Data: greenapitest.ButtonReply(typ, "3EB0MENU", 1, "support", "Support")})
			if fc := firstContact(t, h, chat); fc.Step != bot.StepDone || fc.Choice != "support" {
				t.Errorf("first contact %+v; want support chosen by the button's text", fc)
			}
		})
	}
}
