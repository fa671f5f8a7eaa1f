package bot

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// TemplateData is what every template may use.
type TemplateData struct {
	Name         string
	Category     string
	Description  string
	Email        string
	Phone        string // international format; empty for an @lid chat whose notification had no number
	ProductCount int    // visible products only
	Products     []ProductData
	Text         string // the sender's first message
	Rule         string // the rule that matched (operator summary)
	Tag          string // the rule's tag (operator summary)
	Count        int    // products left out (more_products); minutes waited (summary_no_choice)
	NextOpen     string // when the business opens next, in words ("on Monday at 09:00"); empty while open
	Weekday      string // the day of NextOpen, in words (next_open)
	Time         string // its time, HH:MM in the business's zone (next_open)
	Options      string // the numbered languages (language_menu) or choices (choice_menu, choice_hint)
	Choice       string // the chosen option's label (summary_chosen)
	Reason       string // why, in a word of Frontdesk's (summary_profile_unknown, summary_not_greeted)
	Operator     string // who took the contact in the operators' chat (claimed, claim_taken, reminder_claimed)
	Answered     int    // the day's first contacts a person answered (digest)
	Minutes      int    // their median wait, in minutes (digest)
	Waiting      string // the contacts still waiting for a person, one a line (digest)
	Called       bool   // the customer called, nobody picked up, and they wrote nothing (operator summary, reminder, escalation)
}

// ProductData is one visible product as templates see it.
type ProductData struct {
	Name         string
	Description  string
	Price        string // empty when the business shows no price
	Availability string
}

// Catalog holds every locale's messages, checked at load time.
type Catalog struct {
	bundle     *i18n.Bundle
	defaultTag language.Tag
	tags       []language.Tag // every locale with a file, default first
	matcher    language.Matcher
	localizers map[string]*i18n.Localizer
	builtin    map[string]*i18n.Message
	// ids lists the message ids each locale defines, true for those with
	// plural forms.
	ids map[string]map[string]bool
	// sources names where each locale's messages came from, for messages.
	sources map[string][]string
	// files are the locale files read, with the line of each message id.
	files []localeFile
}

// localeFile is one locale file read, and the line of each of its ids.
type localeFile struct {
	path     string
	embedded bool
	lines    map[string]int
}

// LoadCatalog loads the locale files (active.<lang>.toml) of embedded and then of
// dir, if not empty; a file in dir adds a locale or overrides messages of an
// embedded one. Every template is parsed and tried on sample data, and
// every problem is reported with its file, line and message id.
func LoadCatalog(defaultLocale string, embedded fs.FS, dir string) (*Catalog, error) {
	defTag, err := language.Parse(defaultLocale)
	if err != nil {
		return nil, fmt.Errorf("DEFAULT_LOCALE %q is not a language tag: %w", defaultLocale, err)
	}
	c := &Catalog{
		bundle:     i18n.NewBundle(defTag),
		defaultTag: defTag,
		localizers: make(map[string]*i18n.Localizer),
		builtin:    make(map[string]*i18n.Message),
		ids:        make(map[string]map[string]bool),
		sources:    make(map[string][]string),
	}
	c.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, m := range builtinMessages() {
		c.builtin[m.ID] = m
	}

	var problems []error
	load := func(fsys fs.FS, display string, embedded bool) {
		names, err := fs.Glob(fsys, "active.*.toml")
		if err != nil {
			problems = append(problems, err)
			return
		}
		sort.Strings(names)
		for _, name := range names {
			if info, err := fs.Stat(fsys, name); err == nil && info.Size() > MaxLocaleFileBytes {
				problems = append(problems, fmt.Errorf("%s: %d bytes; a locale file may have at most %d", filepath.Join(display, name), info.Size(), MaxLocaleFileBytes))
				continue
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			problems = append(problems, c.addFile(filepath.Join(display, name), data, embedded)...)
		}
	}
	load(embedded, "locales", true)
	if dir != "" {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			return nil, fmt.Errorf("LOCALES_DIR %q is not a readable directory", dir)
		}
		load(os.DirFS(dir), dir, false)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if _, ok := c.ids[defTag.String()]; !ok {
		return nil, fmt.Errorf("DEFAULT_LOCALE %q has no locale file (active.%s.toml)", defaultLocale, defTag)
	}
	c.tags = append(c.tags, defTag)
	for _, t := range c.bundle.LanguageTags() {
		if t != defTag {
			c.tags = append(c.tags, t)
		}
	}
	c.matcher = language.NewMatcher(c.tags)
	for _, t := range c.tags {
		c.localizers[t.String()] = i18n.NewLocalizer(c.bundle, t.String(), defTag.String())
	}
	return c, nil
}

// addFile parses one locale file and checks each of its templates.
func (c *Catalog) addFile(path string, data []byte, embedded bool) []error {
	mf, err := c.bundle.ParseMessageFileBytes(data, filepath.Base(path))
	if err != nil {
		return []error{fmt.Errorf("%s: %w", path, err)}
	}
	tag := mf.Tag.String()
	if c.ids[tag] == nil {
		c.ids[tag] = make(map[string]bool)
	}
	c.sources[tag] = append(c.sources[tag], path)
	file := localeFile{path: path, embedded: embedded, lines: make(map[string]int, len(mf.Messages))}
	var problems []error
	for _, m := range mf.Messages {
		file.lines[m.ID] = lineOf(data, m.ID)
		c.ids[tag][m.ID] = m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != ""
		for form, src := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
			if src == "" {
				continue
			}
			if err := checkTemplate(src); err != nil {
				problems = append(problems, fmt.Errorf("%s:%d: message %q (%s): %w", path, lineOf(data, m.ID), m.ID, form, err))
			}
		}
		if m.Other == "" {
			problems = append(problems, fmt.Errorf("%s:%d: message %q has no \"other\" form", path, lineOf(data, m.ID), m.ID))
		}
	}
	c.files = append(c.files, file)
	return problems
}

