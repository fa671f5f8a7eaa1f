// What Frontdesk does with a message: Handle below, in order. The business
// wrote: the chat is known (a person's message pauses the automatic ones,
// quiet.go). A sender wrote: ignored chats stop here (quiet.go); an answer
// or an event (a button reply, a poll vote, an edit, a deletion, a
// reaction: notAMessage) claims nothing and is read only as a language or
// menu choice; a stop or start word is recorded and confirmed (optout.go);
// a message that claims a first contact runs it (firstContact: lookup.go,
// decide.go, deliver.go), and may end with a menu (menu.go); any other
// message may choose a language (language.go), answer a menu (menu.go) or
// get an away reply (hours.go). A menu's wait that ended arrives as a
// notification of its own (menu.go). A call nobody picked up is answered,
// and may be a first contact (call.go).

package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Handle processes one stored notification. It is safe to call again with
// the same notification after a failure or a crash: every step is recorded
// before its side effect and settled on the next call. An error wrapping
// ErrPermanent will not go away by retrying.
func (b *Bot) Handle(ctx context.Context, n queue.Notification) error {
	switch n.TypeWebhook {
	case TypeChoiceWaitEnded:
		return b.choiceWaitEnded(ctx, n)
	case TypeReminderDue:
		return b.reminderDue(ctx, n)
	case TypeDigestDue:
		return b.digestDue(ctx, n)
	case TypeRatingDue:
		return b.ratingDue(ctx, n)
	}
	parsed := n.Parsed
	if parsed == nil {
		var err error
		if parsed, err = greenapi.ParseNotification(n.Body); err != nil {
			return fmt.Errorf("%w: %v", queue.ErrPermanent, err)
		}
	}
	if call, ok := parsed.(*greenapi.IncomingCall); ok {
		return b.call(ctx, n, call)
	}
	msg, ok := greenapi.MessageOf(parsed)
	if !ok {
		return nil
	}
	at := time.Unix(msg.Timestamp, 0)
	if msg.Timestamp == 0 {
		at = n.ReceivedAt
	}
	chatID := msg.SenderData.ChatID
	switch parsed.(type) {
	case *greenapi.OutgoingMessageReceived, *greenapi.OutgoingAPIMessageReceived:
		if _, byPerson := parsed.(*greenapi.OutgoingMessageReceived); byPerson && b.operatorChats[chatID] {
			// A person on the business's own phone claims like any operator.
			return b.operatorMessage(ctx, msg, at)
		}
		// The business (or Frontdesk itself, or another program through the
		// API) wrote: the chat is known. A person who wrote from the phone
		// or another client has the chat for HumanPause.
		var humanUntil time.Time
		_, byPerson := parsed.(*greenapi.OutgoingMessageReceived)
		if byPerson && b.cfg.HumanPause > 0 {
			humanUntil = at.Add(b.cfg.HumanPause)
		}
		if err := b.store.MarkKnown(ctx, b.cfg.Instance, chatID, at, humanUntil); err != nil {
			return err
		}
		if err := b.answered(ctx, chatID, msg.IDMessage, at, byPerson); err != nil {
			return err
		}
		ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
		if byPerson && b.cfg.HumanPause > 0 {
			b.metrics.Conversation("human_wrote")
			b.log.Debug("a person of the business wrote: nothing automatic in the chat until then", "chat", chatID, "until", humanUntil)
			b.trace(ref, "known", "a person of the business wrote: nothing automatic in this chat until %s", humanUntil.UTC().Format(time.RFC3339))
		} else {
			b.trace(ref, "known", "the business wrote: the chat is known, not greeted")
		}
		return nil
	case *greenapi.IncomingMessageReceived:
		if b.operatorChats[chatID] {
			return b.operatorMessage(ctx, msg, at)
		}
		if !greenapi.IsPersonalChat(chatID) || (msg.InstanceData.Wid != "" && msg.SenderData.Sender == msg.InstanceData.Wid) {
			return nil
		}
		if b.cfg.Ignore.MatchSender(msg.SenderData) {
			b.metrics.Conversation("ignored")
			b.trace(&FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}, "ignored", "the chat is in IGNORE_CHATS")
			return nil
		}
		if kind := msg.MessageData.Kind(); kind != greenapi.KindMessage {
			return b.notAMessage(ctx, msg, kind, at)
		}
		state, err := b.store.ClaimFirstContact(ctx, b.cfg.Instance, chatID, msg.IDMessage, at, b.cfg.NewSenderAfter)
		if err != nil {
			return err
		}
		text, _ := greenapi.MessageText(msg.MessageData.Message)
		optWord := false
		switch word := normalizeWord(text); {
		case b.words.out[word]:
			optWord = true
			if err := b.optOut(ctx, msg, state, at); err != nil {
				return err
			}
		case b.words.in[word] && !state.OptedOut.IsZero():
			optWord = true
			if err := b.optIn(ctx, msg, at); err != nil {
				return err
			}
		}
		if !state.Claimed {
			if chose, err := b.languageChoice(ctx, msg, state, at); err != nil || chose {
				return err
			}
			if menu, err := b.menuReply(ctx, msg, state, optWord); err != nil || menu {
				return err
			}
			if err := b.awayReply(ctx, msg, state, at); err != nil {
				return err
			}
			b.trace(&FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}, "known",
				"not a first contact: the chat was active within %v (NEW_SENDER_AFTER)", b.cfg.NewSenderAfter)
			return nil
		}
		return b.firstContact(ctx, msg)
	}
	return nil
}

