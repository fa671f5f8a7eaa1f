package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// A menu sent as a poll or buttons (menu_style): recorded with the
// greeting (decide), sent after it (sendMenu), the numbered text in its
// place, once, when Green API refuses it for good; a vote or a tap chooses
// when it answers that very message (menuTap), and the number and the label
// keep choosing as with a text menu (menuReply).

// The menu styles (menu_style).
const (
	MenuText    = "text"    // numbered under the greeting
	MenuPoll    = "poll"    // a poll after the greeting (sendPoll)
	MenuButtons = "buttons" // reply buttons after the greeting (sendInteractiveButtonsReply)
)

// How a choice was made (FirstContact.ChoiceBy, the first_contact
// event's choice_by).
const (
	ChosenByPoll   = "poll"
	ChosenByButton = "button"
	ChosenByNumber = "number"
	ChosenByLabel  = "label"
)

func validStyle(s string) bool { return s == MenuText || s == MenuPoll || s == MenuButtons }

// labels renders the messages ids in locale.
func (c *Catalog) labels(locale string, ids []string) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		text, err := c.Localize(locale, id, TemplateData{}, 0)
		if err != nil {
			return nil, fmt.Errorf("the label %q does not render in %s: %v", id, locale, err)
		}
		out[i] = text
	}
	return out, nil
}

// styleProblems says, for each locale of the catalog, why a menu whose
// options options renders cannot go as style (MenuPoll or MenuButtons)
// with the question (or the buttons' text) of message question: the
// limits Green API documents for sendPoll and sendInteractiveButtonsReply.
// None when it can.
func (c *Catalog) styleProblems(style, question string, options func(locale string) ([]string, error)) []string {
	var out []string
	for _, locale := range c.Locales() {
		where := strings.Join(c.Sources(locale), ", ")
		labels, err := options(locale)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		if q, err := c.Localize(locale, question, TemplateData{}, 0); err != nil {
			out = append(out, fmt.Sprintf("the message %q does not render in %s: %v", question, locale, err))
		} else if n := utf8.RuneCountInString(q); style == MenuPoll && n > greenapi.MaxPollQuestionLength {
			out = append(out, fmt.Sprintf("in %s (%s) the poll's question %q is %d characters; a poll's question takes at most %d",
				locale, where, question, n, greenapi.MaxPollQuestionLength))
		}
		switch style {
		case MenuButtons:
			if len(labels) > greenapi.MaxButtons {
				return append(out, fmt.Sprintf("%d options: WhatsApp shows at most %d buttons; use menu_style = \"poll\" (up to %d options) or \"text\"",
					len(labels), greenapi.MaxButtons, greenapi.MaxPollOptions))
			}
			for _, l := range labels {
				if n := utf8.RuneCountInString(l); n > greenapi.MaxButtonTextLength {
					out = append(out, fmt.Sprintf("in %s (%s) the option %q is %d characters; a button takes at most %d: shorten it there, or use menu_style = \"poll\"",
						locale, where, l, n, greenapi.MaxButtonTextLength))
				}
			}
		case MenuPoll:
			if len(labels) < greenapi.MinPollOptions || len(labels) > greenapi.MaxPollOptions {
				return append(out, fmt.Sprintf("%d options: a poll takes %d to %d; use menu_style = \"text\"",
					len(labels), greenapi.MinPollOptions, greenapi.MaxPollOptions))
			}
			seen := make(map[string]bool)
			for _, l := range labels {
				if n := utf8.RuneCountInString(l); n > greenapi.MaxPollOptionLength {
					out = append(out, fmt.Sprintf("in %s (%s) the option %q is %d characters; a poll's option takes at most %d",
						locale, where, l, n, greenapi.MaxPollOptionLength))
				}
				if seen[l] {
					out = append(out, fmt.Sprintf("in %s (%s) two options read %q; a poll's options must differ", locale, where, l))
				}
				seen[l] = true
			}
		}
	}
	return out
}