// MaxTemplateBytes bounds a message's template: Green API sends a text of
// at most 20,000 characters.
const MaxTemplateBytes = 20000

// MaxLocaleFileBytes bounds a locale file.
const MaxLocaleFileBytes = 1 << 20

// maxRangeDepth bounds how deep {{range .Products}} may nest: once, so a
// message renders in time linear in the products.
const maxRangeDepth = 1

// checkTemplate parses a template and runs it on sample data, so that a
// misspelt field fails at start-up rather than on a customer's message.
// Its rendering is bounded before it runs: the source's size, no
// {{define}} or {{template}} (which could recurse), and {{range}} only over
// the products, not nested: a message renders in time and size linear in
// its source and the products.
func checkTemplate(src string) error {
	if len(src) > MaxTemplateBytes {
		return fmt.Errorf("the text is %d bytes; a message may have at most %d", len(src), MaxTemplateBytes)
	}
	t, err := template.New("").Option("missingkey=error").Parse(src)
	if err != nil {
		return explainTemplate(err)
	}
	if len(t.Templates()) > 1 {
		return errors.New("{{define}} and {{block}} are not allowed in a message")
	}
	if err := checkNodes(t.Tree.Root, 0); err != nil {
		return err
	}
	sample := TemplateData{Name: "N", Category: "C", Description: "D", Email: "E", Phone: "+1", ProductCount: 2,
		Products: []ProductData{{Name: "P", Description: "D", Price: "1", Availability: "in stock"}},
		Text:     "T", Rule: "R", Tag: "T", Count: 1}
	if err := t.Execute(&bytes.Buffer{}, sample); err != nil {
		return explainTemplate(err)
	}
	return nil
}

// checkNodes refuses what could make a template render without bound.
func checkNodes(n parse.Node, ranges int) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNodes(c, ranges); err != nil {
				return err
			}
		}
	case *parse.TemplateNode:
		return fmt.Errorf("{{template %q}} is not allowed in a message", n.Name)
	case *parse.IfNode:
		return checkBranch(&n.BranchNode, ranges)
	case *parse.WithNode:
		return checkBranch(&n.BranchNode, ranges)
	case *parse.RangeNode:
		if !overProducts(n.Pipe) {
			return fmt.Errorf("{{range %s}}: a message may range only over .Products", n.Pipe)
		}
		if ranges+1 > maxRangeDepth {
			return fmt.Errorf("{{range %s}} inside another {{range}}: a message may not nest them", n.Pipe)
		}
		return checkBranch(&n.BranchNode, ranges+1)
	}
	return nil
}

func checkBranch(b *parse.BranchNode, ranges int) error {
	if err := checkNodes(b.List, ranges); err != nil {
		return err
	}
	return checkNodes(b.ElseList, ranges)
}

// overProducts reports whether a range's pipeline is .Products or
// $.Products (with or without variables declared).
func overProducts(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return len(a.Ident) == 1 && a.Ident[0] == "Products"
	case *parse.VariableNode:
		return len(a.Ident) == 2 && a.Ident[0] == "$" && a.Ident[1] == "Products"
	}
	return false
}

// lineOf returns the line of the table [id] in a TOML file, or 0.
func lineOf(data []byte, id string) int {
	for i, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		if l == "["+id+"]" || l == `["`+id+`"]` || strings.HasPrefix(l, id+" ") || strings.HasPrefix(l, id+"=") {
			return i + 1
		}
	}
	return 0
}

// DefaultLocale returns the default locale's tag.
func (c *Catalog) DefaultLocale() string { return c.defaultTag.String() }

