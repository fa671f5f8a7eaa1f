package bot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/locales"
)

// TestTemplateMistakesInWords is issue #27's item 4: a template's mistake
// is said in the terms of whoever writes messages, with the file, the line
// and the message id, never in text/template's ("template: :1: bad
// character U+0021").
func TestTemplateMistakesInWords(t *testing.T) {
	t.Parallel()
	const fields = "Name, Category, Description, Email, Phone, ProductCount, Products, Text, Rule, Tag, Count, NextOpen, Weekday, Time, Options, Choice, Reason, Operator, Answered, Minutes, Waiting, Called"
	for _, tt := range []struct {
		name, template, want string
	}{
		{"a misspelt field", "Hi {{.Nmae}}", `active.en.toml:2: message "greeting_named" (other): unknown field Nmae; the fields are ` + fields + "; did you mean .Name?"},
		{"a misspelt field of a product", "{{range .Products}}{{.Prise}}{{end}}", `active.en.toml:2: message "greeting_named" (other): unknown field Prise of a product; the fields are Name, Description, Price, Availability; did you mean .Price?`},
		{"a field without its dot", "Hi {{Name}}", `active.en.toml:2: message "greeting_named" (other): {{Name}}: write {{.Name}}: a field is written with a dot`},
		{"a word that is no field", "Hi {{Nmae}}", `active.en.toml:2: message "greeting_named" (other): {{Nmae}}: Nmae is not a field; a field is written with a dot, e.g. {{.Name}}; the fields are ` + fields + "; did you mean .Name?"},
		{"an unclosed {{", "Hi {{.Name", `active.en.toml:2: message "greeting_named" (other): a {{ is not closed: write }} after the field, e.g. {{.Name}}`},
		{"a word after {{ that is no field", "Hi {{!}}", `active.en.toml:2: message "greeting_named" (other): "!" after {{ is not a field; a field is written {{.Name}} (the fields are ` + fields + ")"},
		{"an {{if}} never ended", "Hi{{if .Name}} {{.Name}}", `active.en.toml:2: message "greeting_named" (other): an {{if}}, {{range}} or {{with}} is not closed with {{end}}`},
		{"an {{end}} too many", "Hi{{end}}", `active.en.toml:2: message "greeting_named" (other): an {{end}} closes nothing: remove it, or open an {{if}}, {{range}} or {{with}} before it`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			content := "\n[greeting_named]\nother = '" + tt.template + "'\n"
			if err := os.WriteFile(filepath.Join(dir, "active.en.toml"), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := bot.LoadCatalog("en", locales.Files, dir)
			if err == nil {
				t.Fatal("the mistake was accepted")
			}
			if got, want := err.Error(), filepath.Join(dir, tt.want); got != want {
				t.Errorf("error\n%s\nwant\n%s", got, want)
			}
			if strings.Contains(err.Error(), "template:") {
				t.Errorf("the error speaks text/template: %v", err)
			}
		})
	}
}

// TestUnusedMessageIsBlamedOnItsFile: a misspelt id in an override file
// changes nothing; it is reported on that file with the id it may mean,
// and not as a message missing from every other locale.
func TestUnusedMessageIsBlamedOnItsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "active.en.toml"), []byte("# ours\n\n[greeting_genric]\nother = \"Hi there!\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	catalog, err := bot.LoadCatalog("en", locales.Files, dir)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
	if err != nil {
		t.Fatal(err)
	}
	problems := catalog.UnusedMessages(rules)
	want := filepath.Join(dir, "active.en.toml") + ":3: greeting_genric: no rule or built-in message uses this id; did you mean greeting_generic?"
	if len(problems) != 1 || problems[0].Error() != want {
		t.Errorf("problems %v; want\n%s", problems, want)
	}
	for locale, ids := range catalog.MissingUsed(rules) {
		for _, id := range ids {
			if id == "greeting_genric" {
				t.Errorf("locale %s is blamed for lacking the misspelt id", locale)
			}
		}
	}
}
