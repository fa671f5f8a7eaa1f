// Callers are customers too: a WhatsApp call to the number that nobody
// of the business picks up is answered once, in the caller's language
// (call_reply), at most once per NEW_SENDER_AFTER in a chat. A caller who
// is a new sender is a first contact, whose greeting is that answer and
// whose summary says they called; a known caller gets the answer only.
// Green API sends the calls (incomingCall) with incomingCallWebhook on: a
// notification when it rings (offer), then one of how it ended.

package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// MsgCallReply is the message id of the answer to a call nobody picked up.
const MsgCallReply = "call_reply"

// callMessageType is the typeMessage of the message that stands for a
// call in a first contact (callMessage); no WhatsApp message has it.
const callMessageType = "frontdeskIncomingCall"

// The statuses of an incomingCall that Green API documents.
const (
	callOffer    = "offer"    // it rings
	callPickUp   = "pickUp"   // a person of the business answered
	callHangUp   = "hangUp"   // the business declined it, or the phone is on Do not disturb
	callHungUp   = "hungUp"   // hangUp, as the doc's list of outcomes spells it
	callMissed   = "missed"   // the caller hung up first (deprecated for declined)
	callDeclined = "declined" // nobody answered: WhatsApp ended it, or the caller hung up
)

// unanswered reports whether a call's status says that nobody of the
// business spoke with the caller.
func unanswered(status string) bool {
	switch status {
	case callHangUp, callHungUp, callMissed, callDeclined:
		return true
	}
	return false
}

// callStatusLabel is status as the calls metric counts it: a status
// Green API does not document is "other".
func callStatusLabel(status string) string {
	if unanswered(status) || status == callOffer || status == callPickUp {
		return status
	}
	return "other"
}

// isCall reports whether msg stands for a call (callMessage).
func isCall(msg *greenapi.MessageNotification) bool {
	return msg.MessageData.Type == callMessageType
}

// callMessage is the message that stands for call in a first contact: its
// chat is the caller's, its id the call's, and it has no text.
func callMessage(call *greenapi.IncomingCall) *greenapi.MessageNotification {
	return &greenapi.MessageNotification{Header: call.Header, IDMessage: call.IDMessage,
		SenderData:  greenapi.SenderData{ChatID: call.From, Sender: call.From},
		MessageData: greenapi.MessageData{Type: callMessageType}}
}

// call handles one status of a call to the number. Only a call that ended
// unanswered does anything, and only from a personal chat not in
// IGNORE_CHATS. Every status of one call shares its idMessage: the first
// contact, the answer and the event are the call's, kept once.
func (b *Bot) call(ctx context.Context, n queue.Notification, call *greenapi.IncomingCall) error {
	chatID := call.From
	if !greenapi.IsPersonalChat(chatID) || call.IDMessage == "" {
		return nil
	}
	b.metrics.Call(callStatusLabel(call.Status))
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: call.IDMessage}
	if !unanswered(call.Status) {
		b.trace(ref, "call", "a call (%s): nothing to do until it ends unanswered", call.Status)
		return nil
	}
	msg := callMessage(call)
	if b.cfg.Ignore.MatchSender(msg.SenderData) {
		b.metrics.Conversation("ignored")
		b.trace(ref, "ignored", "the chat is in IGNORE_CHATS")
		return nil
	}
	at := time.Unix(call.Timestamp, 0)
	if call.Timestamp == 0 {
		at = n.ReceivedAt
	}
	// The call is the chat's activity, as a message is.
	state, err := b.store.ClaimFirstContact(ctx, b.cfg.Instance, chatID, call.IDMessage, at, b.cfg.NewSenderAfter)
	if err != nil {
		return err
	}
	var replied bool
	if state.Claimed {
		// The first contact's greeting is the answer to the call: it
		// takes the chat's one answer of the period (a new chat's is
		// always free: it had none, or the last is older than the
		// silence that made it new).
		if _, err := b.store.ClaimCallReply(ctx, b.cfg.Instance, chatID, call.IDMessage, at, b.cfg.NewSenderAfter); err != nil {
			return err
		}
		if err := b.firstContact(ctx, msg); err != nil {
			return err
		}
		fc, err := b.store.GetFirstContact(ctx, b.cfg.Instance, chatID, call.IDMessage)
		if err != nil {
			return err
		}
		replied = fc.Reply.Sent()
	} else if replied, err = b.callReply(ctx, msg, at); err != nil {
		return err
	}
	return b.emitConversation(ctx, chatID, ConversationData{Event: "call", IDMessage: call.IDMessage, Status: call.Status,
		FirstContact: state.Claimed, Replied: replied}, at)
}

// callReply answers a known chat's call nobody picked up, once, unless
// the chat had an answer to a call within NEW_SENDER_AFTER
// (ClaimCallReply), opted out, or a person of the business has it. It is
// recorded before it is sent (chat_messages) and settled by the chat's
// history, and its echo never counts as a person's answer. It reports
// whether the answer went out.
func (b *Bot) callReply(ctx context.Context, msg *greenapi.MessageNotification, at time.Time) (bool, error) {
	chatID := msg.SenderData.ChatID
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	st, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
	if err != nil {
		return false, err
	}
	rec, _, err := b.recordOnce(ctx, chatID, msg.IDMessage, MsgCallReply, func() (*Outgoing, error) {
		if why := b.silenced(st); why != "" {
			b.metrics.Conversation("skipped_" + why)
			b.trace(ref, "skipped", "no answer to the call: %s", skippedText(why))
			return nil, nil
		}
		claimed, err := b.store.ClaimCallReply(ctx, b.cfg.Instance, chatID, msg.IDMessage, at, b.cfg.NewSenderAfter)
		if err != nil {
			return nil, err
		}
		if !claimed {
			b.trace(ref, "call", "the chat had its answer to a call within %v (NEW_SENDER_AFTER): not answered again", b.cfg.NewSenderAfter)
			return nil, nil
		}
		locale := b.knownLocale(msg, st)
		text, err := b.catalog.RenderReply(locale, MsgCallReply, TemplateData{})
		if err != nil {
			return nil, fmt.Errorf("%w: rendering the answer to a call %q in %s: %v", queue.ErrPermanent, MsgCallReply, locale, err)
		}
		return &Outgoing{To: chatID, Text: text}, nil
	})
	if err != nil || rec.Kind == "" {
		return false, err
	}
	if rec.Out.Sent() {
		return true, nil
	}
	gaveUp, err := b.deliverRecorded(ctx, &rec, "call_reply", log)
	if err != nil || gaveUp != "" {
		return false, err
	}
	b.metrics.Conversation("call_reply")
	b.trace(ref, "call", "a call nobody picked up: the caller was asked to write (%s)", rec.Out.ID)
	return true, nil
}
