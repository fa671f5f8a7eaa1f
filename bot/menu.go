package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Message ids of the choice menus.
const (
	MsgChoiceMenu      = "choice_menu"       // ends a greeting that offers choices: .Options, the numbered labels
	MsgChoiceQuestion  = "choice_question"   // a poll's question, the text above buttons (menu_style)
	MsgChoiceHint      = "choice_hint"       // once per menu, to a reply that chose nothing: .Options
	MsgSummaryChosen   = "summary_chosen"    // added to the summary: .Choice, the chosen label
	MsgSummaryNoChoice = "summary_no_choice" // added to the summary: .Count, the minutes waited (plural)
)

// TypeChoiceWaitEnded is the typeWebhook of the notifications Frontdesk
// stores itself when a menu's wait ends: the chat's queue then takes the
// rule's own route, in order with the sender's messages.
const TypeChoiceWaitEnded = "frontdeskChoiceWaitEnded"

// DefaultChoiceWait is how long a menu waits for the sender's choice.
const DefaultChoiceWait = 15 * time.Minute

// ChoiceSweepEvery is how often the replica that leads the "choices" duty
// looks for menus whose wait ended.
const ChoiceSweepEvery = 5 * time.Second

// Choice is one option of a rule's menu ([[rule.choice]]): its number is
// its place in the list.
type Choice struct {
	ID    string // names it in the summary's log, the event and the metrics
	Label string // message id of its text in the menu; the text chooses it too
	Reply string // message id sent to the sender once chosen; "" none
	// Forward and ForwardTo route the summary: both unset, the rule's
	// route; Forward false, no summary; else to ForwardTo, or to
	// OPERATOR_CHAT_ID without it.
	Forward   *bool
	ForwardTo string
	// Reminders, if set, are the choice's own (answer_within,
	// escalate_to, escalate_after, hold_message over the rule's): once
	// chosen, they replace the rule's.
	Reminders *Reminders
}

// choiceSpec is a [[rule.choice]] as written.
type choiceSpec struct {
	ID        string `toml:"id"`
	Label     string `toml:"label"`
	Reply     string `toml:"reply"`
	Forward   *bool  `toml:"forward"`
	ForwardTo string `toml:"forward_to"`
	remindersSpec
}

// maxChoices keeps every choice one digit.
const maxChoices = 9

