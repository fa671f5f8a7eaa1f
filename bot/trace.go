package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Trace is one step of a first contact as it happens: claimed, looked up,
// decided, replied, forwarded, done (or gave up). The sandbox shows them;
// the service sets no Config.Trace and pays nothing for them.
type Trace struct {
	Instance  string
	ChatID    string
	IDMessage string
	Step      string
	Detail    string
	At        time.Time
}

// trace tells Config.Trace a step of fc, if it is set.
func (b *Bot) trace(fc *FirstContact, step, format string, args ...any) {
	if b.cfg.Trace == nil {
		return
	}
	b.cfg.Trace(Trace{Instance: fc.Instance, ChatID: fc.ChatID, IDMessage: fc.IDMessage, Step: step,
		Detail: fmt.Sprintf(format, args...), At: b.Now()})
}

// profileDetail says what the lookup brought, for a trace.
func profileDetail(info greenapi.ContactInfo, degraded string) string {
	if degraded != "" {
		return "without the profile: " + degraded
	}
	var parts []string
	if info.Name != "" {
		parts = append(parts, "name "+info.Name)
	}
	if info.IsBusiness || info.Category != "" {
		parts = append(parts, "business, category "+firstNonEmpty(info.Category, "none"))
	}
	visible := 0
	for _, p := range info.Products {
		if !p.IsHidden {
			visible++
		}
	}
	if len(info.Products) > 0 {
		parts = append(parts, fmt.Sprintf("%d products (%d hidden)", visible, len(info.Products)-visible))
	}
	if len(parts) == 0 {
		return "a profile with nothing in it (a private person without a name)"
	}
	return strings.Join(parts, ", ")
}

// localeWhy says why locale was chosen, for a trace: a rule's
// set_locale, the phone number's region or, for an `@lid` chat without a
// number, the script of the message.
func (b *Bot) localeWhy(chatID, region, script string, rule *Rule, locale string) string {
	switch {
	case rule != nil && rule.SetLocale != "":
		return "set_locale of rule " + rule.ID
	case script != "":
		return "the message is written in " + script
	case region == "" && greenapi.IsLID(chatID):
		return "the default locale: the @lid chat came without a phone number of a known country, and the message's script is no one locale's"
	case region == "":
		return "the default locale: the phone number's country is unknown"
	case !b.catalog.speaks(region, locale):
		return "the default locale: no locale for country " + region
	}
	return "the phone number is from " + region
}
