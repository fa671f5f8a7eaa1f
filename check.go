package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// check loads the locale and rules files as the server does, reports every
// problem, and previews what each rule replies in each locale. With
// INSTANCES_FILE it checks the file and every instance's files; instances
// that share their files are previewed once.
func check(args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet("check", flag.ContinueOnError)
	flags.SetOutput(stdout)
	var (
		from        = flags.String("from", "", "preview a first contact from this phone number (or chat id)")
		at          = flags.String("at", "", "when it is written: 2026-12-25T20:00 (the [hours] time zone, else UTC) or with an offset; default now")
		name        = flags.String("name", "", "the sender's name")
		category    = flags.String("category", "", "a business sender's category")
		description = flags.String("description", "", "a business sender's description")
		products    = flags.Int("products", 0, "how many visible products its catalogue has")
		text        = flags.String("text", "Hello!", "the first message")
		instance    = flags.String("instance", "", "with INSTANCES_FILE: the number whose rules decide (default the first)")
	)
	if err := flags.Parse(args); err != nil {
		return err
	}
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	defaults := envInstance(env) // check reads the content only: no credential is required
	instances := []instanceConfig{defaults}
	if file := env("INSTANCES_FILE", ""); file != "" {
		var err error
		if instances, err = readInstances(file, defaults, getenv); err != nil {
			return err
		}
	}
	ls, err := loadInstances(instances)
	if err != nil {
		return err
	}
	if *from != "" {
		l := ls[0]
		for _, c := range ls {
			if c.ID == *instance {
				l = c
			}
		}
		if *instance != "" && l.ID != *instance {
			return fmt.Errorf("--instance %s: not in INSTANCES_FILE", *instance)
		}
		// The same problems as check without --from, and the same outcome.
		problems := preview(l.catalog, l.rules, &problemLines{w: stdout})
		if err := previewFirstContact(l, previewInput{from: *from, at: *at, name: *name, category: *category,
			description: *description, products: *products, text: *text}, stdout); err != nil {
			return err
		}
		if problems > 0 {
			return fmt.Errorf("check: %d problem(s)", problems)
		}
		return nil
	}
	// Instances that share their files share what was loaded from them.
	type content struct {
		catalog *bot.Catalog
		first   *bot.Rule
	}
	var order []loaded
	users := make(map[content][]string)
	for _, l := range ls {
		c := content{l.catalog, l.rules.List[0]}
		if _, ok := users[c]; !ok {
			order = append(order, l)
		}
		users[c] = append(users[c], l.ID)
	}
	problems := 0
	for _, l := range order {
		if len(ls) > 1 {
			fmt.Fprintf(stdout, "\n=== instances %s\n", strings.Join(users[content{l.catalog, l.rules.List[0]}], ", "))
		}
		problems += preview(l.catalog, l.rules, stdout)
	}
	for _, l := range ls {
		if d := l.rules.Digest; d != nil {
			to := l.OperatorChatID
			if to == "" {
				to = "no one: OPERATOR_CHAT_ID is not set"
			}
			fmt.Fprintf(stdout, "\ndigest of %s: %s, to %s\n", l.ID, d, to)
		}
	}
	if problems > 0 {
		return fmt.Errorf("check: %d problem(s)", problems)
	}
	if len(ls) > 1 {
		fmt.Fprintf(stdout, "\ncheck: %d instances; their locales and rules are fine\n", len(ls))
		return nil
	}
	fmt.Fprintln(stdout, "\ncheck: locales and rules are fine")
	return nil
}

