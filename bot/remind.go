package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Every customer answered by a person: a routed first contact that no
// person of the business answers within answer_within (open time, with
// [hours]) gets one reminder in the chat that received its summary, and
// with escalate_to one more message there after escalate_after. Both are
// rendered and recorded with the summary, and sent in the customer's
// chat's order, so that an answer stored before the reminder's turn stops
// it.

// Message ids of the reminders.
const (
	MsgReminder   = "reminder"   // to the summary's chat: .Count, the minutes; .Name .Phone .Category .Text
	MsgEscalation = "escalation" // to escalate_to: the same fields
	MsgHold       = "hold"       // to the customer with the reminder (hold_message), in their language
)

// TypeReminderDue is the typeWebhook of the notifications Frontdesk stores
// itself when a first contact's reminder or escalation is due.
const TypeReminderDue = "frontdeskReminderDue"

// Kinds of reminder, in the idMessage of their notification.
const (
	KindReminder   = "reminder"
	KindEscalation = "escalation"
)

// Reminders is what a rule (or the rules file, for every rule) says of
// reminders: none with AnswerWithin 0.
type Reminders struct {
	AnswerWithin  time.Duration
	EscalateTo    string
	EscalateAfter time.Duration
	// HoldMessage, if set, is the message id sent once to the customer
	// with the reminder ("we have not forgotten you"), in their language;
	// never to one who opted out, nor while a person has the chat.
	HoldMessage string
}

// remindersSpec is how the rules file writes them.
type remindersSpec struct {
	AnswerWithin  string `toml:"answer_within"`
	EscalateTo    string `toml:"escalate_to"`
	EscalateAfter string `toml:"escalate_after"`
	HoldMessage   string `toml:"hold_message"`
}

// parse checks spec over def (the file's), and says each mistake by key.
func (spec remindersSpec) parse(def Reminders, catalog *Catalog, fail func(key, format string, args ...any)) Reminders {
	r := def
	if spec.HoldMessage != "" {
		if !catalog.Has(catalog.DefaultLocale(), spec.HoldMessage) && !catalog.isBuiltin(spec.HoldMessage) {
			fail("hold_message", "message %q is not in the default locale %q (%s)", spec.HoldMessage, catalog.DefaultLocale(),
				strings.Join(catalog.Sources(catalog.DefaultLocale()), ", "))
		}
		r.HoldMessage = spec.HoldMessage
	}
	duration := func(key, v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			fail(key, "%q: expected a duration of at least 1m, such as 15m or 2h", v)
			return 0
		}
		return d
	}
	if spec.AnswerWithin != "" {
		r.AnswerWithin = duration("answer_within", spec.AnswerWithin)
	}
	if spec.EscalateTo != "" {
		r.EscalateTo = spec.EscalateTo
	}
	if spec.EscalateAfter != "" {
		r.EscalateAfter = duration("escalate_after", spec.EscalateAfter)
	}
	switch {
	case spec.EscalateTo != "" && !greenapi.IsPersonalChat(spec.EscalateTo) && !greenapi.IsGroupChat(spec.EscalateTo):
		fail("escalate_to", "%q: expected a chat id, such as 120363000000000000@g.us", spec.EscalateTo)
	case (r.EscalateTo == "") != (r.EscalateAfter == 0) && (spec.EscalateTo != "" || spec.EscalateAfter != ""):
		fail("escalate_after", "escalate_to and escalate_after go together: where, and after how long")
	case r.EscalateTo != "" && r.AnswerWithin == 0 && (spec.EscalateTo != "" || spec.AnswerWithin != ""):
		fail("answer_within", "missing: an escalation follows the reminder of answer_within")
	case r.EscalateTo != "" && r.EscalateAfter <= r.AnswerWithin && r.AnswerWithin > 0 && (spec.EscalateAfter != "" || spec.AnswerWithin != ""):
		fail("escalate_after", "%v: expected longer than answer_within (%v)", r.EscalateAfter, r.AnswerWithin)
	}
	return r
}