// tapMenu is rule's menu in locale as a poll or buttons: the question
// (MsgChoiceQuestion), the labels as options, and menu, the numbered text,
// as the fallback.
func (b *Bot) tapMenu(rule *Rule, locale, menu string) (Outgoing, error) {
	question, err := b.catalog.Localize(locale, MsgChoiceQuestion, TemplateData{}, 0)
	if err != nil {
		return Outgoing{}, fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, MsgChoiceQuestion, locale, err)
	}
	ids := make([]string, len(rule.Choices))
	for i, c := range rule.Choices {
		ids[i] = c.Label
	}
	labels, err := b.catalog.labels(locale, ids)
	if err != nil {
		return Outgoing{}, fmt.Errorf("%w: %v", queue.ErrPermanent, err)
	}
	return Outgoing{Style: rule.MenuStyle, Text: question, Options: labels, Fallback: menu}, nil
}

// tapLanguages is the language list for a sender greeted in locale as a
// poll or buttons: the question (MsgLanguageQuestion), the languages in
// themselves as options, and menu, the numbered text, as the fallback.
func (b *Bot) tapLanguages(locale, menu string) (Outgoing, error) {
	question, err := b.catalog.Localize(locale, MsgLanguageQuestion, TemplateData{}, 0)
	if err != nil {
		return Outgoing{}, fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, MsgLanguageQuestion, locale, err)
	}
	return Outgoing{Style: b.rules.Languages.MenuStyle, Text: question, Options: b.rules.Languages.names(locale), Fallback: menu}, nil
}

// sendMenus sends what follows fc's greeting, in order, once each: its
// menu, then its language choice, when they go as a poll or buttons.
func (b *Bot) sendMenus(ctx context.Context, fc *FirstContact, log *slog.Logger) error {
	for _, kind := range []string{MsgChoiceMenu, MsgLanguageQuestion} {
		if err := b.sendMenu(ctx, fc, kind, log); err != nil {
			return err
		}
	}
	return nil
}

// sendMenu sends the poll or the buttons of kind (MsgChoiceMenu,
// MsgLanguageQuestion) recorded for fc, once, after the greeting; nothing
// for a text list, which is in the greeting. When Green API refuses it for
// good before it could have gone out (a 4xx: the method unknown, the beta
// or a setting off), the record becomes the numbered text, which goes
// instead, once: a customer never gets both.
func (b *Bot) sendMenu(ctx context.Context, fc *FirstContact, kind string, log *slog.Logger) error {
	rec, err := b.store.GetChatMessage(ctx, b.cfg.Instance, fc.ChatID, fc.IDMessage, kind)
	if errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if rec.Out.Sent() {
		return nil
	}
	style, what := rec.Out.Style, map[string]string{MsgChoiceMenu: "menu", MsgLanguageQuestion: "languages"}[kind]
	d, refused := b.recorded(&rec, what), false
	d.refused = &refused
	gaveUp, err := b.deliver(ctx, d, log)
	if err != nil {
		return err
	}
	switch {
	case gaveUp == "" && style != "":
		b.trace(fc, what, "the %s as a %s (%s)", what, style, rec.Out.ID)
		return nil
	case gaveUp == "":
		b.trace(fc, what, "the numbered menu in place of the refused poll or buttons (%s)", rec.Out.ID)
		return nil
	case style == "" || !refused || rec.Out.Fallback == "":
		// Given up without a refusal of the send itself (the history could
		// not be read after an attempt whose outcome is unknown): it may
		// have gone out, so no text follows; the number and the label
		// still choose.
		b.trace(fc, "gave up", "Green API refused the %s for good (%s): the number and the label still choose", what, gaveUp)
		return nil
	}
	b.metrics.Conversation("menu_fallback")
	log.Warn("Green API refused the "+what+" as a "+style+"; the numbered text goes instead", "reason", gaveUp)
	b.trace(fc, what, "Green API refused the %s for good (%s): the numbered menu goes instead", style, gaveUp)
	rec.Out = Outgoing{To: rec.Out.To, Text: rec.Out.Fallback}
	if err := b.store.SaveChatMessage(ctx, rec); err != nil {
		return err
	}
	if gaveUp, err = b.deliverRecorded(ctx, &rec, what, log); err != nil {
		return err
	}
	if gaveUp != "" {
		b.trace(fc, "gave up", "Green API refused the numbered menu too (%s)", gaveUp)
	} else {
		b.trace(fc, what, "the numbered menu (%s)", rec.Out.ID)
	}
	return nil
}