// notAMessage handles an answer (a button pressed, a list item chosen, a
// poll vote) or an event (an edit, a deletion, a reaction) that a sender
// sent: something about what came before, not something new they wrote.
//
// It never claims a first contact, so it is never greeted nor summarized,
// however long the chat was silent. Nor does it count as the chat's
// activity: it does not touch the chat's record at all (no
// ClaimFirstContact), so a reaction to an old message after
// NEW_SENDER_AFTER of silence does not make the person's next real message
// look like the middle of a conversation; that message is still the first
// contact, greeted and forwarded with its own text. A chat never seen stays
// never seen, for the same reason.
//
// Its readable text (an edit's new text, a button's label) is read where a
// text is needed: a language choice or a menu's choice of the chat's
// current first contact. It gets no away reply (nobody wrote anything new),
// and a stop or start word in it is not read: such a word is written.
func (b *Bot) notAMessage(ctx context.Context, msg *greenapi.MessageNotification, kind greenapi.MessageKind, at time.Time) error {
	chatID := msg.SenderData.ChatID
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	b.metrics.Conversation(kind.String()) // "answer" or "event"
	if t, ok := tapOf(msg.MessageData.Message, msg.SenderData.Sender, chatID); ok {
		// A vote or a tap answers the poll or buttons it names, never by
		// its text; a tap while no such menu waits is read by its text.
		state, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
		if err != nil {
			return err
		}
		if handled, err := b.ratingVote(ctx, msg, t, state, at); err != nil || handled {
			return err
		}
		if handled, err := b.menuTap(ctx, msg, t, state, at); err != nil || handled {
			return err
		}
	}
	text, ok := greenapi.MessageText(msg.MessageData.Message)
	if !ok { // a reaction, a deletion, a poll vote: nothing to read
		b.trace(ref, "not a message", "a %s (%s): nothing written, no first contact", kind, msg.MessageData.Type)
		return nil
	}
	state, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
	if err != nil {
		return err
	}
	if chose, err := b.languageChoice(ctx, msg, state, at); err != nil || chose {
		return err
	}
	if menu, err := b.menuReply(ctx, msg, state, false); err != nil || menu {
		return err
	}
	b.trace(ref, "not a message", "a %s (%s) reading %q: nothing waits for a text, no first contact", kind, msg.MessageData.Type, text)
	return nil
}

