package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Sender is who wrote a first contact's message, and what they wrote:
// what the rules decide on.
type Sender struct {
	ChatID string
	// Phone is the digits of the sender's number where the chat id has none:
	// the senderPhoneNumber of an `@lid` chat's notification; "" unknown.
	Phone    string
	Name     string // the name WhatsApp shows, used when the profile has none
	Info     greenapi.ContactInfo
	Text     string
	At       time.Time // when they wrote
	OptedOut bool      // they asked for no automatic messages
	Locale   string    // the language they chose from a greeting's list; "" none
	NoMenu   bool      // no language list under the greeting (it is the one chosen)
	// NoChoices leaves the rule's menu out of the greeting (its choice was
	// made).
	NoChoices bool
	// Degraded says why the profile is unknown (the lookup failed or timed
	// out); "" when Info is the profile.
	Degraded string
	// Called says they called, nobody picked up, and they wrote nothing:
	// the greeting is the answer to a call (call_reply), without menus,
	// and the summary says they called.
	Called bool
}

// Decision is what the rules decide for a first contact: the rule, the
// language and why, whether the business is open, and the exact messages.
type Decision struct {
	Rule      *Rule // nil: no rule matched, nothing is sent
	Locale    string
	LocaleWhy string
	Open      bool      // by [hours]; true without them
	NextOpen  time.Time // when closed: when it opens next
	Reply     Outgoing  // its Text ("" for none), and its file and typing; To is the caller's
	Forward   bool      // the rule forwards (Summary.To is "" without an operator chat)
	// ForcedForward says why the contact is forwarded though its rule does
	// not: its profile is unknown (the lookup's reason).
	ForcedForward string
	// Summary is the summary's To and Text: none when the rule does not
	// forward, unless it offers choices: the Text is then ready for the
	// options that forward, and To is the rule's own route ("" for none).
	Summary Outgoing
	// Menu is set when the greeting offers the rule's choices: at its end
	// (menu_style text), or in MenuOut, a poll or buttons sent after it.
	Menu    bool
	MenuOut Outgoing
	// LanguagesOut is the language choice as a poll or buttons, sent after
	// the greeting and its menu ([languages] menu_style); none when the
	// list is numbered under the greeting.
	LanguagesOut Outgoing
	data         TemplateData // the fields the summary was rendered with
	// called: the greeting is the answer to a call (Sender.Called).
	called bool
	hours  *Hours
	at     time.Time
}

