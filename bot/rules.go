package bot

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"net/url"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/internal/tomlpos"
	"golang.org/x/text/language"
)

// DefaultRules is the embedded rules file used when RULES_FILE is not set.
//
//go:embed default_rules.toml
var DefaultRules string

// DefaultRulesName names the embedded rules file in messages.
const DefaultRulesName = "bot/default_rules.toml"

// Rule is one routing rule: every condition that is set must hold.
type Rule struct {
	ID string

	// Conditions.
	HasName         *bool
	NameMatches     *regexp.Regexp
	Business        *bool
	Category        []string // case-insensitive glob patterns, any may match
	MinProducts     int
	ProductKeywords []string // lower case, any may appear in a visible product
	Country         []string // ISO regions of the phone number
	Locale          []string
	TextMatches     *regexp.Regexp
	Open            *bool // the business is open (the rules file's [hours])
	// ProfileUnknown: the sender's getContactInfo failed or timed out. A
	// rule that sets it decides what such contacts get; without one, a
	// contact without a profile is forwarded whatever its rule says, so
	// that a business the lookup missed is never silently not routed.
	ProfileUnknown *bool

	// Actions.
	Reply     string // message id; empty for no reply
	Forward   bool
	ForwardTo string // chat id; empty for OPERATOR_CHAT_ID
	SetLocale string
	Tag       string
	// FileURL, if set, sends this file (sendFileByUrl), named FileName,
	// with the reply as its caption.
	FileURL  string
	FileName string
	TypingMS int // "typing…" before the reply, in milliseconds; 0 none
	// Choices, if any, end the greeting with a numbered menu: the sender's
	// choice routes the contact (see menu.go); no choice within ChoiceWait
	// takes the rule's own route.
	Choices    []Choice
	ChoiceWait time.Duration
	// MenuStyle is how the menu goes: MenuText (numbered under the
	// greeting), MenuPoll or MenuButtons (a message of its own after the
	// greeting, the numbered text in its place when Green API refuses it).
	MenuStyle string
	// Reminders: when no person answers the contact in time (remind.go);
	// the rules file's, unless the rule says otherwise.
	Reminders Reminders
}

// Facts are what rules are evaluated against.
type Facts struct {
	Name     string
	Category string
	Products []ProductData // visible products only
	Region   string
	Locale   string
	Text     string
	Open     bool // by the rules file's [hours]; true without them
	// ProfileUnknown: the lookup failed; Name, Category and Products are
	// what the notification alone says.
	ProfileUnknown bool
}

// Matches reports whether every condition of r holds for f.
func (r *Rule) Matches(f Facts) bool {
	switch {
	case r.HasName != nil && *r.HasName != (f.Name != ""):
		return false
	case r.NameMatches != nil && !r.NameMatches.MatchString(f.Name):
		return false
	case r.Business != nil && *r.Business != (f.Category != ""):
		return false
	case len(r.Category) > 0 && !matchesGlob(r.Category, f.Category):
		return false
	case len(f.Products) < r.MinProducts:
		return false
	case len(r.ProductKeywords) > 0 && !productsMention(f.Products, r.ProductKeywords):
		return false
	case len(r.Country) > 0 && !containsFold(r.Country, f.Region):
		return false
	case len(r.Locale) > 0 && !containsFold(r.Locale, f.Locale):
		return false
	case r.TextMatches != nil && !r.TextMatches.MatchString(f.Text):
		return false
	case r.Open != nil && *r.Open != f.Open:
		return false
	case r.ProfileUnknown != nil && *r.ProfileUnknown != f.ProfileUnknown:
		return false
	}
	return true
}

func matchesGlob(patterns []string, category string) bool {
	category = strings.ToLower(category)
	for _, p := range patterns {
		if ok, _ := path.Match(p, category); ok {
			return true
		}
	}
	return false
}

