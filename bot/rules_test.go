package bot_test

import (
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/bot"
)

func TestRuleConditions(t *testing.T) {
	t.Parallel()
	c := mustCatalog(t)
	rules, err := bot.ParseRules("rules.toml", []byte(`
[[rule]]
id = "vip-name"
name_matches = "(?i)^dr\\. "
reply = "greeting_named"

[[rule]]
id = "cars"
category = ["AUTO*", "*dealer*"]
reply = "greeting_business"

[[rule]]
id = "big"
min_products = 3
reply = "greeting_catalogue"

[[rule]]
id = "oil"
product_keywords = ["OIL"]
reply = "greeting_catalogue"

[[rule]]
id = "brazil"
country = ["br"]
reply = "greeting_generic"

[[rule]]
id = "german"
locale = ["de"]
reply = "greeting_generic"

[[rule]]
id = "price-question"
text_matches = "(?i)price|cost"
reply = ""
forward = true

[[rule]]
id = "nameless"
has_name = false
business = false
reply = "greeting_generic"

[[rule]]
id = "rest"
reply = "greeting_named"
`), c)
	if err != nil {
		t.Fatal(err)
	}
	three := []bot.ProductData{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	tests := []struct {
		facts bot.Facts
		want  string
	}{
		{bot.Facts{Name: "Dr. Who"}, "vip-name"},
		{bot.Facts{Name: "Drew"}, "rest"},
		{bot.Facts{Name: "X", Category: "Automotive Dealership"}, "cars"},
		{bot.Facts{Name: "X", Category: "Car dealer"}, "cars"},
		{bot.Facts{Name: "X", Category: "Bakery", Products: three}, "big"},
		{bot.Facts{Name: "X", Category: "Bakery", Products: three[:2]}, "rest"},
		{bot.Facts{Name: "X", Category: "Garage", Products: []bot.ProductData{{Name: "Service", Description: "Oil change"}}}, "oil"},
		{bot.Facts{Name: "X", Region: "BR"}, "brazil"},
		{bot.Facts{Name: "X", Locale: "de"}, "german"},
		{bot.Facts{Name: "X", Text: "What's the PRICE?"}, "price-question"},
		{bot.Facts{}, "nameless"},
		{bot.Facts{Category: "Bakery"}, "rest"},
	}
	for _, tt := range tests {
		got := rules.Match(tt.facts)
		if got == nil || got.ID != tt.want {
			t.Errorf("Match(%+v) = %v, want %s", tt.facts, got, tt.want)
		}
	}
	if r := rules.Match(bot.Facts{Name: "X", Text: "cost?"}); r.Reply != "" || !r.Forward {
		t.Errorf("reply = \"\" must mean no reply, with forwarding: %+v", r)
	}
}

func TestRuleErrorsNameFileLineAndRule(t *testing.T) {
	t.Parallel()
	c := mustCatalog(t)
	tests := []struct {
		name, rules string
		want        []string
	}{
		{"bad pattern", "[[rule]]\nid = \"vip\"\nname_matches = \"(unclosed\"\nreply = \"greeting_named\"\n",
			[]string{"rules.toml:3", `rule "vip"`, "name_matches", "missing closing )"}},
		{"bad glob", "[[rule]]\nid = \"g\"\ncategory = [\"[a-\"]\nreply = \"\"\n", []string{"rules.toml:3", `rule "g"`, "category"}},
		{"unknown key", "[[rule]]\nid = \"x\"\ncategroy = [\"a\"]\nreply = \"\"\n", []string{"rules.toml:3", "unknown key", "categroy"}},
		{"missing template", "[[rule]]\nid = \"x\"\nreply = \"greeting_vip\"\n", []string{"rules.toml:3", `rule "x"`, `"greeting_vip"`, "default locale"}},
		{"missing reply", "[[rule]]\nid = \"x\"\n", []string{"rules.toml:1", "reply", "missing"}},
		{"unknown locale", "[[rule]]\nid = \"x\"\nset_locale = \"fr\"\nreply = \"\"\n", []string{"rules.toml:3", "set_locale", `"fr"`}},
		{"bad country", "[[rule]]\nid = \"x\"\ncountry = [\"Brazil\"]\nreply = \"\"\n", []string{"rules.toml:3", "country", "Brazil"}},
		{"duplicate id", "[[rule]]\nid = \"x\"\nreply = \"\"\n[[rule]]\nid = \"x\"\nreply = \"\"\n", []string{"rules.toml:5", "earlier rule"}},
		{"no rules", "# nothing\n", []string{"rules.toml", "no [[rule]]"}},
		{"syntax", "[[rule]]\nid = \"x\n", []string{"rules.toml:2"}},
		{"two problems at once", "[[rule]]\nid = \"a\"\ntext_matches = \"(\"\nreply = \"nope\"\n", []string{"text_matches", `"nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := bot.ParseRules("rules.toml", []byte(tt.rules), c)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaultRulesLoad(t *testing.T) {
	t.Parallel()
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), mustCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.List) != 4 || rules.List[len(rules.List)-1].ID != "anyone-else" {
		t.Errorf("default rules = %d, last %q", len(rules.List), rules.List[len(rules.List)-1].ID)
	}
}