// decision evaluates the rules for s and renders the messages. It reads
// nothing and sends nothing: a first contact and frontdesk check's preview
// share it.
func (b *Bot) decision(s Sender) (Decision, error) {
	info := s.Info
	data := TemplateData{
		Name:        firstNonEmpty(info.Name, s.Name),
		Category:    info.Category,
		Description: info.Description,
		Email:       info.Email,
		Text:        s.Text,
		Called:      s.Called,
	}
	for _, p := range info.Products {
		if !p.IsHidden {
			data.Products = append(data.Products, productData(p))
		}
	}
	data.ProductCount = len(data.Products)
	locale, region, script := b.senderLocale(s.ChatID, s.Phone, s.Text)
	d := Decision{Locale: locale, Open: true, hours: b.rules.Hours, at: s.At, called: s.Called}
	if digits, ok := greenapi.PhoneOf(s.ChatID); ok {
		_, data.Phone = RegionOf(digits)
	} else if s.Phone != "" {
		_, data.Phone = RegionOf(s.Phone)
	}
	if h := b.rules.Hours; h != nil && !h.Open(s.At) {
		d.Open, d.NextOpen = false, h.NextOpen(s.At)
	}
	d.Rule = b.rules.Match(Facts{Name: data.Name, Category: data.Category, Products: data.Products,
		Region: region, Locale: d.Locale, Text: data.Text, Open: d.Open, ProfileUnknown: s.Degraded != ""})
	if d.Rule == nil {
		return d, nil
	}
	rule := d.Rule
	switch {
	case s.Locale != "":
		d.Locale, d.LocaleWhy = s.Locale, "the sender chose it from the greeting's list"
	case rule.SetLocale != "":
		d.Locale = rule.SetLocale
	}
	if d.LocaleWhy == "" {
		d.LocaleWhy = b.localeWhy(s.ChatID, region, script, rule, d.Locale)
	}
	data.Rule, data.Tag = rule.ID, rule.Tag
	if !d.Open {
		data.NextOpen = b.nextOpenText(d.Locale, d.NextOpen)
	}
	if s.Called {
		reply, err := b.catalog.RenderReply(d.Locale, MsgCallReply, data)
		if err != nil {
			return d, fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, MsgCallReply, d.Locale, err)
		}
		d.Reply.Text = truncate(reply, greenapi.MaxMessageLength)
	} else if rule.Reply != "" {
		reply, err := b.catalog.RenderReply(d.Locale, rule.Reply, data)
		if err != nil {
			return d, fmt.Errorf("%w: rendering %q in %s: %v", queue.ErrPermanent, rule.Reply, d.Locale, err)
		}
		var menus string // under the greeting, kept whole when it is cut short
		if len(rule.Choices) > 0 && !s.NoChoices {
			menu, err := b.catalog.ChoiceText(rule, d.Locale, MsgChoiceMenu)
			if err != nil {
				return d, err
			}
			d.Menu = true
			if rule.MenuStyle == MenuPoll || rule.MenuStyle == MenuButtons {
				if d.MenuOut, err = b.tapMenu(rule, d.Locale, menu); err != nil {
					return d, err
				}
			} else {
				menus = "\n\n" + menu
			}
		}
		if b.rules.Languages != nil && !s.NoMenu {
			offset := 0 // the languages are numbered after the choices
			if d.Menu {
				offset = len(rule.Choices)
			}
			if menu, err := b.menuText(d.Locale, offset); err == nil && menu != "" {
				if style := b.rules.Languages.MenuStyle; style == MenuPoll || style == MenuButtons {
					if d.LanguagesOut, err = b.tapLanguages(d.Locale, menu); err != nil {
						return d, err
					}
				} else {
					menus += "\n\n" + menu
				}
			}
		}
		limit := greenapi.MaxMessageLength
		if rule.FileURL != "" {
			d.Reply.FileURL, d.Reply.FileName = rule.FileURL, rule.FileName
			limit = greenapi.MaxCaptionLength
		}
		d.Reply.Text = withTail(reply, menus, limit)
		d.Reply.TypingMS = rule.TypingMS
	}
	d.Forward = rule.Forward
	// A caller is offered no menu: where the rule lets the menu's choices
	// route (its own route forwarding nothing), the contact goes to the
	// operators all the same, so that a caller never reaches no one.
	if s.Called && len(rule.Choices) > 0 && !rule.Forward && b.cfg.OperatorChatID != "" {
		d.Forward = true
	}
	// Without its profile a business looks like a private person: unless
	// a rule says what to do then (profile_unknown), the contact is
	// forwarded, saying why, so that the lookup's failure drops no one.
	if s.Degraded != "" && !rule.Forward && rule.ProfileUnknown == nil && b.cfg.OperatorChatID != "" {
		d.Forward, d.ForcedForward = true, s.Degraded
	}
	if d.Forward || d.Menu {
		if d.Forward {
			d.Summary.To = firstNonEmpty(rule.ForwardTo, b.cfg.OperatorChatID)
		}
		if d.Summary.To != "" || d.Menu {
			summary := data
			if len(summary.Products) > 5 {
				summary.Products = summary.Products[:5]
			}
			text, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgOperatorSummary, summary, summary.ProductCount)
			if err != nil {
				return d, fmt.Errorf("%w: rendering the operator summary: %v", queue.ErrPermanent, err)
			}
			// The operators learn that the sender wants no automatic messages.
			if s.OptedOut {
				if note, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgSummaryOptedOut, summary, 0); err == nil {
					text += "\n" + note
				}
			}
			if d.ForcedForward != "" {
				if note, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgSummaryProfileUnknown, TemplateData{Reason: s.Degraded}, 0); err == nil {
					text += "\n" + note
				}
			}
			d.Summary.Text = truncate(text, greenapi.MaxMessageLength)
			d.data = summary
		}
	}
	return d, nil
}

// describe says the decision in one line, for the trace.
func (d Decision) describe() string {
	what := "no reply"
	switch {
	case d.called:
		what = "reply " + MsgCallReply + " (a call nobody picked up)"
	case d.Rule.Reply != "":
		what = "reply " + d.Rule.Reply
	}
	if d.Summary.To != "" {
		what += ", summary to " + d.Summary.To
		if d.ForcedForward != "" {
			what += " (the rule does not forward, but the profile is unknown: " + d.ForcedForward + ")"
		}
	}
	if d.Menu {
		what += fmt.Sprintf(", a menu of %d choices (waits %s)", len(d.Rule.Choices), ShortDuration(d.Rule.ChoiceWait))
		if d.MenuOut.Style != "" {
			what += " as a " + d.MenuOut.Style + " after the greeting"
		}
	}
	if d.hours != nil {
		what += "; " + openText(d.Open, d.at, d.NextOpen, d.hours)
	}
	return fmt.Sprintf("rule %s%s; language %s (%s); %s", d.Rule.ID, tagText(d.Rule.Tag), d.Locale, d.LocaleWhy, what)
}