func productsMention(products []ProductData, keywords []string) bool {
	for _, p := range products {
		text := strings.ToLower(p.Name + "\n" + p.Description)
		for _, k := range keywords {
			if strings.Contains(text, k) {
				return true
			}
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Rules are a rules file: its rules, in order (the first that matches
// wins), and the business's opening hours, if it gives them.
type Rules struct {
	List      []*Rule
	Hours     *Hours     // nil without an [hours] table
	Languages *Languages // nil without [languages] offer = true
	// Reminders are the rules file's own (answer_within, escalate_to,
	// escalate_after at its top), every rule's unless it says otherwise.
	Reminders Reminders
	// AnsweredBy is "phone" when only the phone and WhatsApp clients
	// answer a customer (answered_by); "" when any person does, through
	// the API too.
	AnsweredBy string
	// Digest, if set, is when the daily digest goes to OPERATOR_CHAT_ID
	// (digest_at).
	Digest *Digest
	// Rating, if set, asks an answered customer the follow-up question
	// (rating, rating_after).
	Rating *Rating
}

// Match returns the first rule that matches f, or nil.
func (rs Rules) Match(f Facts) *Rule {
	for _, r := range rs.List {
		if r.Matches(f) {
			return r
		}
	}
	return nil
}

// ruleSpec is a rule as written in the file.
type ruleSpec struct {
	ID              string       `toml:"id"`
	HasName         *bool        `toml:"has_name"`
	NameMatches     string       `toml:"name_matches"`
	Business        *bool        `toml:"business"`
	Category        []string     `toml:"category"`
	MinProducts     int          `toml:"min_products"`
	ProductKeywords []string     `toml:"product_keywords"`
	Country         []string     `toml:"country"`
	Locale          []string     `toml:"locale"`
	TextMatches     string       `toml:"text_matches"`
	Open            *bool        `toml:"open"`
	ProfileUnknown  *bool        `toml:"profile_unknown"`
	Reply           *string      `toml:"reply"`
	Forward         bool         `toml:"forward"`
	ForwardTo       string       `toml:"forward_to"`
	SetLocale       string       `toml:"set_locale"`
	Tag             string       `toml:"tag"`
	FileURL         string       `toml:"file_url"`
	FileName        string       `toml:"file_name"`
	Typing          string       `toml:"typing"`
	Choice          []choiceSpec `toml:"choice"`
	ChoiceWait      string       `toml:"choice_wait"`
	MenuStyle       string       `toml:"menu_style"`
	remindersSpec
}

// LoadRulesFile reads and parses a rules file; see ParseRules.
func LoadRulesFile(name string, catalog *Catalog) (Rules, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return Rules{}, fmt.Errorf("RULES_FILE: %w", err)
	}
	return ParseRules(name, data, catalog)
}

// ParseRules parses a rules file and checks it against the catalog: every
// reply names a message of the default locale, every locale exists, every
// pattern compiles. All problems are reported, each with the file, the line
// and the rule.
func ParseRules(name string, data []byte, catalog *Catalog) (Rules, error) {
	var file struct {
		Rule      []ruleSpec     `toml:"rule"`
		Hours     *hoursSpec     `toml:"hours"`
		Languages *languagesSpec `toml:"languages"`
		// AnsweredBy says whose messages answer a customer: "any" person
		// of the business (the phone, a WhatsApp client, or another
		// program through the API), or only "phone" (and clients).
		AnsweredBy string `toml:"answered_by"`
		// DigestAt is the time of day of the daily digest, HH:MM.
		DigestAt string `toml:"digest_at"`
		// Rating asks an answered customer to rate the answer, RatingAfter
		// the chat's last message.
		Rating      bool   `toml:"rating"`
		RatingAfter string `toml:"rating_after"`
		remindersSpec
	}
	md, err := toml.Decode(string(data), &file)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return Rules{}, fmt.Errorf("%s:%d: %s", name, perr.Position.Line, perr.Message)
		}
		return Rules{}, fmt.Errorf("%s: %w", name, err)
	}
	var problems []error
	at := tomlpos.Scan(data, "[[rule]]")
	for _, k := range md.Undecoded() {
		key := k[len(k)-1]
		problems = append(problems, fmt.Errorf("%s:%d: unknown key %q", name, at.First(k.String(), key), k.String()))
	}
	if len(file.Rule) == 0 {
		problems = append(problems, fmt.Errorf("%s: no [[rule]]: with no rule, no one would be answered", name))
	}
	var rules Rules
	rules.Reminders = file.remindersSpec.parse(Reminders{}, catalog, func(key, format string, args ...any) {
		problems = append(problems, fmt.Errorf("%s:%d: %s: %s", name, at.First(key, key), key, fmt.Sprintf(format, args...)))
	})
	seen := make(map[string]bool)
	for i, spec := range file.Rule {
		failAt := func(lineKey, key, format string, args ...any) {
			problems = append(problems, fmt.Errorf("%s:%d: rule %q: %s: %s", name, at.In(i, lineKey), ruleName(spec, i), key, fmt.Sprintf(format, args...)))
		}
		fail := func(key, format string, args ...any) { failAt(key, key, format, args...) }
		if spec.ID == "" {
			fail("id", "missing; every rule needs an id, shown to operators and in metrics")
		} else if seen[spec.ID] {
			fail("id", "used by an earlier rule")
		}
		seen[spec.ID] = true
		r := &Rule{ID: spec.ID, HasName: spec.HasName, Business: spec.Business, MinProducts: spec.MinProducts,
			Forward: spec.Forward || spec.ForwardTo != "", ForwardTo: spec.ForwardTo, SetLocale: spec.SetLocale, Tag: spec.Tag, Open: spec.Open,
			ProfileUnknown: spec.ProfileUnknown}
		if spec.FileURL != "" {
			u, err := url.Parse(spec.FileURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				fail("file_url", "%q: expected a link to the file, https://…", spec.FileURL)
			} else {
				r.FileURL, r.FileName = spec.FileURL, spec.FileName
				if r.FileName == "" {
					r.FileName = path.Base(u.Path)
				}
				switch {
				case strings.Contains(r.FileName, "."):
				case spec.FileName != "":
					fail("file_name", "%q has no extension, which says how WhatsApp shows the file, e.g. \"menu.pdf\"", r.FileName)
				default:
					fail("file_url", "the link's name %q has no extension, which says how WhatsApp shows the file: add file_name = \"%s.pdf\" (or .jpg, …)", r.FileName, r.FileName)
				}
			}
		} else if spec.FileName != "" {
			fail("file_name", "names the file of file_url, which is missing")
		}
		if spec.FileURL != "" && spec.Reply != nil && *spec.Reply == "" {
			fail("file_url", "needs a reply: the reply is the file's caption")
		}
		if spec.Typing != "" {
			d, err := time.ParseDuration(spec.Typing)
			if err != nil || d < time.Duration(greenapi.MinTypingTime)*time.Millisecond || d > time.Duration(greenapi.MaxTypingTime)*time.Millisecond {
				fail("typing", "%q: expected a duration from 1s to 20s", spec.Typing)
			} else {
				r.TypingMS = int(d.Milliseconds())
			}
		}
		if spec.Open != nil && file.Hours == nil {
			fail("open", "needs the business's hours: add an [hours] table with the timezone and the opening hours")
		}
		if spec.NameMatches != "" {
			if r.NameMatches, err = regexp.Compile(spec.NameMatches); err != nil {
				fail("name_matches", "%v", err)
			}
		}
		if spec.TextMatches != "" {
			if r.TextMatches, err = regexp.Compile(spec.TextMatches); err != nil {
				fail("text_matches", "%v", err)
			}
		}
		for _, p := range spec.Category {
			if _, err := path.Match(strings.ToLower(p), ""); err != nil {
				fail("category", "bad pattern %q: %v", p, err)
			}
			r.Category = append(r.Category, strings.ToLower(p))
		}
		if spec.MinProducts < 0 {
			fail("min_products", "must not be negative")
		}
		for _, k := range spec.ProductKeywords {
			r.ProductKeywords = append(r.ProductKeywords, strings.ToLower(k))
		}
		for _, c := range spec.Country {
			if reg, err := language.ParseRegion(c); err != nil || !reg.IsCountry() || len(c) != 2 {
				fail("country", "%q is not a two-letter ISO country code", c)
			}
			r.Country = append(r.Country, strings.ToUpper(c))
		}
		for _, l := range spec.Locale {
			if !catalog.Supports(l) {
				fail("locale", "no locale %q; have %s", l, strings.Join(catalog.Locales(), ", "))
			}
		}
		r.Locale = spec.Locale
		if spec.SetLocale != "" && !catalog.Supports(spec.SetLocale) {
			fail("set_locale", "no locale %q; have %s", spec.SetLocale, strings.Join(catalog.Locales(), ", "))
		}
		if spec.Reply == nil {
			fail("reply", "missing; name a message id, or write reply = \"\" for no reply")
		} else if r.Reply = *spec.Reply; r.Reply != "" && !catalog.Has(catalog.DefaultLocale(), r.Reply) {
			fail("reply", "message %q is not in the default locale %q (%s)", r.Reply, catalog.DefaultLocale(),
				strings.Join(catalog.Sources(catalog.DefaultLocale()), ", "))
		}
		r.Reminders = spec.remindersSpec.parse(rules.Reminders, catalog, fail)
		parseChoices(r, spec, catalog, failAt) // a choice's reminders are over the rule's
		rules.List = append(rules.List, r)
	}
	switch file.AnsweredBy {
	case "", "any":
	case "phone":
		rules.AnsweredBy = "phone"
	default:
		problems = append(problems, fmt.Errorf("%s:%d: answered_by: %q: expected \"any\" (the phone, WhatsApp clients and other programs through the API) or \"phone\" (the phone and WhatsApp clients only)",
			name, at.First("answered_by", "answered_by"), file.AnsweredBy))
	}
	if file.Languages != nil {
		rules.Languages = file.Languages.parse(catalog, func(key, format string, args ...any) {
			problems = append(problems, fmt.Errorf("%s:%d: languages: %s: %s", name, at.First("languages."+key, key), key, fmt.Sprintf(format, args...)))
		})
	}
	if file.Hours != nil {
		rules.Hours = file.Hours.parse(catalog, func(key, format string, args ...any) {
			problems = append(problems, fmt.Errorf("%s:%d: hours: %s: %s", name, at.First("hours."+key, key), key, fmt.Sprintf(format, args...)))
		})
	}
	topFail := func(key, format string, args ...any) {
		problems = append(problems, fmt.Errorf("%s:%d: %s: %s", name, at.First(key, key), key, fmt.Sprintf(format, args...)))
	}
	rules.Digest = parseDigest(file.DigestAt, rules.Hours, topFail)
	rules.Rating = parseRating(file.Rating, file.RatingAfter, catalog, topFail)
	if len(problems) > 0 {
		return Rules{}, errors.Join(problems...)
	}
	return rules, nil
}

func ruleName(spec ruleSpec, i int) string {
	if spec.ID != "" {
		return spec.ID
	}
	return fmt.Sprintf("#%d", i+1)
}