// Locales returns every locale, the default first.
func (c *Catalog) Locales() []string {
	out := make([]string, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.String()
	}
	return out
}

// isBuiltin reports whether id is one of Frontdesk's built-in messages.
func (c *Catalog) isBuiltin(id string) bool { return c.builtin[id] != nil }

// Has reports whether the locale's own files define the message id (the
// built-in English text does not count).
func (c *Catalog) Has(locale, id string) bool {
	_, ok := c.ids[locale][id]
	return ok
}

// Missing lists, for every locale but the default, the message ids that the
// default locale defines and it does not.
func (c *Catalog) Missing() map[string][]string {
	out := make(map[string][]string)
	def := c.defaultTag.String()
	for _, t := range c.tags[1:] {
		for id := range c.ids[def] {
			if !c.Has(t.String(), id) {
				out[t.String()] = append(out[t.String()], id)
			}
		}
		sort.Strings(out[t.String()])
	}
	return out
}

// Sources returns the files a locale was loaded from.
func (c *Catalog) Sources(locale string) []string { return c.sources[locale] }

// Supports reports whether locale is one of the catalog's locales.
func (c *Catalog) Supports(locale string) bool {
	_, ok := c.localizers[locale]
	return ok
}

// LocaleForRegion returns the best locale for a region's likely language
// (e.g. BR: pt, IL: he, CH: de), or the default locale.
func (c *Catalog) LocaleForRegion(region string) string {
	if locale, ok := c.regionLocale(region); ok {
		return locale
	}
	return c.DefaultLocale()
}

// regionLocale returns the locale the region's language matches, and
// false when none does (LocaleForRegion then falls back to the default).
func (c *Catalog) regionLocale(region string) (string, bool) {
	r, err := language.ParseRegion(region)
	if err != nil {
		return "", false
	}
	tag, err := language.Compose(language.Und, r)
	if err != nil {
		return "", false
	}
	_, idx, conf := c.matcher.Match(tag)
	if conf == language.No {
		return "", false
	}
	return c.tags[idx].String(), true
}

// speaks reports whether locale is the language matched for region, not
// the default the matcher fell back to.
func (c *Catalog) speaks(region, locale string) bool {
	matched, ok := c.regionLocale(region)
	return ok && matched == locale
}

// Localize renders message id in locale (falling back to the default
// locale, then to the built-in text), choosing the plural form by count.
func (c *Catalog) Localize(locale, id string, data TemplateData, count int) (string, error) {
	l, ok := c.localizers[locale]
	if !ok {
		locale = c.DefaultLocale()
		l = c.localizers[locale]
	}
	lc := &i18n.LocalizeConfig{MessageID: id, DefaultMessage: c.builtin[id], TemplateData: data}
	// go-i18n fails on a count for a message without plural forms, so the
	// count goes only to the message that will be used, if it has them.
	plural, ok := c.ids[locale][id]
	if !ok {
		plural, ok = c.ids[c.DefaultLocale()][id]
	}
	if !ok && c.builtin[id] != nil {
		plural = c.builtin[id].One != ""
	}
	if plural {
		lc.PluralCount = count
	}
	return l.Localize(lc)
}

// RegionOf returns the ISO region of a phone number given as digits with
// its country code, and its international format; empty when unknown.
func RegionOf(digits string) (region, international string) {
	num, err := phonenumbers.Parse("+"+digits, "")
	if err != nil {
		return "", ""
	}
	return phonenumbers.GetRegionCodeForNumber(num), phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

// RenderReply renders a reply and keeps it within Green API's limit: when
// the product list makes it too long, it lists as many products as fit and
// adds the localized "and N more".
func (c *Catalog) RenderReply(locale, id string, data TemplateData) (string, error) {
	text, err := c.Localize(locale, id, data, data.ProductCount)
	if err != nil || utf8.RuneCountInString(text) <= greenapi.MaxMessageLength {
		return text, err
	}
	all := data.Products
	render := func(k int) (string, error) {
		d := data
		d.Products = all[:k]
		body, err := c.Localize(locale, id, d, d.ProductCount)
		if err != nil {
			return "", err
		}
		more, err := c.Localize(locale, MsgMoreProducts, TemplateData{Count: len(all) - k}, len(all)-k)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(body, "\n") + "\n" + more, nil
	}
	// Binary search for the most products that fit.
	lo, hi := 0, len(all)-1
	best := ""
	for lo <= hi {
		mid := (lo + hi) / 2
		s, err := render(mid)
		if err != nil {
			return "", err
		}
		if utf8.RuneCountInString(s) <= greenapi.MaxMessageLength {
			best, lo = s, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best == "" {
		return truncate(text, greenapi.MaxMessageLength), nil
	}
	return best, nil
}

// truncate cuts s to at most n characters, ending with an ellipsis if cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