// Preview decides a first contact of s with catalog, rules and cfg, as the
// service would, without a store or Green API (frontdesk check --from …).
func Preview(catalog *Catalog, rules Rules, cfg Config, s Sender) (Decision, error) {
	return previewBot(catalog, rules, cfg, s.At).decision(s)
}

// PreviewReminders returns the reminder and the escalation a first contact
// at at decided as d would record, with their recipients and when they
// are due unless a person answers (frontdesk check --from …).
func PreviewReminders(catalog *Catalog, rules Rules, cfg Config, d Decision, at time.Time) (FirstContact, error) {
	b := previewBot(catalog, rules, cfg, at)
	fc := FirstContact{CreatedAt: at, Rule: d.Rule.ID, Summary: d.Summary}
	fc.Summary.ID = "preview" // as if it went out
	if err := b.renderReminders(&fc, d.Rule, d.data); err != nil {
		return fc, err
	}
	b.routeReminders(&fc)
	return fc, nil
}

// previewBot is a bot without a store or Green API, whose clock says at.
func previewBot(catalog *Catalog, rules Rules, cfg Config, at time.Time) *Bot {
	return &Bot{catalog: catalog, rules: rules, cfg: cfg.normalized(catalog), Now: func() time.Time { return at }}
}

// withTail is body, cut short to leave room for tail, then tail, within
// limit characters.
func withTail(body, tail string, limit int) string {
	room := limit - utf8.RuneCountInString(tail)
	if room < 2 {
		return truncate(body+tail, limit)
	}
	return truncate(body, room) + tail
}

// decide looks the sender up, evaluates the rules (decision), and
// records the reply and the summary (StepDecided) before anything is sent.
func (b *Bot) decide(ctx context.Context, fc *FirstContact, msg *greenapi.MessageNotification, log *slog.Logger) error {
	chatID := msg.SenderData.ChatID
	info, degraded, err := b.profile(ctx, chatID, fc.CreatedAt, log)
	if err != nil {
		return err
	}
	fc.Degraded = degraded
	b.trace(fc, "looked up", "%s", profileDetail(info, degraded))
	st, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
	if err != nil {
		return err
	}
	text, _ := greenapi.MessageText(msg.MessageData.Message)
	at, _, _ := b.openAt(msg, fc.CreatedAt)
	d, err := b.decision(Sender{ChatID: chatID, Phone: phoneOf(msg.SenderData), Degraded: degraded, Name: firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName),
		Info: info, Text: text, At: at, OptedOut: !st.OptedOut.IsZero(), Locale: st.Locale, Called: isCall(msg)})
	if err != nil {
		return err
	}
	if d.Rule == nil {
		fc.Step = StepDone // recorded by the caller, with its event
		log.Warn("first contact matched no rule: nothing sent")
		b.trace(fc, "decided", "no rule matched: nothing is sent")
		return nil
	}
	if d.Forward && d.Summary.To == "" {
		log.Warn("rule forwards but OPERATOR_CHAT_ID is not set: no summary sent", "rule", d.Rule.ID)
	}
	fc.Rule, fc.Tag, fc.Locale = d.Rule.ID, d.Rule.Tag, d.Locale
	d.Reply.To = chatID
	fc.Reply, fc.Summary = d.Reply, d.Summary
	if d.Summary.Text != "" {
		if err := b.renderReminders(fc, d.Rule, d.data); err != nil {
			return err
		}
		if d.Menu {
			if err := b.recordChoiceReminders(ctx, fc, d.Rule, d.data); err != nil {
				return err
			}
		}
	}
	if d.Menu {
		fc.ChoiceUntil = fc.CreatedAt.Add(d.Rule.ChoiceWait) // the wait, until the greeting goes out
	}
	// A poll or buttons are recorded before the greeting is, and sent
	// after it (sendMenu).
	for kind, out := range map[string]*Outgoing{MsgChoiceMenu: &d.MenuOut, MsgLanguageQuestion: &d.LanguagesOut} {
		if out.Style == "" {
			continue
		}
		out.To = chatID
		if _, _, err := b.recordOnce(ctx, chatID, fc.IDMessage, kind, func() (*Outgoing, error) { return out, nil }); err != nil {
			return err
		}
	}
	fc.Step = StepDecided
	if err := b.save(ctx, fc); err != nil {
		return err
	}
	b.trace(fc, "decided", "%s", d.describe())
	return nil
}

func tagText(tag string) string {
	if tag == "" {
		return ""
	}
	return " (tag " + tag + ")"
}

func productData(p greenapi.Product) ProductData {
	d := ProductData{Name: p.Name, Description: p.Description, Availability: p.Availability}
	if p.Price != nil && p.Price.String() != "" {
		d.Price = strings.TrimSpace(p.Price.String() + " " + p.Currency)
	}
	return d
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}
