package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// sendRatings runs what the leader of the "ratings" duty runs, at the
// harness's time, then works what it stored; it returns how many it stored.
func (h *harness) sendRatings() int {
	h.t.Helper()
	return h.sweep(func(ctx context.Context, inbox bot.Enqueuer, now time.Time) (int, error) {
		return bot.SendDueRatings(ctx, h.store, inbox, []*bot.Bot{h.bot}, now)
	})
}

const ratingRules = `rating = true
rating_after = "1h"

[[rule]]
id = "everyone"
reply = "greeting_generic"
forward = true
`

// TestRatingFollowUp is issue #26's item 6: once a person answered and the
// chat fell silent for rating_after, the customer gets one poll, in their
// language, to rate the answer 1 to 5; their first vote is the rating (its
// event, the status page's figures), a later one changes nothing; a
// customer who opted out is never asked. It is the one automatic message
// that goes while the person has the chat (HUMAN_PAUSE): it follows their
// answer.
func TestRatingFollowUp(t *testing.T) {
	t.Parallel()
	const chat, stopped = "5511987650180@c.us", "5511987650181@c.us"
	h := newHarness(t, true, func(c *bot.Config) { c.Events, c.HumanPause = true, 24*time.Hour })
	h.useRules(ratingRules)
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "Oi"})
	h.write(greenapitest.Incoming{ChatID: stopped, SenderName: "Bia", Text: "Oi"})
	h.advance(5 * time.Minute)
	h.businessWrites(chat)
	h.businessWrites(stopped)
	h.write(greenapitest.Incoming{ChatID: stopped, SenderName: "Bia", Text: "PARAR"})
	h.advance(59 * time.Minute)
	if n := h.sendRatings(); n != 0 {
		t.Errorf("%d questions before the chat was silent for an hour", n)
	}
	h.advance(2 * time.Minute)
	h.sendRatings()
	h.sendRatings()
	sent := h.srv.Sent(chat)
	poll := sent[len(sent)-1]
	if len(sent) != 2 || poll.Message != "Como você avalia o nosso atendimento?" || strings.Join(poll.Poll, "|") != "1 ⭐|2 ⭐⭐|3 ⭐⭐⭐|4 ⭐⭐⭐⭐|5 ⭐⭐⭐⭐⭐" {
		t.Fatalf("the customer got %+v; want the greeting, then one poll in Portuguese", sent)
	}
	for _, m := range h.srv.Sent(stopped) {
		if m.Poll != nil {
			t.Error("a customer who opted out was asked to rate")
		}
	}
	vote := greenapitest.Vote(poll, 4)
	vote.SenderName = "Ana"
	h.write(vote)
	changed := greenapitest.Vote(poll, 1)
	changed.SenderName = "Ana"
	h.write(changed)
	st, err := h.store.GetChat(context.Background(), greenapitest.DefaultIDInstance, chat)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := h.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, st.FirstContactMsg)
	if err != nil || fc.Rating != 5 || fc.RatingAskedAt.IsZero() {
		t.Errorf("rating %d (asked %v), %v; want 5, the first vote's", fc.Rating, fc.RatingAskedAt, err)
	}
	var rated []string
	for _, e := range outboxEvents(t, h) {
		if strings.Contains(e, `"event":"rating"`) {
			rated = append(rated, e)
		}
	}
	if len(rated) != 1 || !strings.Contains(rated[0], `"rating":5`) {
		t.Errorf("rating events %q; want one, of 5", rated)
	}
	if n := len(h.srv.Sent(chat)); n != 2 {
		t.Errorf("the customer got %d messages; the vote is answered by nothing", n)
	}
}

// TestRatingSettingsAreChecked: rating_after names its line and what it
// expects, and needs rating = true.
func TestRatingSettingsAreChecked(t *testing.T) {
	t.Parallel()
	const rule = "\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\n"
	for text, want := range map[string]string{
		"rating = true\nrating_after = \"soon\"\n" + rule: `rules.toml:2: rating_after: "soon": expected a duration of at least 1m`,
		"rating_after = \"2h\"\n" + rule:                  `rules.toml:1: rating_after: needs rating = true`,
	} {
		if _, err := bot.ParseRules("rules.toml", []byte(text), mustCatalog(t)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", text, err, want)
		}
	}
}