// firstContact runs (or resumes) the first contact that msg started.
func (b *Bot) firstContact(ctx context.Context, msg *greenapi.MessageNotification) error {
	chatID := msg.SenderData.ChatID
	fc, err := b.store.GetFirstContact(ctx, b.cfg.Instance, chatID, msg.IDMessage)
	if errors.Is(err, ErrNotFound) {
		now := b.Now()
		fc = FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage, Step: StepClaimed, CreatedAt: now, UpdatedAt: now,
			MessageAt: now}
		if msg.Timestamp != 0 {
			fc.MessageAt = time.Unix(msg.Timestamp, 0)
		}
		// Recorded before the lookup: its budget counts from this moment,
		// across waits and restarts.
		if err := b.store.SaveFirstContact(ctx, fc); err != nil {
			return err
		}
		if isCall(msg) {
			b.trace(&fc, "claimed", "a new sender: this call nobody picked up starts a first contact")
		} else {
			b.trace(&fc, "claimed", "a new sender: this message starts a first contact")
		}
	} else if err != nil {
		return err
	}
	fc.Reply.To = chatID // not stored: a greeting goes to its chat
	save := func(ctx context.Context) error { return b.save(ctx, &fc) }
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	name := firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName)
	if fc.Step == StepGaveUp && !fc.Reply.Sent() && !fc.Summary.Sent() {
		// Recorded as given up, then a crash before the chat was released:
		// release it now (end does it the first time).
		return b.store.ReleaseFirstContact(ctx, b.cfg.Instance, chatID, fc.IDMessage)
	}
	if fc.Step == StepClaimed {
		if err := b.decide(ctx, &fc, msg, log); err != nil {
			return err
		}
		log.Info("first contact", "rule", fc.Rule, "tag", fc.Tag, "locale", fc.Locale, "degraded", fc.Degraded)
		b.metrics.FirstContact(fc.Rule, fc.Tag, fc.Locale)
		if fc.Step == StepDone { // no rule matched: nothing to send
			return b.end(ctx, &fc, name)
		}
	}
	if fc.Step == StepDecided {
		if fc.Reply.Text != "" && !fc.Reply.Attempted && fc.Skipped == "" {
			// A person may have taken the chat over, or the sender opted out,
			// while the greeting waited for its profile.
			st, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
			if err != nil {
				return err
			}
			if why := b.silenced(st); why != "" {
				fc.Skipped = why
				if err := b.save(ctx, &fc); err != nil {
					return err
				}
				b.metrics.Conversation("skipped_" + why)
				log.Info("greeting not sent", "why", why)
				b.trace(&fc, "skipped", "the greeting is not sent: %s", skippedText(why))
			}
		}
		if fc.Reply.Text != "" && fc.Skipped == "" {
			gaveUp, err := b.deliver(ctx, delivery{out: &fc.Reply, kind: "reply", since: fc.CreatedAt, save: save, ref: &fc}, log)
			if err != nil {
				return err
			}
			if gaveUp != "" && fc.Summary.Text != "" && fc.Summary.To != "" {
				// The operators still hear of the customer, and that nothing
				// reached them: a person answers instead.
				if note, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgSummaryNotGreeted, TemplateData{Reason: gaveUp}, 0); err == nil {
					fc.Summary.Text = truncate(fc.Summary.Text+"\n"+note, greenapi.MaxMessageLength)
				}
				fc.Step, fc.Skipped, fc.gaveUp = StepReplied, SkippedRefused, gaveUp
				if err := b.save(ctx, &fc); err != nil {
					return err
				}
				b.trace(&fc, "gave up", "Green API refused the reply for good (%s): this customer gets no greeting; the summary tells the operators", gaveUp)
				return b.forward(ctx, &fc, name, log)
			}
			if gaveUp != "" {
				fc.Step, fc.gaveUp = StepGaveUp, gaveUp
				b.trace(&fc, "gave up", "Green API refused the reply for good (%s): this customer gets no greeting and the operators no summary", gaveUp)
				return b.end(ctx, &fc, name)
			}
			b.trace(&fc, "replied", "sendMessage %s", fc.Reply.ID)
			// A menu or a language choice as a poll or buttons follows the
			// greeting, once each.
			if err := b.sendMenus(ctx, &fc, log); err != nil {
				return err
			}
			// A greeting sent while closed is the chat's away reply for
			// this closed period; the answer to a call is not.
			if _, open, next := b.openAt(msg, fc.CreatedAt); !open && !next.IsZero() && !isCall(msg) {
				if err := b.store.SetAwayUntil(ctx, b.cfg.Instance, chatID, next); err != nil {
					return err
				}
			}
		}
		if !fc.ChoiceUntil.IsZero() && fc.Reply.Sent() {
			// The greeting ends with a menu: the summary waits for the
			// choice, or for the wait's end (EndChoiceWaits), counted from
			// now.
			fc.Step, fc.ChoiceUntil = StepChoosing, b.Now().Add(fc.ChoiceUntil.Sub(fc.CreatedAt))
			// The chat first, so that the sender's next message is read
			// as a choice however a crash cuts these two writes.
			if err := b.store.SetMenuWaits(ctx, b.cfg.Instance, chatID, fc.IDMessage, true); err != nil {
				return err
			}
			if err := b.save(ctx, &fc); err != nil {
				return err
			}
			b.trace(&fc, "choosing", "the menu waits for the sender's choice until %s", fc.ChoiceUntil.UTC().Format(time.RFC3339))
			return nil
		}
		fc.Step = StepReplied
		if err := b.save(ctx, &fc); err != nil {
			return err
		}
	}
	return b.forward(ctx, &fc, name, log)
}