// sentMenu reports whether m, a message of the chat's history, is the poll
// or the buttons out.
func sentMenu(out Outgoing, m greenapi.HistoryMessage) bool {
	switch out.Style {
	case MenuPoll:
		if m.PollMessageData != nil {
			return m.PollMessageData.Name == out.Text
		}
		return m.TypeMessage == "pollMessage" && m.TextMessage == out.Text
	case MenuButtons:
		if m.InteractiveButtons != nil {
			return m.InteractiveButtons.ContentText == out.Text
		}
		return (m.TypeMessage == "interactiveButtons" || m.TypeMessage == "interactiveButtonsReply") && m.TextMessage == out.Text
	}
	return false
}

// tap is a vote in a poll or the tap of a button: the message it answers
// (StanzaID), and how it chose.
type tap struct {
	by       string // ChosenByPoll or ChosenByButton
	stanzaID string
	// chosen are the poll's options the voter holds after the vote (none:
	// the vote taken back).
	chosen []string
	// id, index and text are the tapped button's.
	id    string
	index int
	text  string
}

// tapOf reads a poll vote of voter, or a button tap in any of its shapes;
// ok is false for any other message.
func tapOf(m greenapi.Message, voters ...string) (t tap, ok bool) {
	switch m := m.(type) {
	case *greenapi.PollUpdateMessage:
		t = tap{by: ChosenByPoll, stanzaID: m.StanzaID}
		for _, v := range m.Votes {
			if slices.ContainsFunc(v.OptionVoters, func(who string) bool { return who != "" && slices.Contains(voters, who) }) {
				t.chosen = append(t.chosen, v.OptionName)
			}
		}
		return t, true
	case *greenapi.TemplateButtonsReplyMessage:
		return tap{by: ChosenByButton, stanzaID: m.StanzaID, id: m.SelectedID, index: int(m.SelectedIndex), text: m.SelectedDisplayText}, true
	}
	return t, false
}

// option is the index of the option of a menu sent with options that t
// chose, or -1 for none.
func (t tap) option(options []string) int {
	if t.by == ChosenByPoll {
		for _, c := range t.chosen {
			if i := slices.Index(options, c); i >= 0 {
				return i // one answer per poll: the first that is the menu's
			}
		}
		return -1
	}
	if n, err := strconv.Atoi(t.id); err == nil && n >= 1 && n <= len(options) {
		return n - 1 // the buttons' ids are their numbers
	}
	if i := slices.Index(options, t.text); i >= 0 {
		return i
	}
	if t.id == "" && t.index >= 0 && t.index < len(options) {
		return t.index
	}
	return -1
}

// menuTap handles a vote or a tap a sender sent: when it answers their
// current menu's poll or buttons (by stanzaId) while the menu waits, its
// option routes the contact (choose), once. A vote or tap on another
// message (an older poll, another chat's) changes nothing; a vote that
// takes every option back is no choice; a vote changed after the choice
// is logged and routes nothing again. It reports whether the tap was
// handled: a tap while the chat's menu is text (or none) is not, and is
// read by its display text, as a reply. A vote or tap on the chat's
// language poll or buttons chooses the language (languageTap).
func (b *Bot) menuTap(ctx context.Context, msg *greenapi.MessageNotification, t tap, st ChatState, at time.Time) (bool, error) {
	chatID := msg.SenderData.ChatID
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	what := map[string]string{ChosenByPoll: "vote", ChosenByButton: "tap"}[t.by]
	var (
		fc        FirstContact
		rec, lang ChatMessage
		err       error
	)
	if st.FirstContactMsg != "" {
		fc, err = b.store.GetFirstContact(ctx, b.cfg.Instance, chatID, st.FirstContactMsg)
		if err == nil {
			rec, err = b.store.GetChatMessage(ctx, b.cfg.Instance, chatID, fc.IDMessage, MsgChoiceMenu)
		}
		if err == nil || errors.Is(err, ErrNotFound) {
			lang, err = b.store.GetChatMessage(ctx, b.cfg.Instance, chatID, fc.IDMessage, MsgLanguageQuestion)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return true, err
		}
	}
	if lang.Out.ID != "" && lang.Out.ID == t.stanzaID && lang.Out.Style == t.stanzaStyle() {
		return true, b.languageTap(ctx, msg, t, st, at, fc, lang)
	}
	if rec.Out.Style == "" && t.by == ChosenByButton {
		return false, nil // no poll or buttons were sent: the text may choose
	}
	if rec.Out.Style != t.stanzaStyle() || rec.Out.ID == "" || rec.Out.ID != t.stanzaID {
		b.metrics.Conversation("tap_ignored")
		b.trace(ref, "not a message", "a %s on %s, which is not this chat's current menu: changes nothing", what, t.stanzaID)
		return true, nil
	}
	log := b.log.With("chat", chatID, "idMessage", fc.IDMessage)
	name := firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName)
	i := t.option(rec.Out.Options)
	rule := b.rules.rule(fc.Rule)
	switch {
	case fc.ChoiceMsg == msg.IDMessage:
		return true, b.finishChoice(ctx, &fc, name) // a retry
	case fc.ChoiceMsg != "":
		// The first recorded choice stands; the change shows on the status
		// page.
		to := "none"
		if rule != nil && i >= 0 && i < len(rule.Choices) {
			to = rule.Choices[i].ID
		}
		if to == fc.Choice {
			return true, nil // the same choice again: nothing changed
		}
		if err := b.store.SetAnswerChanged(ctx, b.cfg.Instance, chatID, fc.IDMessage, to, at); err != nil {
			return true, err
		}
		b.metrics.Conversation("vote_changed")
		log.Info("the sender changed their answer to the menu after it ended; it routes nothing", "by", t.by, "option", i+1, "choice", fc.Choice, "answer", msg.IDMessage)
		b.trace(&fc, "answer changed", "a later %s (%s) holds option %d; the menu ended before (%s): it routes nothing", what, msg.IDMessage, i+1, choiceText(fc.Choice))
		return true, nil
	case fc.Step != StepChoosing:
		return true, nil
	case i < 0:
		b.trace(&fc, "no choice", "a %s (%s) that holds no option: no choice", what, msg.IDMessage)
		return true, nil
	case rule == nil || i >= len(rule.Choices):
		return true, nil // the rules changed: the wait's end routes it
	}
	return true, b.choose(ctx, &fc, rule, &rule.Choices[i], msg.IDMessage, st, name, t.by)
}