// preview reports the problems of one catalog and its rules, previews
// what each rule replies in each locale, and returns the problems' count.
func preview(catalog *bot.Catalog, rules bot.Rules, stdout io.Writer) int {
	problems := 0
	for _, locale := range catalog.Locales()[1:] {
		missing := catalog.MissingUsed(rules)[locale]
		for _, id := range missing {
			fmt.Fprintf(stdout, "problem: locale %s (%s) has no message %q that the default locale %s has\n",
				locale, strings.Join(catalog.Sources(locale), ", "), id, catalog.DefaultLocale())
			problems++
		}
	}
	sample := bot.TemplateData{
		Name: "Maria", Category: "Bakery", Description: "Fresh bread every morning", Email: "maria@example.com",
		Phone: "+55 11 98765-4321", Text: "Hello! Do you deliver?",
		Products: []bot.ProductData{{Name: "Sourdough loaf", Price: "4.50 EUR"}, {Name: "Croissant", Price: "1.20 EUR"}, {Name: "Rye bread"}},
	}
	sample.ProductCount = len(sample.Products)
	for _, locale := range catalog.Locales() {
		fmt.Fprintf(stdout, "\n== %s: replies to a sample contact (%s, %s, %d products)\n", locale, sample.Name, sample.Category, sample.ProductCount)
		for _, r := range rules.List {
			if r.Reply == "" {
				fmt.Fprintf(stdout, "\n-- rule %s: no reply\n", r.ID)
				continue
			}
			loc := locale
			if r.SetLocale != "" {
				loc = r.SetLocale
			}
			text, err := catalog.RenderReply(loc, r.Reply, sample)
			if err != nil {
				fmt.Fprintf(stdout, "problem: rule %s, message %q in %s: %v\n", r.ID, r.Reply, loc, err)
				problems++
				continue
			}
			fmt.Fprintf(stdout, "\n-- rule %s (%s):\n%s\n", r.ID, r.Reply, text)
			if len(r.Choices) == 0 {
				continue
			}
			menu, err := catalog.ChoiceText(r, loc, bot.MsgChoiceMenu)
			if err != nil {
				fmt.Fprintf(stdout, "problem: rule %s, its menu in %s: %v\n", r.ID, loc, err)
				problems++
				continue
			}
			if r.MenuStyle == bot.MenuPoll || r.MenuStyle == bot.MenuButtons {
				fmt.Fprintf(stdout, "\n(then, as its own message, a %s of the labels; Green API refusing it, this instead:)", r.MenuStyle)
			}
			fmt.Fprintf(stdout, "\n%s\n", menu)
			for i, c := range r.Choices {
				if c.Reply == "" {
					continue
				}
				answer, err := catalog.RenderReply(loc, c.Reply, sample)
				if err != nil {
					fmt.Fprintf(stdout, "problem: rule %s, choice %s, message %q in %s: %v\n", r.ID, c.ID, c.Reply, loc, err)
					problems++
					continue
				}
				fmt.Fprintf(stdout, "-- after %d (choice %s, %s):\n%s\n", i+1, c.ID, c.Reply, answer)
			}
		}
	}
	return problems
}

// previewInput is a first contact to preview, as frontdesk check's flags
// give it.
type previewInput struct {
	from, at, name, category, description, text string
	products                                    int
}

