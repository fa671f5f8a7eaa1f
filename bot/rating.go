package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// The follow-up question (rating = true in the rules file): once a person
// of the business answered a first contact and the chat has then been
// silent for rating_after, the customer gets, once, a poll in their
// language: how they rate the answer, 1 to 5. Never to a chat that opted
// out. Their vote (the first; a later one changes nothing) goes to the
// events (conversation "rating") and to the status page's figures per rule
// and per operator who claimed. The leader of the "ratings" duty stores
// one notification per first contact (rating:<idMessage>); the poll is
// recorded before it is sent.

// MsgRatingQuestion is the poll's question, in the customer's language.
const MsgRatingQuestion = "rating_question"

// TypeRatingDue is the typeWebhook of the notification that a first
// contact's follow-up question is due.
const TypeRatingDue = "frontdeskRatingDue"

// RatingPrefix starts the idMessage of that notification; the first
// contact's idMessage follows.
const RatingPrefix = "rating:"

// kindRating is the record (chat_messages, of the first contact's
// message) of the poll.
const kindRating = "rating"

// RatingSweepEvery is how often the leader of the "ratings" duty looks for
// follow-up questions that are due.
const RatingSweepEvery = 30 * time.Second

// DefaultRatingAfter is rating_after when the rules file does not say.
const DefaultRatingAfter = time.Hour

// ratingWindow bounds how long before its question is due a first contact
// may have been answered: turning rating on asks no one answered long ago.
const ratingWindow = 24 * time.Hour

// ratingOptions are the poll's options, the same in every language.
var ratingOptions = []string{"1 ⭐", "2 ⭐⭐", "3 ⭐⭐⭐", "4 ⭐⭐⭐⭐", "5 ⭐⭐⭐⭐⭐"}

// Rating is what the rules file says of the follow-up question: asked
// After the chat's last message, once a person answered.
type Rating struct {
	After time.Duration
}

// parseRating reads rating and rating_after.
func parseRating(on bool, after string, catalog *Catalog, fail func(key, format string, args ...any)) *Rating {
	if !on {
		if after != "" {
			fail("rating_after", "needs rating = true")
		}
		return nil
	}
	r := &Rating{After: DefaultRatingAfter}
	if after != "" {
		d, err := time.ParseDuration(after)
		if err != nil || d < time.Minute {
			fail("rating_after", "%q: expected a duration of at least 1m, such as 2h", after)
			return nil
		}
		r.After = d
	}
	if !catalog.Has(catalog.DefaultLocale(), MsgRatingQuestion) {
		fail("rating", "the default locale %q has no message %q, the question", catalog.DefaultLocale(), MsgRatingQuestion)
	}
	return r
}

// SendDueRatings stores, through inbox, the notification of each follow-up
// question of bots' numbers that is due now; it returns how many it
// stored.
func SendDueRatings(ctx context.Context, store Store, inbox Enqueuer, bots []*Bot, now time.Time) (int, error) {
	stored := 0
	for _, b := range bots {
		r := b.rules.Rating
		if r == nil {
			continue
		}
		due, err := store.DueRatings(ctx, b.cfg.Instance, now.Add(-r.After), now.Add(-r.After-ratingWindow), 100)
		if err != nil {
			return stored, err
		}
		for _, fc := range due {
			body, err := json.Marshal(ownBody{TypeWebhook: TypeRatingDue, Kind: kindRating, ChatID: fc.ChatID, IDMessage: fc.IDMessage})
			if err != nil {
				return stored, err
			}
			added, err := inbox.Add(ctx, queue.Notification{Instance: fc.Instance, ChatID: fc.ChatID, IDMessage: RatingPrefix + fc.IDMessage,
				TypeWebhook: TypeRatingDue, Body: body, ReceivedAt: now})
			if err != nil {
				return stored, err
			}
			if added {
				stored++
			}
		}
	}
	return stored, nil
}

// RunRatings calls SendDueRatings every RatingSweepEvery until ctx ends;
// one replica runs it (queue.Lead "ratings").
func RunRatings(ctx context.Context, store Store, inbox Enqueuer, bots func() []*Bot, log *slog.Logger) {
	sweepEvery(ctx, RatingSweepEvery, "looking for follow-up questions that are due failed; will look again", log, func(now time.Time) error {
		_, err := SendDueRatings(ctx, store, inbox, bots(), now)
		return err
	})
}

