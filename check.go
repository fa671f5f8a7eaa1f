package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// check loads the locale and rules files as the server does, reports every
// problem, and previews what each rule replies in each locale. With
// INSTANCES_FILE it checks the file and every instance's files; instances
// that share their files are previewed once.
func check(getenv func(string) string, stdout io.Writer) error {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	defaults := instanceConfig{APIURL: env("GREEN_API_URL", greenapi.DefaultAPIURL), DefaultLocale: env("DEFAULT_LOCALE", "en"),
		LocalesDir: env("LOCALES_DIR", ""), RulesFile: env("RULES_FILE", ""), OperatorChatID: env("OPERATOR_CHAT_ID", ""),
		ReceiveMode: env("RECEIVE_MODE", "webhook")}
	defaults.OperatorLocale = env("OPERATOR_LOCALE", defaults.DefaultLocale)
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
	// Instances that share their files share what was loaded from them.
	type content struct {
		catalog *bot.Catalog
		first   *bot.Rule
	}
	var order []loaded
	users := make(map[content][]string)
	for _, l := range ls {
		c := content{l.catalog, l.rules[0]}
		if _, ok := users[c]; !ok {
			order = append(order, l)
		}
		users[c] = append(users[c], l.ID)
	}
	problems := 0
	for _, l := range order {
		if len(ls) > 1 {
			fmt.Fprintf(stdout, "\n=== instances %s\n", strings.Join(users[content{l.catalog, l.rules[0]}], ", "))
		}
		problems += preview(l.catalog, l.rules, stdout)
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
	return problems
}
