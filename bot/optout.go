package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Message ids of the opt-out, in the locale files.
const (
	MsgOptOutWords        = "opt_out_words"
	MsgOptInWords         = "opt_in_words"
	MsgOptOutConfirmation = "opt_out_confirmation"
	MsgSummaryOptedOut    = "summary_opted_out"
	// MsgSummaryProfileUnknown is added to the summary of a contact whose
	// profile could not be looked up.
	MsgSummaryProfileUnknown = "summary_profile_unknown"
	// MsgSummaryNotGreeted is added to the summary of a contact whose
	// greeting Green API refused for good.
	MsgSummaryNotGreeted = "summary_not_greeted"
)

// optWords are the stop and start words of every locale, normalized: a
// sender may write STOP to a Russian business.
type optWords struct{ out, in map[string]bool }

func newOptWords(c *Catalog) optWords {
	return optWords{out: wordsOf(c, MsgOptOutWords), in: wordsOf(c, MsgOptInWords)}
}

// wordsOf returns the words of message id (comma-separated) in every
// locale, normalized.
func wordsOf(c *Catalog, id string) map[string]bool {
	words := map[string]bool{}
	for _, locale := range c.Locales() {
		list, err := c.Localize(locale, id, TemplateData{}, 0)
		if err != nil {
			continue
		}
		for _, word := range strings.Split(list, ",") {
			if n := normalizeWord(word); n != "" {
				words[n] = true
			}
		}
	}
	return words
}

// normalizeWord is a message as compared with the words: without spaces
// and punctuation around it, in upper case.
func normalizeWord(s string) string {
	return strings.ToUpper(strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }))
}

// optOut records that the sender of msg asked for no automatic messages,
// then confirms it once in their language: the record of the confirmation
// is kept before it is sent, and an attempt of unknown outcome is looked
// up in the chat's history, as a greeting's is. While a person of the
// business has the chat, the confirmation is not sent (they see the STOP).
func (b *Bot) optOut(ctx context.Context, msg *greenapi.MessageNotification, st ChatState, at time.Time) error {
	chatID := msg.SenderData.ChatID
	if err := b.store.SetOptedOut(ctx, b.cfg.Instance, chatID, true, at); err != nil {
		return err
	}
	if err := b.emitConversation(ctx, chatID, ConversationData{Event: "opted_out", IDMessage: msg.IDMessage}, at); err != nil {
		return err
	}
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	rec, created, err := b.recordOnce(ctx, chatID, msg.IDMessage, MsgOptOutConfirmation, func() (*Outgoing, error) {
		if b.Now().Before(st.HumanUntil) {
			b.metrics.Conversation("skipped_" + SkippedHuman)
			b.trace(ref, "opted out", "no more automatic messages; no confirmation: a person has the chat")
			log.Info("the sender opted out of automatic messages; a person has the chat, so no confirmation")
			return nil, nil
		}
		text, err := b.catalog.Localize(b.knownLocale(msg, st), MsgOptOutConfirmation, TemplateData{}, 0)
		if err != nil {
			return nil, fmt.Errorf("%w: rendering the opt-out confirmation: %v", queue.ErrPermanent, err)
		}
		return &Outgoing{To: chatID, Text: text}, nil
	})
	if err != nil || rec.Kind == "" || rec.Out.Sent() {
		return err
	}
	if created {
		b.metrics.Conversation("opted_out")
		log.Info("the sender opted out of automatic messages")
	}
	gaveUp, err := b.deliverRecorded(ctx, &rec, "opt_out_confirmation", log)
	if err != nil {
		return err
	}
	if gaveUp != "" {
		b.trace(ref, "opted out", "no more automatic messages; Green API refused the confirmation: %s", gaveUp)
		return nil
	}
	b.trace(ref, "opted out", "no more automatic messages; confirmation sent (%s)", rec.Out.ID)
	return nil
}

// optIn records that an opted-out sender wrote a start word: automatic
// messages may follow again. Nothing is sent for it.
func (b *Bot) optIn(ctx context.Context, msg *greenapi.MessageNotification, at time.Time) error {
	chatID := msg.SenderData.ChatID
	if err := b.store.SetOptedOut(ctx, b.cfg.Instance, chatID, false, at); err != nil {
		return err
	}
	if err := b.emitConversation(ctx, chatID, ConversationData{Event: "opted_in", IDMessage: msg.IDMessage}, at); err != nil {
		return err
	}
	b.metrics.Conversation("opted_in")
	b.log.Info("the sender opted back in to automatic messages", "chat", chatID, "idMessage", msg.IDMessage)
	b.trace(&FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}, "opted in", "automatic messages may follow again")
	return nil
}