// forward sends the summary of a first contact that replied (StepReplied),
// once, and ends it.
func (b *Bot) forward(ctx context.Context, fc *FirstContact, name string, log *slog.Logger) error {
	if fc.Step != StepReplied {
		return nil
	}
	if fc.Summary.Text != "" && fc.Summary.To != "" {
		save := func(ctx context.Context) error { return b.save(ctx, fc) }
		gaveUp, err := b.deliver(ctx, delivery{out: &fc.Summary, kind: "summary", since: fc.CreatedAt, save: save, ref: fc}, log)
		if err != nil {
			return err
		}
		if gaveUp != "" {
			fc.Step, fc.gaveUp = StepGaveUp, gaveUp
			b.trace(fc, "gave up", "Green API refused the summary for good (%s): the operators are not told of this contact", gaveUp)
			return b.end(ctx, fc, name)
		}
		b.trace(fc, "forwarded", "the summary to %s", fc.Summary.To)
		b.routeReminders(fc)
		if fc.Reminder.To != "" {
			b.trace(fc, "reminder set", "unless a person answers, a reminder to %s at %s", fc.Reminder.To, fc.RemindAt.UTC().Format(time.RFC3339))
		}
	} else {
		b.trace(fc, "no summary", "%s", noSummaryWhy(fc, b.rules.rule(fc.Rule)))
	}
	fc.Step = StepDone
	if err := b.end(ctx, fc, name); err != nil {
		return err
	}
	b.trace(fc, "done", "")
	return nil
}

// end records a first contact as done or given up, after its event is in
// the outbox: a crash in between writes the same event again, kept once.
// name is the sender's name as WhatsApp shows it, if known.
func (b *Bot) end(ctx context.Context, fc *FirstContact, name string) error {
	if err := b.emitFirstContact(ctx, fc, name); err != nil {
		return err
	}
	if err := b.save(ctx, fc); err != nil {
		return err
	}
	// Nothing reached the customer nor the operators (a spent quota, say):
	// the chat is not known for it, and the customer's next message is a
	// first contact again, once Green API takes messages.
	if fc.Step == StepGaveUp && !fc.Reply.Sent() && !fc.Summary.Sent() {
		if err := b.store.ReleaseFirstContact(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage); err != nil {
			return err
		}
		b.trace(fc, "released", "nothing reached the customer nor the operators: their next message starts a first contact again")
	}
	return nil
}

func (b *Bot) save(ctx context.Context, fc *FirstContact) error {
	fc.UpdatedAt = b.Now()
	return b.store.SaveFirstContact(ctx, *fc)
}

// noSummaryWhy says why the operators get no summary of fc, for a trace.
func noSummaryWhy(fc *FirstContact, rule *Rule) string {
	switch {
	case fc.Summary.Text != "" && fc.Summary.To == "":
		return "the rule forwards, but there is no operator chat (OPERATOR_CHAT_ID): the operators are not told of this contact"
	case fc.Choice != "":
		return "choice " + fc.Choice + " forwards nothing: the operators are not told of this contact"
	case rule != nil:
		return "rule " + rule.ID + " forwards nothing (forward = false): the operators are not told of this contact"
	}
	return "the rule forwards nothing: the operators are not told of this contact"
}

// answered records that a person of the business answered the chat's
// first contact, the first time one does (MarkAnswered), with the time the
// customer waited: open hours only, with [hours]. Frontdesk's own messages
// never count; with answered_by = "phone", only the phone and WhatsApp
// clients do.
func (b *Bot) answered(ctx context.Context, chatID, sentID string, at time.Time, byPerson bool) error {
	if !greenapi.IsPersonalChat(chatID) {
		return nil // an operators' group, a broadcast: no customer waits there
	}
	by := "api"
	if byPerson {
		by = "phone"
	} else if b.rules.AnsweredBy == "phone" {
		return nil
	}
	fc, first, err := b.store.MarkAnswered(ctx, b.cfg.Instance, chatID, sentID, at, by)
	if err != nil || !first {
		return err
	}
	from := fc.firstMessageAt()
	waited := max(0, at.Sub(from))
	if h := b.rules.Hours; h != nil {
		waited = h.OpenBetween(from, at)
	}
	if err := b.store.SetAnswerWait(ctx, b.cfg.Instance, chatID, fc.IDMessage, waited); err != nil {
		return err
	}
	b.metrics.Answered(fc.Rule, fc.Choice, by, waited)
	if err := b.emitConversation(ctx, chatID, ConversationData{Event: "answered", IDMessage: fc.IDMessage,
		WaitedSeconds: math.Round(waited.Seconds()), By: by}, at); err != nil {
		return err
	}
	b.log.Info("a person answered the first contact", "chat", chatID, "idMessage", fc.IDMessage, "by", by, "waited", waited.Round(time.Second))
	b.trace(&fc, "person answered", "a person of the business answered (%s) after %s", by, waited.Round(time.Second))
	return nil
}

// firstMessageAt is when the customer wrote: MessageAt, or for a record
// from before it was kept, when the first contact began.
func (fc *FirstContact) firstMessageAt() time.Time {
	if fc.MessageAt.IsZero() {
		return fc.CreatedAt
	}
	return fc.MessageAt
}
