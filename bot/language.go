package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Message ids of the language choice.
const (
	MsgLanguageMenu     = "language_menu"     // added to the greeting: .Options, the numbered languages
	MsgLanguageQuestion = "language_question" // a language poll's question, the text above its buttons (menu_style)
)

// Languages is the language choice of a rules file ([languages]): the
// greeting ends with the other languages as a numbered list, and a reply
// with a number, or a language's own name, within Window switches the
// chat's language for good and sends the greeting again in it, once.
type Languages struct {
	Window  time.Duration
	Choices []string // the locales offered, in order; default every locale
	// MenuStyle is how the list goes: MenuText (numbered under the
	// greeting), MenuPoll or MenuButtons (a message of its own after the
	// greeting and the menu, the numbered text in its place when Green
	// API refuses it).
	MenuStyle string
}

// languagesSpec is the [languages] table as written.
type languagesSpec struct {
	Offer     bool     `toml:"offer"`
	Window    string   `toml:"window"`
	Choices   []string `toml:"choices"`
	MenuStyle string   `toml:"menu_style"`
}

// DefaultLanguageWindow is how long after the greeting a reply chooses a
// language.
const DefaultLanguageWindow = 30 * time.Minute

func (ls languagesSpec) parse(catalog *Catalog, fail func(key, format string, args ...any)) *Languages {
	if !ls.Offer {
		return nil
	}
	l := &Languages{Window: DefaultLanguageWindow, Choices: ls.Choices}
	if ls.Window != "" {
		d, err := time.ParseDuration(ls.Window)
		if err != nil || d <= 0 {
			fail("window", "%q: expected a duration such as 30m or 2h", ls.Window)
		}
		l.Window = d
	}
	if len(l.Choices) == 0 {
		l.Choices = catalog.Locales()
	}
	for _, c := range l.Choices {
		if !catalog.Supports(c) {
			fail("choices", "no locale %q; have %s", c, strings.Join(catalog.Locales(), ", "))
		}
	}
	if !catalog.Has(catalog.DefaultLocale(), MsgLanguageMenu) {
		fail("offer", "the default locale %q has no message %q, the list's text", catalog.DefaultLocale(), MsgLanguageMenu)
	}
	l.MenuStyle = MenuText
	switch {
	case ls.MenuStyle == "":
	case !validStyle(ls.MenuStyle):
		fail("menu_style", "%q: expected \"text\" (numbered under the greeting), \"poll\" or \"buttons\"", ls.MenuStyle)
	default:
		l.MenuStyle = ls.MenuStyle
		for _, why := range catalog.styleProblems(l.MenuStyle, MsgLanguageQuestion, func(locale string) ([]string, error) {
			return l.names(locale), nil
		}) {
			fail("menu_style", "%s", why)
		}
	}
	return l
}

// names are the languages offered to a sender greeted in locale, each in
// itself.
func (l *Languages) names(locale string) []string {
	var out []string
	for _, o := range l.options(locale) {
		out = append(out, selfName(o))
	}
	return out
}

// options are the languages offered to a sender greeted in locale: every
// choice but locale, in order.
func (l *Languages) options(locale string) []string {
	var out []string
	for _, c := range l.Choices {
		if c != locale {
			out = append(out, c)
		}
	}
	return out
}

// selfName is a language's name in itself ("Deutsch", "русский").
func selfName(locale string) string {
	tag, err := language.Parse(locale)
	if err != nil {
		return locale
	}
	if name := display.Self.Name(tag); name != "" {
		return name
	}
	return locale
}

// menuText is the list added to a greeting in locale, numbered from
// offset+1 (after the choices of a menu above it).
func (b *Bot) menuText(locale string, offset int) (string, error) {
	var lines []string
	for i, o := range b.rules.Languages.options(locale) {
		lines = append(lines, fmt.Sprintf("%d %s", offset+i+1, selfName(o)))
	}
	return b.catalog.Localize(locale, MsgLanguageMenu, TemplateData{Options: strings.Join(lines, "\n")}, 0)
}