// minutes is a duration in whole minutes, for a message's .Count.
func minutes(d time.Duration) int { return int(math.Round(d.Minutes())) }

// renderReminders records in fc the reminder and the escalation of rule r
// for data, in the operators' language, due answer_within and
// escalate_after after the first message (open time); their recipients
// are set when the summary goes out.
func (b *Bot) renderReminders(fc *FirstContact, r *Rule, data TemplateData) error {
	if r == nil {
		return nil
	}
	return b.setReminders(fc, r.Reminders, data)
}

// setReminders renders in fc the reminder and the escalation of rem for
// data, due after the first message (open time); none without
// AnswerWithin.
func (b *Bot) setReminders(fc *FirstContact, rem Reminders, data TemplateData) error {
	fc.Reminder, fc.RemindAt, fc.Escalation, fc.EscalateAt = Outgoing{}, time.Time{}, Outgoing{}, time.Time{}
	if rem.AnswerWithin == 0 {
		return nil
	}
	for _, m := range []struct {
		id    string
		after time.Duration
		out   *Outgoing
		at    *time.Time
	}{
		{MsgReminder, rem.AnswerWithin, &fc.Reminder, &fc.RemindAt},
		{MsgEscalation, rem.EscalateAfter, &fc.Escalation, &fc.EscalateAt},
	} {
		if m.after == 0 {
			continue
		}
		d := data
		d.Count = minutes(m.after)
		text, err := b.catalog.Localize(b.cfg.OperatorLocale, m.id, d, d.Count)
		if err != nil {
			return fmt.Errorf("%w: rendering the %s: %v", queue.ErrPermanent, m.id, err)
		}
		m.out.Text = truncate(text, greenapi.MaxMessageLength)
		*m.at = b.openAfter(fc.firstMessageAt(), m.after)
	}
	return nil
}

// Kinds of the records (chat_messages, of the first contact's message) of
// a choice's own reminder and escalation, rendered with the first
// contact's other messages: the choice's id follows.
const (
	kindChoiceReminder   = "reminder@"
	kindChoiceEscalation = "escalation@"
)