// previewFirstContact prints what the service would do with a first
// contact: the rule, the language and why, whether the business is open,
// and the exact messages and their recipients. It calls no Green API.
func previewFirstContact(l loaded, in previewInput, stdout io.Writer) error {
	chat, err := greenapi.ChatIDOf(in.from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	loc := time.UTC
	if l.rules.Hours != nil {
		loc = l.rules.Hours.Location()
	}
	when := time.Now()
	if in.at != "" {
		if when, err = time.Parse(time.RFC3339, in.at); err != nil {
			if when, err = time.ParseInLocation("2006-01-02T15:04", in.at, loc); err != nil {
				return fmt.Errorf("--at %q: expected 2026-12-25T20:00 or 2026-12-25T20:00:00+01:00", in.at)
			}
		}
	}
	info := greenapi.ContactInfo{ChatID: chat, Name: in.name, Category: in.category, Description: in.description,
		IsBusiness: in.category != "", Products: []greenapi.Product{}}
	for i := range in.products {
		info.Products = append(info.Products, greenapi.Product{ID: fmt.Sprint(i + 1), Name: fmt.Sprintf("Product %d", i+1), Availability: "in stock"})
	}
	cfg := bot.Config{Instance: l.ID, OperatorChatID: l.OperatorChatID, OperatorLocale: l.OperatorLocale}
	d, err := bot.Preview(l.catalog, l.rules, cfg, bot.Sender{ChatID: chat, Name: in.name, Info: info, Text: in.text, At: when})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "first contact from %s at %s\n", chat, when.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	if l.rules.Hours != nil {
		if d.Open {
			fmt.Fprintln(stdout, "open: yes")
		} else {
			fmt.Fprintf(stdout, "open: no; opens %s\n", d.NextOpen.In(loc).Format("Mon 2006-01-02 15:04 MST"))
		}
	} else {
		fmt.Fprintln(stdout, "open: always (no [hours] in the rules file)")
	}
	if d.Rule == nil {
		fmt.Fprintln(stdout, "rule: none matches: nothing would be sent")
		return nil
	}
	fmt.Fprintf(stdout, "rule: %s", d.Rule.ID)
	if d.Rule.Tag != "" {
		fmt.Fprintf(stdout, " (tag %s)", d.Rule.Tag)
	}
	fmt.Fprintf(stdout, "\nlanguage: %s (%s)\n", d.Locale, d.LocaleWhy)
	switch {
	case d.Reply.Text == "" && d.Reply.FileURL == "":
		fmt.Fprintln(stdout, "reply: none")
	case d.Reply.FileURL != "":
		fmt.Fprintf(stdout, "\nto %s: the file %s (%s), captioned:\n%s\n", chat, d.Reply.FileName, d.Reply.FileURL, d.Reply.Text)
	default:
		fmt.Fprintf(stdout, "\nto %s:\n%s\n", chat, d.Reply.Text)
	}
	if d.Reply.TypingMS > 0 {
		fmt.Fprintf(stdout, "(after %v of \"typing…\")\n", time.Duration(d.Reply.TypingMS)*time.Millisecond)
	}
	if m := d.MenuOut; m.Style != "" {
		fmt.Fprintf(stdout, "\nthen to %s, a %s:\n%s\n", chat, m.Style, m.Text)
		for _, o := range m.Options {
			fmt.Fprintf(stdout, "[ %s ]\n", o)
		}
		fmt.Fprintf(stdout, "(should Green API refuse the %s, this instead:)\n%s\n", m.Style, m.Fallback)
	}
	switch {
	case d.Menu:
		return previewChoices(stdout, l, cfg, bot.Sender{ChatID: chat, Name: in.name, Info: info, Text: in.text, At: when}, d)
	case d.Summary.Text != "":
		fmt.Fprintf(stdout, "\nto %s (the operators):\n%s\n", d.Summary.To, d.Summary.Text)
		fc, err := bot.PreviewReminders(l.catalog, l.rules, cfg, d, when)
		if err != nil {
			return err
		}
		for _, r := range []struct {
			out bot.Outgoing
			at  time.Time
		}{{fc.Reminder, fc.RemindAt}, {fc.Escalation, fc.EscalateAt}} {
			if r.out.To != "" {
				fmt.Fprintf(stdout, "\nunless a person answers by %s, to %s:\n%s\n", r.at.In(loc).Format("Mon 2006-01-02 15:04 MST"), r.out.To, r.out.Text)
			}
		}
	case d.Forward:
		fmt.Fprintln(stdout, "\nthe rule forwards, but no operator chat is set (OPERATOR_CHAT_ID): no summary")
	}
	fmt.Fprintln(stdout, previewNote)
	return nil
}

const previewNote = "\n(a preview: nothing was sent, Green API was not called; the profile is the one the flags describe)"

// previewChoices prints what each answer to the greeting's menu would
// send, and what no answer within its wait would.
func previewChoices(stdout io.Writer, l loaded, cfg bot.Config, s bot.Sender, d bot.Decision) error {
	outcomes, err := bot.PreviewChoices(l.catalog, l.rules, cfg, s, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nthe summary waits for the sender's choice, at most %s:\n", bot.ShortDuration(d.Rule.ChoiceWait))
	for _, o := range outcomes {
		if o.Choice != nil {
			fmt.Fprintf(stdout, "\nif the sender replies %d (choice %s):\n", o.Number, o.Choice.ID)
		} else {
			fmt.Fprintf(stdout, "\nif the sender chooses nothing within %s:\n", bot.ShortDuration(d.Rule.ChoiceWait))
		}
		if o.Answer.Text != "" {
			fmt.Fprintf(stdout, "  to %s:\n%s\n", s.ChatID, indent(o.Answer.Text))
		}
		if o.Summary.Text != "" {
			fmt.Fprintf(stdout, "  to %s (the operators):\n%s\n", o.Summary.To, indent(o.Summary.Text))
		} else {
			fmt.Fprintln(stdout, "  no summary")
		}
	}
	fmt.Fprintln(stdout, previewNote)
	return nil
}

// indent puts four spaces before every line of s.
func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// problemLines passes on only the lines of preview that say a problem.
type problemLines struct {
	w    io.Writer
	line []byte
}

func (p *problemLines) Write(b []byte) (int, error) {
	for _, c := range b {
		p.line = append(p.line, c)
		if c == '\n' {
			if bytes.HasPrefix(p.line, []byte("problem: ")) {
				if _, err := p.w.Write(p.line); err != nil {
					return 0, err
				}
			}
			p.line = p.line[:0]
		}
	}
	return len(b), nil
}