// chosen reads a reply to the list, numbered from offset+1: its number,
// or a language's own name (or its English name) in any case. It returns
// "" for any other message.
func (l *Languages) chosen(text, greetedIn string, offset int) string {
	options := l.options(greetedIn)
	word := normalizeWord(text)
	if n, err := strconv.Atoi(word); err == nil {
		if n > offset && n <= offset+len(options) {
			return options[n-offset-1]
		}
		return ""
	}
	for _, o := range options {
		tag, err := language.Parse(o)
		if err != nil {
			continue
		}
		if word == strings.ToUpper(display.Self.Name(tag)) || word == strings.ToUpper(display.English.Tags().Name(tag)) {
			return o
		}
	}
	return ""
}

// mayChoose reports whether text could choose one of the languages, from
// any greeting's list: a number of a list, or a language's name. Only then
// is the chat's greeting read.
func (l *Languages) mayChoose(text string) bool {
	if len(text) > 40 { // a choice is a number or a name, not a sentence
		return false
	}
	if n, err := strconv.Atoi(normalizeWord(text)); err == nil {
		return n >= 1 && n <= maxChoices+len(l.Choices)
	}
	return l.chosen(text, "", 0) != ""
}

// languageChoice handles a known sender's message that chooses a language
// from their greeting's list, within the window: the chat's language is
// switched for good, and the greeting is sent again in it, once (recorded
// before it is sent, as every automatic message). It reports whether msg
// was such a choice.
func (b *Bot) languageChoice(ctx context.Context, msg *greenapi.MessageNotification, st ChatState, at time.Time) (bool, error) {
	l := b.rules.Languages
	if l == nil || st.FirstContactMsg == "" {
		return false, nil
	}
	text, _ := greenapi.MessageText(msg.MessageData.Message)
	if !l.mayChoose(text) { // most messages: no read
		return false, nil
	}
	chatID := msg.SenderData.ChatID
	fc, err := b.store.GetFirstContact(ctx, b.cfg.Instance, chatID, st.FirstContactMsg)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !fc.Reply.Sent() || at.Sub(fc.CreatedAt) > l.Window {
		return false, nil
	}
	offset := 0 // a menu's choices come first in the greeting's numbers
	if rule := b.rules.rule(fc.Rule); rule != nil && !fc.ChoiceUntil.IsZero() {
		offset = len(rule.Choices)
	}
	locale := l.chosen(text, fc.Locale, offset)
	if locale == "" {
		return false, nil
	}
	return true, b.switchLanguage(ctx, msg, st, at, fc, locale)
}

// switchLanguage switches the chat's language to locale, chosen by msg
// from the list of the greeting of fc, for good, and sends the greeting
// again in it, once (recorded before it is sent, as every automatic
// message).
func (b *Bot) switchLanguage(ctx context.Context, msg *greenapi.MessageNotification, st ChatState, at time.Time, fc FirstContact, locale string) error {
	chatID := msg.SenderData.ChatID
	rec, err := b.store.GetChatMessage(ctx, b.cfg.Instance, chatID, msg.IDMessage, MsgLanguageMenu)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if locale == st.Locale && !found {
		return nil // chosen already, by an earlier message
	}
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	if err := b.store.SetLocale(ctx, b.cfg.Instance, chatID, locale); err != nil {
		return err
	}
	if err := b.emitConversation(ctx, chatID, ConversationData{Event: "language_chosen", IDMessage: msg.IDMessage, Locale: locale}, at); err != nil {
		return err
	}
	if !found {
		if why := b.silenced(st); why != "" {
			b.trace(ref, "language", "switched to %s; the greeting is not sent again: %s", locale, skippedText(why))
			return nil
		}
		info := greenapi.ContactInfo{}
		if p, err := b.store.GetProfile(ctx, b.cfg.Instance, chatID); err == nil {
			info = p.Info
		}
		d, err := b.decision(Sender{ChatID: chatID, Phone: phoneOf(msg.SenderData), Name: firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName),
			Info: info, At: at, Locale: locale, NoMenu: true, NoChoices: fc.Step != StepChoosing, Degraded: fc.Degraded})
		if err != nil {
			return err
		}
		if d.Rule == nil || (d.Reply.Text == "" && d.Reply.FileURL == "") {
			return nil
		}
		if d.MenuOut.Style != "" {
			// The menu went as a poll or buttons in the first language: the
			// greeting in the new one ends with it numbered, which the
			// number and the label answer (and the first poll's vote still
			// does).
			limit := greenapi.MaxMessageLength
			if d.Reply.FileURL != "" {
				limit = greenapi.MaxCaptionLength
			}
			d.Reply.Text = withTail(d.Reply.Text, "\n\n"+d.MenuOut.Fallback, limit)
		}
		d.Reply.To = chatID
		rec = ChatMessage{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage, Kind: MsgLanguageMenu, Out: d.Reply, CreatedAt: b.Now()}
		if err := b.store.SaveChatMessage(ctx, rec); err != nil {
			return err
		}
		b.metrics.Conversation("language_chosen")
		log.Info("the sender chose a language", "locale", locale)
	}
	if _, err := b.deliverRecorded(ctx, &rec, "reply", log); err != nil {
		return err
	}
	b.trace(ref, "language", "switched to %s (%s): the greeting sent again in it", locale, selfName(locale))
	return nil
}