// recordChoiceReminders renders, for each of r's choices with reminders
// of its own, their reminder and escalation for data, and records them
// (chat_messages, never sent as such): once chosen, choiceReminders puts
// them in place of the rule's.
func (b *Bot) recordChoiceReminders(ctx context.Context, fc *FirstContact, r *Rule, data TemplateData) error {
	for _, c := range r.Choices {
		if c.Reminders == nil {
			continue
		}
		own := *fc
		if err := b.setReminders(&own, *c.Reminders, data); err != nil {
			return err
		}
		for kind, out := range map[string]Outgoing{kindChoiceReminder: own.Reminder, kindChoiceEscalation: own.Escalation} {
			rec := ChatMessage{Instance: b.cfg.Instance, ChatID: fc.ChatID, IDMessage: fc.IDMessage, Kind: kind + c.ID, Out: Outgoing{Text: out.Text}, CreatedAt: b.Now()}
			if err := b.store.SaveChatMessage(ctx, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// choiceReminders puts in fc the reminder and the escalation of choice c,
// which has reminders of its own (recordChoiceReminders), due after the
// first message (open time).
func (b *Bot) choiceReminders(ctx context.Context, fc *FirstContact, c *Choice) error {
	var recs [2]ChatMessage
	for i, kind := range []string{kindChoiceReminder, kindChoiceEscalation} {
		rec, err := b.store.GetChatMessage(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage, kind+c.ID)
		if errors.Is(err, ErrNotFound) {
			// The rules changed since the greeting, giving the choice its
			// own: none was rendered then, and the rule's stay.
			b.log.Warn("a choice's own reminders were not rendered with the greeting; the rule's apply", "chat", fc.ChatID, "choice", c.ID)
			return nil
		}
		if err != nil {
			return err
		}
		recs[i] = rec
	}
	fc.Reminder, fc.RemindAt, fc.Escalation, fc.EscalateAt = Outgoing{}, time.Time{}, Outgoing{}, time.Time{}
	if recs[0].Out.Text != "" && c.Reminders.AnswerWithin > 0 {
		fc.Reminder.Text, fc.RemindAt = recs[0].Out.Text, b.openAfter(fc.firstMessageAt(), c.Reminders.AnswerWithin)
	}
	if recs[1].Out.Text != "" && c.Reminders.EscalateAfter > 0 {
		fc.Escalation.Text, fc.EscalateAt = recs[1].Out.Text, b.openAfter(fc.firstMessageAt(), c.Reminders.EscalateAfter)
	}
	return nil
}

// remindersOf are the reminders that apply to fc: its choice's own, or
// its rule's.
func (b *Bot) remindersOf(fc *FirstContact) Reminders {
	r := b.rules.rule(fc.Rule)
	if r == nil {
		return Reminders{}
	}
	for _, c := range r.Choices {
		if c.ID == fc.Choice && c.Reminders != nil {
			return *c.Reminders
		}
	}
	return r.Reminders
}

// openAfter is when d of open time has passed since from: with [hours],
// closed time does not count.
func (b *Bot) openAfter(from time.Time, d time.Duration) time.Time {
	if h := b.rules.Hours; h != nil {
		if t := h.AddOpen(from, d); !t.IsZero() {
			return t
		}
	}
	return from.Add(d)
}

// routeReminders sets the recipients of fc's reminders once its summary
// went out: the reminder to the summary's chat, the escalation to the
// rule's escalate_to.
func (b *Bot) routeReminders(fc *FirstContact) {
	if fc.Reminder.Text != "" && fc.Summary.Sent() {
		fc.Reminder.To = fc.Summary.To
	}
	if fc.Escalation.Text != "" && fc.Summary.Sent() {
		fc.Escalation.To = b.remindersOf(fc).EscalateTo
	}
}

// ReminderSweepEvery is how often the replica that leads the "reminders"
// duty looks for reminders that are due.
const ReminderSweepEvery = 5 * time.Second

// SendDueReminders stores, for each reminder and escalation of the served
// instances that is due by now and whose first contact no person
// answered, a notification of the customer's chat (TypeReminderDue),
// through inbox: it is sent in the chat's order, after any answer stored
// before it, with the retries and the crash safety of every notification.
// It returns how many it stored.
func SendDueReminders(ctx context.Context, store Store, inbox Enqueuer, now time.Time, served []string) (int, error) {
	stored := 0
	for _, kind := range []string{KindReminder, KindEscalation} {
		due, err := store.DueReminders(ctx, kind, now, served, 100)
		if err != nil {
			return stored, err
		}
		for _, fc := range due {
			body, err := json.Marshal(ownBody{TypeWebhook: TypeReminderDue, Kind: kind, ChatID: fc.ChatID, IDMessage: fc.IDMessage})
			if err != nil {
				return stored, err
			}
			n := queue.Notification{Instance: fc.Instance, ChatID: fc.ChatID, IDMessage: ReminderID(kind, fc), TypeWebhook: TypeReminderDue,
				Body: body, ReceivedAt: now}
			added, err := inbox.Add(ctx, n)
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

// ReminderID is the idMessage of the TypeReminderDue notification of fc's
// reminder or escalation (kind): one before fc is claimed, and one more
// after, since a claim makes them due later (one that was stored already
// then waits, and the sweep stores the second at the new time).
func ReminderID(kind string, fc FirstContact) string {
	if fc.Claim.Msg != "" {
		return kind + ":" + fc.IDMessage + ClaimedSuffix
	}
	return kind + ":" + fc.IDMessage
}

// ClaimedSuffix ends the ReminderID of a claimed first contact.
const ClaimedSuffix = "@claimed"

// RunReminders calls SendDueReminders every ReminderSweepEvery until ctx
// ends; one replica runs it (queue.Lead "reminders").
func RunReminders(ctx context.Context, store Store, inbox Enqueuer, served func() []string, log *slog.Logger) {
	sweepEvery(ctx, ReminderSweepEvery, "looking for reminders that are due failed; will look again", log, func(now time.Time) error {
		_, err := SendDueReminders(ctx, store, inbox, now, served())
		return err
	})
}

// reminderDue sends the reminder or the escalation a TypeReminderDue
// notification names, once, unless a person answered the customer first.
func (b *Bot) reminderDue(ctx context.Context, n queue.Notification) error {
	body, fc, ok, err := b.ownNotification(ctx, n)
	if err != nil || !ok {
		return err
	}
	out, kind, due := &fc.Reminder, "reminder", fc.RemindAt
	if body.Kind == KindEscalation {
		out, kind, due = &fc.Escalation, "escalation", fc.EscalateAt
	}
	log := b.log.With("chat", fc.ChatID, "idMessage", fc.IDMessage, "kind", kind)
	if !fc.AnsweredAt.IsZero() && !out.Attempted {
		b.trace(&fc, "answered in time", "a person answered before the %s was due: not sent", kind)
		return nil
	}
	if out.To == "" {
		return nil
	}
	if !out.Attempted && fc.Claim.Msg != "" && !strings.HasSuffix(n.IDMessage, ClaimedSuffix) && b.Now().Before(due) {
		// Claimed after this was stored: due answer_within after the claim,
		// when the sweep stores it again, under the claimed ReminderID.
		b.trace(&fc, "claimed", "%s took the contact: the %s waits until %s", fc.Claim.By, kind, due.UTC().Format(time.RFC3339))
		return nil
	}
	// Taken in the operators' chat: the reminder names who has it.
	out.Text = b.claimedText(&fc, out, log)
	// Sent already (a retry after its event failed): deliver does nothing,
	// and the event, kept once, is kept now.
	save := func(ctx context.Context) error { return b.save(ctx, &fc) }
	gaveUp, err := b.deliver(ctx, delivery{out: out, kind: kind, since: fc.CreatedAt, save: save, ref: &fc}, log)
	if err != nil {
		return err
	}
	if gaveUp != "" {
		out.To = "" // listed no more
		b.trace(&fc, "gave up", "Green API refused the %s for good (%s)", kind, gaveUp)
		return b.save(ctx, &fc)
	}
	event := "reminded"
	if kind == "escalation" {
		event = "escalated"
	}
	b.metrics.Conversation(event)
	if err := b.emitConversation(ctx, fc.ChatID, ConversationData{Event: event, IDMessage: fc.IDMessage, To: out.To}, b.Now()); err != nil {
		return err
	}
	log.Info("no person answered the customer in time: "+kind+" sent", "to", out.To)
	b.trace(&fc, kind, "no person answered in time: sent to %s", out.To)
	if hold := b.remindersOf(&fc).HoldMessage; kind == "reminder" && hold != "" {
		return b.hold(ctx, &fc, hold, log)
	}
	return nil
}

// hold sends the customer of fc, once, the message id with the reminder,
// in their language: never to one who opted out, nor while a person has
// the chat. It is recorded before it is sent (chat_messages), and its
// echo never counts as a person's answer.
func (b *Bot) hold(ctx context.Context, fc *FirstContact, id string, log *slog.Logger) error {
	st, err := b.store.GetChat(ctx, b.cfg.Instance, fc.ChatID)
	if err != nil {
		return err
	}
	sent, err := b.sendOnce(ctx, fc.ChatID, fc.IDMessage, MsgHold, func() (*Outgoing, error) {
		if why := b.silenced(st); why != "" {
			b.trace(fc, "skipped", "no hold message: %s", skippedText(why))
			return nil, nil
		}
		locale := firstNonEmpty(st.Locale, fc.Locale, b.catalog.DefaultLocale())
		text, err := b.catalog.RenderReply(locale, id, TemplateData{})
		if err != nil {
			return nil, fmt.Errorf("%w: rendering the hold message %q in %s: %v", queue.ErrPermanent, id, locale, err)
		}
		return &Outgoing{To: fc.ChatID, Text: text}, nil
	}, log)
	if err != nil || sent == "" {
		return err
	}
	b.metrics.Conversation("held")
	b.trace(fc, "hold", "the customer was told a person will answer (%s)", sent)
	return nil
}
