package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// sendDigests runs what the leader of the "digests" duty runs, at the
// harness's time, then works what it stored; it returns how many it stored.
func (h *harness) sendDigests() int {
	h.t.Helper()
	return h.sweep(func(ctx context.Context, inbox bot.Enqueuer, now time.Time) (int, error) {
		return bot.SendDueDigests(ctx, inbox, []*bot.Bot{h.bot}, now)
	})
}

// TestDailyDigest is issue #25's item 6: with digest_at, the operators'
// chat gets the day's figures once a day, at that time of the business's
// day: the day's new contacts, how many a person answered and the median
// wait, and who is still waiting (with who took them); not before the
// time, not twice however often the duty looks, and again the next day.
func TestDailyDigest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.useRules(`digest_at = "18:00"

[hours]
timezone = "America/Sao_Paulo"
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]

[[rule]]
id = "everyone"
reply = "greeting_generic"
forward = true
`)
	sp := mustLoad(t, "America/Sao_Paulo")
	h.now = time.Date(2026, 12, 3, 23, 0, 0, 0, sp) // the day before: not today's
	h.write(greenapitest.Incoming{ChatID: "12125550180@c.us", SenderName: "Old", Text: "hi"})
	h.now = time.Date(2026, 12, 4, 10, 0, 0, 0, sp)
	h.write(greenapitest.Incoming{ChatID: "12125550181@c.us", SenderName: "Ana", Text: "hi"})
	h.advance(5 * time.Minute)
	h.write(greenapitest.Incoming{ChatID: "12125550182@c.us", SenderName: "Bo", Text: "hi"})
	h.advance(5 * time.Minute)
	h.write(greenapitest.Incoming{ChatID: "12125550183@c.us", SenderName: "Cy", Text: "hi"})
	h.businessWrites("12125550181@c.us") // Ana waited 10 minutes
	h.claim(operatorChat, anna, "Anna", h.srv.Sent(operatorChat)[3].IDMessage, "+")
	before := len(h.srv.Sent(operatorChat))

	h.now = time.Date(2026, 12, 4, 17, 59, 0, 0, sp)
	if n := h.sendDigests(); n != 0 {
		t.Errorf("%d digests before 18:00", n)
	}
	h.advance(time.Minute)
	h.sendDigests()
	h.advance(time.Hour)
	h.sendDigests()
	ops := messages(h.srv.Sent(operatorChat)[before:])
	want := "Today: 3 new contacts, 1 answered by a person (median wait 10 min).\nStill waiting for an answer:\n" +
		"• 2026-12-03 23:00 +1 212-555-0180\n• 10:05 +1 212-555-0182\n• 10:10 +1 212-555-0183 (Anna)"
	if len(ops) != 1 || ops[0] != want {
		t.Fatalf("the operators got %q; want one digest:\n%s", ops, want)
	}
	h.now = time.Date(2026, 12, 5, 18, 0, 0, 0, sp)
	h.sendDigests()
	ops = messages(h.srv.Sent(operatorChat)[before:])
	if len(ops) != 2 || !strings.HasPrefix(ops[1], "Today: 0 new contacts, 0 answered by a person.\nStill waiting") {
		t.Errorf("the next day's digest %q", ops[1:])
	}
}

// TestDigestSettingsAreChecked: digest_at names its line and what it
// expects.
func TestDigestSettingsAreChecked(t *testing.T) {
	t.Parallel()
	_, err := bot.ParseRules("rules.toml", []byte("digest_at = \"6pm\"\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\n"), mustCatalog(t))
	if err == nil || !strings.Contains(err.Error(), `rules.toml:1: digest_at: "6pm": expected a time of day, HH:MM, such as 18:00`) {
		t.Errorf("%v", err)
	}
}
