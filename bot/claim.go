package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Claiming in the operators' chat: an operator takes a contact by replying
// to (quoting) its summary, its reminder or its escalation with a claim
// word alone. Frontdesk records who took it (TakeFirstContact, atomic: the
// first claim wins), says so once in the chat, tells a later claimer who
// has it, and from then on the reminder names the claimer and comes no
// earlier than answer_within after the claim. Frontdesk reads the operator
// chats the configuration names and no other group; nothing else written
// in them changes anything.

// Message ids of the claims.
const (
	MsgClaimWords      = "claim_words"      // the words that claim, comma-separated
	MsgClaimed         = "claimed"          // to the operators' chat, once per claim: .Operator .Phone (the customer's)
	MsgClaimTaken      = "claim_taken"      // to the operators' chat, to a later claim: .Operator (who has it) .Phone
	MsgReminderClaimed = "reminder_claimed" // added to the reminder and the escalation of a claimed contact: .Operator
)

// claimPatience is how long a claim that quotes a message of the number
// not known as a contact's is handled again: the time a summary's send of
// unknown outcome takes to be settled from the chat's history.
const claimPatience = 2 * time.Minute

// OperatorChats returns the chats the configuration sends summaries,
// reminders and escalations to: OPERATOR_CHAT_ID, each rule's and each
// choice's forward_to, and each escalate_to. These, and no other group,
// are read for claims.
func OperatorChats(rules Rules, operatorChatID string) map[string]bool {
	chats := map[string]bool{}
	add := func(id string) {
		if id != "" {
			chats[id] = true
		}
	}
	add(operatorChatID)
	add(rules.Reminders.EscalateTo)
	for _, r := range rules.List {
		add(r.ForwardTo)
		add(r.Reminders.EscalateTo)
		for _, c := range r.Choices {
			add(c.ForwardTo)
			if c.Reminders != nil {
				add(c.Reminders.EscalateTo)
			}
		}
	}
	return chats
}

// operatorMessage reads a message written in an operators' chat: a claim
// word alone, quoting a contact's summary, reminder or escalation, claims
// it; anything else changes nothing.
func (b *Bot) operatorMessage(ctx context.Context, msg *greenapi.MessageNotification, at time.Time) error {
	quoted := msg.MessageData.Quoted
	if quoted == nil || quoted.StanzaID == "" {
		return nil
	}
	text, _ := greenapi.MessageText(msg.MessageData.Message)
	if !b.claimWords[normalizeWord(text)] {
		return nil
	}
	group := msg.SenderData.ChatID
	log := b.log.With("chat", group, "idMessage", msg.IDMessage)
	fc, err := b.store.FirstContactBySent(ctx, b.cfg.Instance, quoted.StanzaID)
	if errors.Is(err, ErrNotFound) {
		if b.Now().Sub(at) < claimPatience {
			// Perhaps a summary to this chat whose send is being settled
			// (its id not recorded yet): the claim is handled again, for a
			// while, but only then.
			unsettled, err := b.store.SummaryUnsettled(ctx, b.cfg.Instance, group)
			if err != nil {
				return err
			}
			if unsettled {
				return fmt.Errorf("a claim quotes a message not known as a contact's while a summary to the chat is being settled (%s): will look again", quoted.StanzaID)
			}
		}
		log.Info("a claim quotes no contact's summary; nothing to take", "quoted", quoted.StanzaID)
		return nil
	}
	if err != nil {
		return err
	}
	by := firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName)
	// The operator's number: their id in the group, or for an `@lid` one
	// the number the notification carries.
	phone := ""
	operator := greenapi.SenderData{ChatID: msg.SenderData.Sender, SenderPhoneNumber: msg.SenderData.SenderPhoneNumber}
	if digits, ok := operator.Phone(); ok {
		_, phone = RegionOf(digits)
	}
	if by == "" {
		by = firstNonEmpty(phone, msg.SenderData.Sender)
	}
	c := Claim{By: by, Phone: phone, Msg: msg.IDMessage, At: at}
	var remindAt, escalateAt time.Time
	if rem := b.remindersOf(&fc); rem.AnswerWithin > 0 {
		remindAt = b.openAfter(at, rem.AnswerWithin)
		if rem.EscalateAfter > 0 {
			escalateAt = b.openAfter(at, rem.EscalateAfter)
		}
	}
	fc, err = b.store.TakeFirstContact(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage, c, remindAt, escalateAt)
	if err != nil {
		return err
	}
	first := fc.Claim.Msg == msg.IDMessage // again true when this claim is handled a second time
	if first {
		b.metrics.Conversation("claimed")
		if err := b.emitConversation(ctx, fc.ChatID, ConversationData{Event: "claimed", IDMessage: fc.IDMessage, Operator: c.By, OperatorPhone: c.Phone}, at); err != nil {
			return err
		}
		log.Info("an operator took a contact", "customer", fc.ChatID, "operator", msg.SenderData.Sender)
		b.trace(&fc, "claimed", "%s took the contact in the operators' chat", c.By)
	} else {
		log.Info("a contact was claimed again; told who has it", "customer", fc.ChatID, "operator", msg.SenderData.Sender)
		b.trace(&fc, "claimed again", "%s tried to take the contact; %s has it", c.By, fc.Claim.By)
	}
	// Recorded (chat_messages) under its message id, keyed by the claim's
	// own message in the operators' chat.
	id := MsgClaimed
	if !first {
		id = MsgClaimTaken
	}
	_, err = b.sendOnce(ctx, group, msg.IDMessage, id, func() (*Outgoing, error) {
		data := TemplateData{Operator: fc.Claim.By}
		if digits, ok := greenapi.PhoneOf(fc.ChatID); ok {
			_, data.Phone = RegionOf(digits)
		}
		text, err := b.catalog.Localize(b.cfg.OperatorLocale, id, data, 0)
		if err != nil {
			return nil, fmt.Errorf("%w: rendering %s: %v", queue.ErrPermanent, id, err)
		}
		return &Outgoing{To: group, Text: text}, nil
	}, log)
	return err
}

// claimedText is out's text naming the operator who claimed fc, for a
// reminder or an escalation not attempted yet; out's text as it is
// otherwise.
func (b *Bot) claimedText(fc *FirstContact, out *Outgoing, log *slog.Logger) string {
	if fc.Claim.By == "" || out.Attempted {
		return out.Text
	}
	line, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgReminderClaimed, TemplateData{Operator: fc.Claim.By}, 0)
	if err != nil {
		log.Warn("the reminder cannot name who took the contact", "err", err)
		return out.Text
	}
	return truncate(out.Text+"\n"+line, greenapi.MaxMessageLength)
}