// ratingDue asks the customer of the first contact a TypeRatingDue
// notification names the follow-up question, once, unless they opted out.
// It is the one automatic message that goes while a person of the
// business has the chat (HUMAN_PAUSE): it follows that person's answer,
// once the chat has been silent for rating_after.
func (b *Bot) ratingDue(ctx context.Context, n queue.Notification) error {
	_, fc, ok, err := b.ownNotification(ctx, n)
	if err != nil || !ok || !fc.RatingAskedAt.IsZero() {
		return err // asked (or settled) already
	}
	if b.rules.Rating == nil { // turned off since it was stored
		return b.store.SetRatingAsked(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage, b.Now())
	}
	log := b.log.With("chat", fc.ChatID, "idMessage", fc.IDMessage)
	st, err := b.store.GetChat(ctx, b.cfg.Instance, fc.ChatID)
	if err != nil {
		return err
	}
	sent, err := b.sendOnce(ctx, fc.ChatID, fc.IDMessage, kindRating, func() (*Outgoing, error) {
		if !st.OptedOut.IsZero() {
			b.trace(&fc, "skipped", "no follow-up question: %s", skippedText(SkippedOptedOut))
			return nil, nil
		}
		locale := firstNonEmpty(st.Locale, fc.Locale, b.catalog.DefaultLocale())
		question, err := b.catalog.Localize(locale, MsgRatingQuestion, TemplateData{}, 0)
		if err != nil {
			return nil, fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, MsgRatingQuestion, locale, err)
		}
		return &Outgoing{To: fc.ChatID, Text: truncate(question, greenapi.MaxPollQuestionLength), Style: MenuPoll, Options: ratingOptions}, nil
	}, log)
	if err != nil {
		return err
	}
	if err := b.store.SetRatingAsked(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage, b.Now()); err != nil {
		return err
	}
	if sent != "" {
		b.metrics.Conversation("rating_asked")
		b.trace(&fc, "rating asked", "the customer was asked to rate the answer (%s)", sent)
	}
	return nil
}

// ratingVote reads a poll vote of the chat's current first contact's
// follow-up question: the first vote that holds an option is its rating,
// recorded once, with its event; a later one changes nothing. It reports
// whether the vote answered that question.
func (b *Bot) ratingVote(ctx context.Context, msg *greenapi.MessageNotification, t tap, st ChatState, at time.Time) (bool, error) {
	if t.by != ChosenByPoll || st.FirstContactMsg == "" {
		return false, nil
	}
	chatID := msg.SenderData.ChatID
	rec, err := b.store.GetChatMessage(ctx, b.cfg.Instance, chatID, st.FirstContactMsg, kindRating)
	if err != nil || rec.Out.ID == "" || rec.Out.ID != t.stanzaID {
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		return false, err
	}
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: st.FirstContactMsg}
	i := t.option(ratingOptions)
	if i < 0 {
		b.trace(ref, "not a message", "a vote on the follow-up question that holds no option")
		return true, nil
	}
	rating := i + 1
	first, err := b.store.SetRating(ctx, b.cfg.Instance, chatID, st.FirstContactMsg, rating, msg.IDMessage, at)
	if err != nil {
		return true, err
	}
	if !first {
		b.log.Info("the customer changed their rating; the first stands", "chat", chatID, "rating", rating)
		b.trace(ref, "rating changed", "a later vote holds %d; the first rating stands", rating)
		return true, nil
	}
	b.metrics.Conversation("rated")
	if err := b.emitConversation(ctx, chatID, ConversationData{Event: "rating", IDMessage: st.FirstContactMsg, Rating: rating}, at); err != nil {
		return true, err
	}
	b.log.Info("the customer rated the answer", "chat", chatID, "rating", rating)
	b.trace(ref, "rated", "the customer rated the answer %s", strconv.Itoa(rating)+" "+strings.Repeat("⭐", rating))
	return true, nil
}