// parseChoices checks a rule's menu and sets it on r. failAt reports a
// problem at the line of lineKey, naming key.
func parseChoices(r *Rule, spec ruleSpec, catalog *Catalog, failAt func(lineKey, key, format string, args ...any)) {
	r.MenuStyle = MenuText
	if spec.MenuStyle != "" && !validStyle(spec.MenuStyle) {
		failAt("menu_style", "menu_style", "%q: expected \"text\" (numbered under the greeting), \"poll\" or \"buttons\"", spec.MenuStyle)
	} else if spec.MenuStyle != "" {
		r.MenuStyle = spec.MenuStyle
	}
	if len(spec.Choice) == 0 {
		if spec.ChoiceWait != "" {
			failAt("choice_wait", "choice_wait", "the rule has no [[rule.choice]] to wait for")
		}
		if r.MenuStyle != MenuText {
			failAt("menu_style", "menu_style", "the rule has no [[rule.choice]] to send as a %s", r.MenuStyle)
		}
		return
	}
	r.ChoiceWait = DefaultChoiceWait
	if spec.ChoiceWait != "" {
		d, err := time.ParseDuration(spec.ChoiceWait)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			failAt("choice_wait", "choice_wait", "%q: expected a duration from 1m to 24h, such as 15m", spec.ChoiceWait)
		} else {
			r.ChoiceWait = d
		}
	}
	if spec.Reply != nil && *spec.Reply == "" {
		failAt("choice.0", "choice", "needs a reply: the menu ends the greeting")
	}
	if len(spec.Choice) > maxChoices {
		failAt("choice.9", "choice", "%d choices: at most %d, one digit each", len(spec.Choice), maxChoices)
	}
	if !catalog.Has(catalog.DefaultLocale(), MsgChoiceMenu) {
		failAt("choice.0", "choice", "the default locale %q has no message %q, the menu's text", catalog.DefaultLocale(), MsgChoiceMenu)
	}
	seen, labelsOK := make(map[string]bool), true
	for j, cs := range spec.Choice {
		name := fmt.Sprintf("choice %d", j+1)
		if cs.ID != "" {
			name = fmt.Sprintf("choice %q", cs.ID)
		}
		fail := func(key, format string, args ...any) {
			if key == "label" {
				labelsOK = false
			}
			failAt(fmt.Sprintf("choice.%d.%s", j, key), name+": "+key, format, args...)
		}
		switch {
		case cs.ID == "":
			fail("id", "missing; every choice needs an id, shown in the summary, the events and the metrics")
		case seen[cs.ID]:
			fail("id", "used by an earlier choice of the rule")
		}
		seen[cs.ID] = true
		for key, id := range map[string]string{"label": cs.Label, "reply": cs.Reply} {
			if id != "" && !catalog.Has(catalog.DefaultLocale(), id) {
				fail(key, "message %q is not in the default locale %q (%s)", id, catalog.DefaultLocale(),
					strings.Join(catalog.Sources(catalog.DefaultLocale()), ", "))
			}
		}
		if cs.Label == "" {
			fail("label", "missing; name the message of the option's text in the menu")
		}
		if cs.Forward != nil && !*cs.Forward && cs.ForwardTo != "" {
			fail("forward_to", "sends the summary, but forward = false")
		}
		c := Choice{ID: cs.ID, Label: cs.Label, Reply: cs.Reply, Forward: cs.Forward, ForwardTo: cs.ForwardTo}
		if cs.remindersSpec != (remindersSpec{}) {
			own := cs.remindersSpec.parse(r.Reminders, catalog, fail)
			c.Reminders = &own
		}
		r.Choices = append(r.Choices, c)
	}
	if r.MenuStyle == MenuText || !labelsOK {
		return
	}
	// Every label, in every locale, within the limits of the style.
	labels := make([]string, len(r.Choices))
	for i, c := range r.Choices {
		labels[i] = c.Label
	}
	for _, why := range catalog.styleProblems(r.MenuStyle, MsgChoiceQuestion, func(locale string) ([]string, error) {
		return catalog.labels(locale, labels)
	}) {
		failAt("menu_style", "menu_style", "%s", why)
	}
}

// rule returns the rule with id, or nil (a reload removed it).
func (rs Rules) rule(id string) *Rule {
	for _, r := range rs.List {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// ChoiceText renders the menu (MsgChoiceMenu) or the hint (MsgChoiceHint)
// of rule in locale: the message with the options, numbered.
func (c *Catalog) ChoiceText(rule *Rule, locale, id string) (string, error) {
	lines := make([]string, 0, len(rule.Choices))
	for i, choice := range rule.Choices {
		label, err := c.Localize(locale, choice.Label, TemplateData{}, 0)
		if err != nil {
			return "", fmt.Errorf("%w: rendering the label %q in %s: %v", queue.ErrPermanent, choice.Label, locale, err)
		}
		lines = append(lines, fmt.Sprintf("%d %s", i+1, label))
	}
	text, err := c.Localize(locale, id, TemplateData{Options: strings.Join(lines, "\n")}, 0)
	if err != nil {
		return "", fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, id, locale, err)
	}
	return text, nil
}

// chosen reads a reply to rule's menu: an option's number, or its label
// in one of locales (in any case, without punctuation around it). It
// returns nil for any other message.
func (b *Bot) chosen(rule *Rule, text string, locales ...string) *Choice {
	word := normalizeWord(text)
	if n, err := strconv.Atoi(word); err == nil {
		if n >= 1 && n <= len(rule.Choices) {
			return &rule.Choices[n-1]
		}
		return nil
	}
	for _, locale := range locales {
		if locale == "" {
			continue
		}
		for i, c := range rule.Choices {
			label, err := b.catalog.Localize(locale, c.Label, TemplateData{}, 0)
			if err == nil && normalizeWord(label) == word {
				return &rule.Choices[i]
			}
		}
	}
	return nil
}

// menuReply handles a known sender's message while their greeting's menu
// waits for a choice: a choice routes the contact (choose), a stop or
// start word is left to the opt-out, and any other message gets one hint
// per menu. A message that chose before a crash finishes what it began.
// It reports whether the message was the menu's.
func (b *Bot) menuReply(ctx context.Context, msg *greenapi.MessageNotification, st ChatState, optWord bool) (bool, error) {
	if !st.MenuWaits || st.FirstContactMsg == "" {
		return false, nil // most messages: no read
	}
	chatID := msg.SenderData.ChatID
	fc, err := b.store.GetFirstContact(ctx, b.cfg.Instance, chatID, st.FirstContactMsg)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	name := firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName)
	switch {
	case fc.ChoiceMsg == msg.IDMessage:
		return true, b.finishChoice(ctx, &fc, name)
	case fc.Step == StepDone || fc.Step == StepGaveUp:
		// Its end was sent, and a crash kept the chat from learning it.
		return false, b.store.SetMenuWaits(ctx, b.cfg.Instance, chatID, fc.IDMessage, false)
	case fc.Step != StepChoosing:
		return false, nil
	case optWord:
		return true, nil
	}
	rule := b.rules.rule(fc.Rule)
	if rule == nil || len(rule.Choices) == 0 {
		return false, nil // the rules changed: the wait's end routes it
	}
	text, _ := greenapi.MessageText(msg.MessageData.Message)
	if c := b.chosen(rule, text, fc.Locale, st.Locale); c != nil {
		how := ChosenByLabel
		if _, err := strconv.Atoi(normalizeWord(text)); err == nil {
			how = ChosenByNumber
		}
		return true, b.choose(ctx, &fc, rule, c, msg.IDMessage, st, name, how)
	}
	return true, b.choiceHint(ctx, msg, &fc, rule, st)
}

