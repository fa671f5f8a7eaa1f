// Who is never greeted, and when Frontdesk keeps quiet: IGNORE_CHATS,
// and a person of the business who took the chat over (HUMAN_PAUSE).

package bot

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Why an automatic message was not sent (FirstContact.Skipped, the trace,
// frontdesk_conversation_total).
const (
	SkippedHuman    = "human"     // a person of the business wrote in the chat
	SkippedOptedOut = "opted_out" // the sender asked for no automatic messages
	// SkippedRefused: Green API refused the greeting for good (a spent
	// quota, a refused chat); the summary says so.
	SkippedRefused = "refused"
	// SkippedRemoved: the number was no longer served when the menu's wait
	// ended (EndOrphanChoices): nothing was sent for it.
	SkippedRemoved = "number_removed"
)

// ChatFilter says which chats are never greeted (IGNORE_CHATS): chat ids
// or globs of them (path.Match), such as staff numbers, "4930*@c.us" or
// "120650379300963@lid". An `@lid` chat is matched by its id, and by its
// phone number's `…@c.us` id when its notification carries the number.
// Groups, broadcasts and newsletters are never greeted anyway.
type ChatFilter struct{ patterns []string }

// NewChatFilter checks patterns and returns their filter.
func NewChatFilter(patterns []string) (*ChatFilter, error) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
	}
	return &ChatFilter{patterns: patterns}, nil
}

// Match reports whether chatID is ignored.
func (f *ChatFilter) Match(chatID string) bool {
	if f == nil {
		return false
	}
	for _, p := range f.patterns {
		if ok, _ := path.Match(p, chatID); ok {
			return true
		}
	}
	return false
}

// MatchSender reports whether a notification's chat is ignored: by its
// chat id, or, for an `@lid` chat whose notification carries the sender's
// phone number, by that number's `…@c.us` id. It reads nothing else: an
// `@lid` chat's message without the number matches by its id only.
func (f *ChatFilter) MatchSender(sd greenapi.SenderData) bool {
	if f.Match(sd.ChatID) {
		return true
	}
	if phone := phoneOf(sd); phone != "" {
		chatID, err := greenapi.ChatIDOf(phone)
		return err == nil && f.Match(chatID)
	}
	return false
}

// PersonWrote records that a person of the business wrote in a chat at
// at: nothing automatic goes to it for HumanPause. The notification's own
// turn records it again (the same values).
func (b *Bot) PersonWrote(ctx context.Context, chatID string, at time.Time) error {
	if b.cfg.HumanPause <= 0 {
		return nil
	}
	return b.store.MarkKnown(ctx, b.cfg.Instance, chatID, at, at.Add(b.cfg.HumanPause))
}

// silenced says why nothing automatic may be sent in a chat now, or "".
func (b *Bot) silenced(st ChatState) string {
	switch {
	case !st.OptedOut.IsZero():
		return SkippedOptedOut
	case b.Now().Before(st.HumanUntil):
		return SkippedHuman
	}
	return ""
}

// skippedText says a Skipped reason in words, for the trace.
func skippedText(why string) string {
	switch why {
	case SkippedHuman:
		return "a person of the business has the chat (HUMAN_PAUSE)"
	case SkippedOptedOut:
		return "the sender opted out of automatic messages"
	}
	return why
}