// knownLocale is the language of a chat's automatic messages outside a
// first contact (msg is the message answered): the one the sender chose,
// else their phone number's country's, else, for an `@lid` chat that came
// without a number, the script msg is written in (scriptLocale), else the
// default.
func (b *Bot) knownLocale(msg *greenapi.MessageNotification, st ChatState) string {
	if st.Locale != "" && slices.Contains(b.catalog.Locales(), st.Locale) {
		return st.Locale
	}
	text, _ := greenapi.MessageText(msg.MessageData.Message)
	locale, _, _ := b.senderLocale(msg.SenderData.ChatID, phoneOf(msg.SenderData), text)
	return locale
}

// senderLocale is a sender's language before any rule: their phone
// number's country's (of an `@c.us` chat id, else of phone, the number
// an `@lid` chat's notification carried); for a chat without a number
// only, the one locale written in text's script; else the default. It
// returns the phone number's region and the script's name when they
// decided (for localeWhy).
func (b *Bot) senderLocale(chatID, phone, text string) (locale, region, script string) {
	digits, ok := greenapi.PhoneOf(chatID)
	if !ok {
		digits = phone
	}
	if digits != "" {
		if region, _ = RegionOf(digits); region != "" {
			return b.catalog.LocaleForRegion(region), region, ""
		}
	}
	if !ok { // a phone number's chat keeps the default, as it always did
		if locale, script = b.catalog.scriptLocale(text); locale != "" {
			return locale, "", script
		}
	}
	return b.catalog.DefaultLocale(), "", ""
}

// scriptLocale returns the one locale written in the script of most of
// text's letters, and that script's English name ("Cyrillic"): ru for
// Cyrillic and he for Hebrew with the shipped locales. It returns "" when
// most letters are in no one script, or in a script that several locales
// write (Latin: de, en, es, pt) or none does. The scripts are the likely
// scripts of the catalog's languages (x/text) and Unicode's tables of
// them.
func (c *Catalog) scriptLocale(text string) (locale, script string) {
	writers := map[language.Script][]string{}
	for _, tag := range c.tags {
		if s, conf := tag.Script(); conf != language.No {
			writers[s] = append(writers[s], tag.String())
		}
	}
	counts := map[language.Script]int{}
	letters := 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		for s := range writers {
			if table := unicode.Scripts[display.English.Scripts().Name(s)]; table != nil && unicode.Is(table, r) {
				counts[s]++
				break
			}
		}
	}
	for s, n := range counts {
		if 2*n > letters && len(writers[s]) == 1 {
			return writers[s][0], display.English.Scripts().Name(s)
		}
	}
	return "", ""
}