// choiceWaitEnded handles the notification the sweeper stored when a
// menu's wait ended: unless the sender chose meanwhile, the contact takes
// the rule's own route.
func (b *Bot) choiceWaitEnded(ctx context.Context, n queue.Notification) error {
	_, fc, ok, err := b.ownNotification(ctx, n)
	if err != nil || !ok {
		return err
	}
	switch {
	case fc.Step == StepChoosing:
		st, err := b.store.GetChat(ctx, b.cfg.Instance, n.ChatID)
		if err != nil {
			return err
		}
		return b.choose(ctx, &fc, b.rules.rule(fc.Rule), nil, n.IDMessage, st, "", "")
	case fc.ChoiceMsg == n.IDMessage:
		return b.finishChoice(ctx, &fc, "")
	}
	return nil
}

// ownBody is the body of a notification Frontdesk stores itself about a
// first contact: the end of its menu's wait (TypeChoiceWaitEnded), or its
// reminder or escalation being due (TypeReminderDue, with Kind).
type ownBody struct {
	TypeWebhook string `json:"typeWebhook"`
	Kind        string `json:"kind,omitempty"`
	ChatID      string `json:"chatId"`
	IDMessage   string `json:"idMessage"` // the first contact's
}

// ownNotification reads a notification Frontdesk stored itself and the
// first contact it names; ok is false when that first contact was
// forgotten meanwhile.
func (b *Bot) ownNotification(ctx context.Context, n queue.Notification) (body ownBody, fc FirstContact, ok bool, err error) {
	if err := json.Unmarshal(n.Body, &body); err != nil {
		return body, fc, false, fmt.Errorf("%w: %s: %v", queue.ErrPermanent, n.TypeWebhook, err)
	}
	fc, err = b.store.GetFirstContact(ctx, b.cfg.Instance, n.ChatID, body.IDMessage)
	if errors.Is(err, ErrNotFound) {
		return body, fc, false, nil
	}
	return body, fc, err == nil, err
}

// ChoiceWaitPrefix starts the idMessage of the notification that ends
// the wait of a menu; the first contact's idMessage follows: one per menu.
const ChoiceWaitPrefix = "choice-wait:"

func choiceWaitID(idMessage string) string { return ChoiceWaitPrefix + idMessage }

