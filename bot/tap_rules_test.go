package bot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/locales"
)

// TestMenuStyleRulesErrors: a menu_style the menu cannot take is named by
// the file, the line, the rule and, for a label too long, the locale and
// its file.
func TestMenuStyleRulesErrors(t *testing.T) {
	t.Parallel()
	head := "[[rule]]\nid = \"r\"\nreply = \"greeting_generic\"\n"
	choice := func(id, label string) string {
		return "[[rule.choice]]\nid = \"" + id + "\"\nlabel = \"" + label + "\"\n"
	}
	tests := []struct{ rules, want string }{
		{head + "menu_style = \"carousel\"\n" + choice("a", "choice_sales"), `rules.toml:4: rule "r": menu_style: "carousel": expected "text"`},
		{head + "menu_style = \"poll\"\n", `rules.toml:4: rule "r": menu_style: the rule has no [[rule.choice]] to send as a poll`},
		{head + "menu_style = \"poll\"\n" + choice("a", "choice_sales"), `rules.toml:4: rule "r": menu_style: 1 options: a poll takes 2 to 12`},
		{head + "menu_style = \"buttons\"\n" + choice("a", "choice_sales") + choice("b", "choice_support") + choice("c", "choice_other") + choice("d", "choice_sales"),
			`rules.toml:4: rule "r": menu_style: 4 options: WhatsApp shows at most 3 buttons`},
		{head + "menu_style = \"poll\"\n" + choice("a", "choice_sales") + choice("b", "choice_sales"), `two options read "Sales"; a poll's options must differ`},
		{"[languages]\noffer = true\nmenu_style = \"buttons\"\n" + head, `rules.toml:3: languages: menu_style: 5 options: WhatsApp shows at most 3 buttons`},
		{"[languages]\noffer = true\nchoices = [\"en\", \"de\"]\nmenu_style = \"poll\"\n" + head, `rules.toml:4: languages: menu_style: 1 options: a poll takes 2 to 12`},
		{"[languages]\noffer = true\nmenu_style = \"list\"\n" + head, `rules.toml:3: languages: menu_style: "list": expected "text"`},
	}
	for _, tt := range tests {
		_, err := bot.ParseRules("rules.toml", []byte(tt.rules), mustCatalog(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\n: %v\nwant %q", tt.rules, err, tt.want)
		}
	}
	for _, style := range []string{"text", "poll", "buttons"} {
		rules := strings.Replace(menuRules, "choice_wait", "menu_style = \""+style+"\"\nchoice_wait", 1)
		if _, err := bot.ParseRules("rules.toml", []byte(rules), mustCatalog(t)); err != nil {
			t.Errorf("the example menu as %s: %v", style, err)
		}
	}
}

// TestButtonLabelsFitInEveryLocale: a label that fits a button in English
// but not in a configured locale's translation keeps menu_style =
// "buttons" from starting, naming the locale, its file and the limit.
func TestButtonLabelsFitInEveryLocale(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "active.de.toml"), []byte("[choice_support]\nother = \"Kundendienst und Reparaturen\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	catalog, err := bot.LoadCatalog("en", locales.Files, dir)
	if err != nil {
		t.Fatal(err)
	}
	rules := strings.Replace(menuRules, "choice_wait", "menu_style = \"buttons\"\nchoice_wait", 1)
	_, err = bot.ParseRules("rules.toml", []byte(rules), catalog)
	want := `rules.toml:6: rule "menu": menu_style: in de (`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `the option "Kundendienst und Reparaturen" is 28 characters; a button takes at most 25`) ||
		!strings.Contains(err.Error(), filepath.Join(dir, "active.de.toml")) {
		t.Errorf("ParseRules: %v\nwant %q, the option, the limit and the file", err, want)
	}
	if _, err := bot.ParseRules("rules.toml", []byte(strings.Replace(rules, `"buttons"`, `"poll"`, 1)), catalog); err != nil {
		t.Errorf("as a poll: %v", err)
	}
}