// kindLanguageVoted is the record, keyed by a first contact, of the vote
// or tap that chose from its language poll or buttons (its idMessage, in
// the record's text): the first one wins.
const kindLanguageVoted = "language_voted"

// languageTap handles a vote or a tap on the language poll or buttons of
// fc (lang), within the window: its language is chosen (switchLanguage),
// once; a later vote changes nothing, and is logged.
func (b *Bot) languageTap(ctx context.Context, msg *greenapi.MessageNotification, t tap, st ChatState, at time.Time, fc FirstContact, lang ChatMessage) error {
	chatID := msg.SenderData.ChatID
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	l, i := b.rules.Languages, t.option(lang.Out.Options)
	if l == nil || at.Sub(fc.CreatedAt) > l.Window {
		b.trace(ref, "not a message", "a %s on the language choice after its window: changes nothing", t.by)
		return nil
	}
	options := l.options(fc.Locale)
	switch {
	case i < 0:
		b.trace(ref, "no choice", "a %s on the language choice that holds no language: no choice", t.by)
		return nil
	case i >= len(options) || selfName(options[i]) != lang.Out.Options[i]:
		b.trace(ref, "not a message", "a %s on a language choice that the rules no longer offer: changes nothing", t.by)
		return nil
	}
	// The first vote is kept (its id, as the record's text), never sent.
	mark, _, err := b.recordOnce(ctx, chatID, fc.IDMessage, kindLanguageVoted, func() (*Outgoing, error) {
		return &Outgoing{Text: msg.IDMessage}, nil
	})
	switch {
	case err != nil:
		return err
	case mark.Out.Text != msg.IDMessage:
		b.metrics.Conversation("vote_changed")
		b.log.Info("the sender changed their answer to the language choice; it changes nothing", "chat", chatID, "answer", msg.IDMessage, "chosen_by", mark.Out.Text)
		b.trace(ref, "answer changed", "a later %s on the language choice (%s): the first (%s) stands", t.by, options[i], mark.Out.Text)
		return nil
	}
	return b.switchLanguage(ctx, msg, st, at, fc, options[i])
}

// stanzaStyle is the style of the menu message a tap can answer.
func (t tap) stanzaStyle() string {
	if t.by == ChosenByPoll {
		return MenuPoll
	}
	return MenuButtons
}

func choiceText(choice string) string {
	if choice == "" {
		return "no choice in time"
	}
	return "choice " + choice
}