// choose records how fc's menu ended, with choice c (chosen by the message
// by, how: ChosenByPoll, …) or, c nil, with no choice when the wait ran
// out (by is then the wait's notification): the answer and the summary
// are rendered and recorded (StepChosen) before anything is sent. rule may
// be nil (a reload removed it).
func (b *Bot) choose(ctx context.Context, fc *FirstContact, rule *Rule, c *Choice, by string, st ChatState, name, how string) error {
	if p, err := b.store.GetProfile(ctx, b.cfg.Instance, fc.ChatID); err == nil {
		name = firstNonEmpty(p.Info.Name, name)
	}
	answer, summary, err := b.outcome(*fc, rule, c, st, name)
	if err != nil {
		return err
	}
	log := b.log.With("chat", fc.ChatID, "idMessage", fc.IDMessage)
	if c != nil {
		fc.Choice, fc.ChoiceBy = c.ID, how
		b.metrics.Conversation("chosen")
		b.metrics.Conversation("chosen_by_" + how)
		log.Info("the sender chose from the menu", "choice", c.ID, "by", by, "how", how)
		if why := b.silenced(st); why != "" && c.Reply != "" {
			b.metrics.Conversation("skipped_" + why)
			b.trace(fc, "skipped", "the answer to the choice is not sent: %s", skippedText(why))
		}
	} else {
		b.metrics.Conversation("choice_timed_out")
		log.Info("no choice from the menu in time: the rule's own route")
	}
	fc.ChoiceMsg, fc.Answer, fc.Summary, fc.Step = by, answer, summary, StepChosen
	if c != nil && c.Reminders != nil {
		if err := b.choiceReminders(ctx, fc, c); err != nil {
			return err
		}
	}
	if err := b.save(ctx, fc); err != nil {
		return err
	}
	if c != nil {
		b.trace(fc, "chosen", "choice %s by %s%s", c.ID, how, routeText(fc.Summary.To))
	} else {
		b.trace(fc, "chosen", "no choice in time: the rule's own route%s", routeText(fc.Summary.To))
	}
	return b.finishChoice(ctx, fc, name)
}

// outcome renders what the end of fc's menu sends: the answer of choice c
// in the chat's language (none when c is nil, the wait having run out, or
// has no reply, or when the chat is silenced), and the summary, routed by
// c, that says what was chosen. name is the sender's. It reads and sends
// nothing: choose and frontdesk check share it.
func (b *Bot) outcome(fc FirstContact, rule *Rule, c *Choice, st ChatState, name string) (answer, summary Outgoing, err error) {
	summary = fc.Summary // the rule's own route
	var note string
	if c != nil {
		switch {
		case c.ForwardTo != "":
			summary.To = c.ForwardTo
		case c.Forward != nil && *c.Forward:
			summary.To = b.cfg.OperatorChatID
		case c.Forward != nil:
			summary.To = ""
		}
		label, err := b.catalog.Localize(b.cfg.OperatorLocale, c.Label, TemplateData{}, 0)
		if err != nil {
			label = c.ID
		}
		if note, err = b.catalog.Localize(b.cfg.OperatorLocale, MsgSummaryChosen, TemplateData{Choice: label}, 0); err != nil {
			return answer, summary, fmt.Errorf("%w: rendering %q: %v", queue.ErrPermanent, MsgSummaryChosen, err)
		}
		if c.Reply != "" && b.silenced(st) == "" {
			locale := b.menuLocale(&fc, st)
			data := TemplateData{Name: name, Rule: fc.Rule, Tag: fc.Tag}
			if h := b.rules.Hours; h != nil && !h.Open(b.Now()) {
				if next := h.NextOpen(b.Now()); !next.IsZero() {
					data.NextOpen = b.nextOpenText(locale, next)
				}
			}
			text, err := b.catalog.RenderReply(locale, c.Reply, data)
			if err != nil {
				return answer, summary, fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, c.Reply, locale, err)
			}
			answer = Outgoing{To: fc.ChatID, Text: text}
		}
	} else {
		wait := DefaultChoiceWait
		if rule != nil && rule.ChoiceWait > 0 {
			wait = rule.ChoiceWait
		}
		minutes := int(math.Round(wait.Minutes()))
		if note, err = b.catalog.Localize(b.cfg.OperatorLocale, MsgSummaryNoChoice, TemplateData{Count: minutes}, minutes); err != nil {
			return answer, summary, fmt.Errorf("%w: rendering %q: %v", queue.ErrPermanent, MsgSummaryNoChoice, err)
		}
	}
	if summary.To == "" {
		summary.Text = ""
		return answer, summary, nil
	}
	summary.Text += "\n" + note
	if !st.OptedOut.IsZero() {
		if o, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgSummaryOptedOut, TemplateData{}, 0); err == nil {
			summary.Text += "\n" + o
		}
	}
	summary.Text = truncate(summary.Text, greenapi.MaxMessageLength)
	return answer, summary, nil
}

