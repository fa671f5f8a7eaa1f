package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/frontdesk-bot/frontdesk/bot"
)

// check loads the locale and rules files as the server does, reports every
// problem, and previews what each rule replies in each locale.
func check(getenv func(string) string, stdout io.Writer) error {
	def := getenv("DEFAULT_LOCALE")
	if def == "" {
		def = "en"
	}
	catalog, rules, err := loadContent(def, getenv("LOCALES_DIR"), getenv("RULES_FILE"))
	if err != nil {
		return err
	}
	problems := 0
	for _, locale := range catalog.Locales()[1:] {
		missing := catalog.Missing()[locale]
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
		for _, r := range rules {
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
		}
	}
	if problems > 0 {
		return fmt.Errorf("check: %d problem(s)", problems)
	}
	fmt.Fprintln(stdout, "\ncheck: locales and rules are fine")
	return nil
}