// ChoiceOutcome is what one end of a greeting's menu sends: the sender's
// choice Number (Choice nil, 0: no choice within the wait), the answer to
// the sender and the summary (none without Text).
type ChoiceOutcome struct {
	Number  int
	Choice  *Choice
	Answer  Outgoing
	Summary Outgoing
}

// PreviewChoices says what each option of d's menu, and no choice, would
// send, for the sender s of Preview (frontdesk check); nil without a menu.
func PreviewChoices(catalog *Catalog, rules Rules, cfg Config, s Sender, d Decision) ([]ChoiceOutcome, error) {
	if !d.Menu {
		return nil, nil
	}
	b := previewBot(catalog, rules, cfg, s.At)
	fc := FirstContact{ChatID: s.ChatID, Rule: d.Rule.ID, Tag: d.Rule.Tag, Locale: d.Locale, Summary: d.Summary}
	name := firstNonEmpty(s.Info.Name, s.Name)
	var out []ChoiceOutcome
	for i := 0; i <= len(d.Rule.Choices); i++ {
		o := ChoiceOutcome{Number: i + 1}
		if i == len(d.Rule.Choices) {
			o.Number = 0 // no choice
		} else {
			o.Choice = &d.Rule.Choices[i]
		}
		var err error
		if o.Answer, o.Summary, err = b.outcome(fc, d.Rule, o.Choice, ChatState{Locale: s.Locale}, name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// ShortDuration is d without its zero seconds and minutes: 15m, 1h30m, 2h.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// menuLocale is the language of a menu's messages: the one the sender
// chose since, else the greeting's.
func (b *Bot) menuLocale(fc *FirstContact, st ChatState) string {
	if st.Locale != "" && b.catalog.Supports(st.Locale) {
		return st.Locale
	}
	return fc.Locale
}

func routeText(to string) string {
	if to == "" {
		return "; no summary"
	}
	return "; summary to " + to
}

// finishChoice sends what a recorded choice decided: the answer to the
// sender, then the summary, each once.
func (b *Bot) finishChoice(ctx context.Context, fc *FirstContact, name string) error {
	log := b.log.With("chat", fc.ChatID, "idMessage", fc.IDMessage)
	if fc.Step == StepChosen {
		fc.Answer.To = fc.ChatID
		save := func(ctx context.Context) error { return b.save(ctx, fc) }
		gaveUp, err := b.deliver(ctx, delivery{out: &fc.Answer, kind: "answer", since: fc.CreatedAt, save: save, ref: fc}, log)
		if err != nil {
			return err
		}
		if gaveUp != "" {
			b.trace(fc, "gave up", "Green API refused the answer for good: %s", gaveUp)
		} else if fc.Answer.Sent() {
			b.trace(fc, "answered", "sendMessage %s", fc.Answer.ID)
		}
		fc.Step = StepReplied
		if err := b.save(ctx, fc); err != nil {
			return err
		}
	}
	if err := b.forward(ctx, fc, name, log); err != nil {
		return err
	}
	// The menu is over: the chat's next messages are ordinary again.
	return b.store.SetMenuWaits(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage, false)
}

// choiceHint answers a reply that chose nothing with the menu once more,
// once per menu (recorded before it is sent, as every automatic message).
func (b *Bot) choiceHint(ctx context.Context, msg *greenapi.MessageNotification, fc *FirstContact, rule *Rule, st ChatState) error {
	chatID := fc.ChatID
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	// Keyed by the first contact: one hint per menu, whichever message
	// earned it (a retry of msg finds it, a later message too).
	rec, created, err := b.recordOnce(ctx, chatID, fc.IDMessage, MsgChoiceHint, func() (*Outgoing, error) {
		if why := b.silenced(st); why != "" {
			b.metrics.Conversation("skipped_" + why)
			b.trace(fc, "skipped", "no hint for the menu: %s", skippedText(why))
			return nil, nil
		}
		text, err := b.catalog.ChoiceText(rule, b.menuLocale(fc, st), MsgChoiceHint)
		if err != nil {
			return nil, err
		}
		return &Outgoing{To: chatID, Text: text}, nil
	})
	if err != nil || rec.Kind == "" || rec.Out.Sent() {
		return err // hinted before: the message is the business's to read
	}
	if created {
		b.metrics.Conversation("choice_hint")
	}
	gaveUp, err := b.deliverRecorded(ctx, &rec, "choice_hint", log)
	if err != nil {
		return err
	}
	if gaveUp == "" {
		b.trace(fc, "hint", "the reply chose nothing: the menu once more (%s)", rec.Out.ID)
	}
	return nil
}

// Enqueuer stores a notification that Frontdesk made itself and hands it
// to the workers, unless one of its chat and message id is stored already;
// *queue.Inbox is one.
type Enqueuer interface {
	Add(ctx context.Context, n queue.Notification) (stored bool, err error)
}

// OrphanGrace is how long after its wait ended a menu of a number no
// longer served is left for that number to come back; then it is ended
// (EndOrphanChoices), so that it lingers nowhere.
const OrphanGrace = 24 * time.Hour

// EndChoiceWaits stores, for each menu of the instances served whose wait
// has ended by now, a notification of its chat that ends it
// (TypeChoiceWaitEnded), through inbox: the rule's own route is then taken
// in the chat's order, with the retries and the crash safety of every
// notification. Menus of other instances are left for the deployment that
// serves them, and ended once OrphanGrace has passed. It returns how many
// it stored.
func EndChoiceWaits(ctx context.Context, store Store, inbox Enqueuer, now time.Time, served []string, log *slog.Logger) (int, error) {
	if ended, err := store.EndOrphanChoices(ctx, now.Add(-OrphanGrace), served, now); err != nil {
		return 0, err
	} else if ended > 0 {
		log.Warn("menus of numbers no longer served ended without a summary", "count", ended, "waited_over", OrphanGrace)
	}
	due, err := store.DueChoices(ctx, now, served, 100)
	if err != nil {
		return 0, err
	}
	stored := 0
	for _, fc := range due {
		body, err := json.Marshal(ownBody{TypeWebhook: TypeChoiceWaitEnded, ChatID: fc.ChatID, IDMessage: fc.IDMessage})
		if err != nil {
			return stored, err
		}
		n := queue.Notification{Instance: fc.Instance, ChatID: fc.ChatID, IDMessage: choiceWaitID(fc.IDMessage), TypeWebhook: TypeChoiceWaitEnded,
			Body: body, ReceivedAt: now}
		added, err := inbox.Add(ctx, n)
		if err != nil {
			return stored, err
		}
		if added { // else stored before: it waits its turn
			stored++
		}
	}
	return stored, nil
}

// RunChoiceWaits calls EndChoiceWaits every ChoiceSweepEvery until ctx
// ends; one replica runs it (queue.Lead "choices").
func RunChoiceWaits(ctx context.Context, store Store, inbox Enqueuer, served func() []string, log *slog.Logger) {
	sweepEvery(ctx, ChoiceSweepEvery, "looking for menus whose wait ended failed; will look again", log, func(now time.Time) error {
		_, err := EndChoiceWaits(ctx, store, inbox, now, served(), log)
		return err
	})
}

// sweepEvery runs sweep at once and then every period until ctx ends; a
// failure is logged with failed, and the next round tries again.
func sweepEvery(ctx context.Context, period time.Duration, failed string, log *slog.Logger, sweep func(now time.Time) error) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := sweep(time.Now()); err != nil && ctx.Err() == nil {
			log.Warn(failed, "err", err, "retry_in", period)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
