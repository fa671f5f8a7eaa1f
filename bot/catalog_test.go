package bot_test

import (
	"crypto/sha1"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/BurntSushi/toml"
	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/locales"
)

func mustCatalog(t testing.TB) *bot.Catalog {
	t.Helper()
	c, err := bot.LoadCatalog("en", locales.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestShippedLocalesAreComplete(t *testing.T) {
	t.Parallel()
	c := mustCatalog(t)
	want := []string{"en", "de", "es", "he", "pt", "ru"}
	got := c.Locales()
	if len(got) != len(want) || got[0] != "en" {
		t.Fatalf("locales = %v, want %v with en first", got, want)
	}
	for loc, ids := range c.Missing() {
		if len(ids) > 0 {
			t.Errorf("locale %s misses %v", loc, ids)
		}
	}
}

func TestRussianPlurals(t *testing.T) {
	t.Parallel()
	c := mustCatalog(t)
	for n, want := range map[int]string{1: "1 товар:", 2: "2 товара:", 5: "5 товаров:", 21: "21 товар:", 11: "11 товаров:", 22: "22 товара:"} {
		got, err := c.Localize("ru", bot.MsgGreetingCatalogue, bot.TemplateData{Name: "Дилер", ProductCount: n}, n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got, "В вашем каталоге "+want) {
			t.Errorf("%d products: %q, want %q", n, got, want)
		}
	}
}

func TestLocaleForRegion(t *testing.T) {
	t.Parallel()
	c := mustCatalog(t)
	for region, want := range map[string]string{
		"RU": "ru", "BY": "ru", "BR": "pt", "PT": "pt", "ES": "es", "MX": "es", "AR": "es",
		"DE": "de", "AT": "de", "IL": "he", "US": "en", "GB": "en", "FR": "en", "JP": "en", "": "en", "XX": "en",
	} {
		if got := c.LocaleForRegion(region); got != want {
			t.Errorf("LocaleForRegion(%q) = %s, want %s", region, got, want)
		}
	}
}

func TestRegionOf(t *testing.T) {
	t.Parallel()
	for digits, want := range map[string][2]string{
		"79001234567":   {"RU", "+7 900 123-45-67"},
		"5511987654321": {"BR", "+55 11 98765-4321"},
		"972501234567":  {"IL", "+972 50-123-4567"},
		"12125551234":   {"US", "+1 212-555-1234"},
		"0":             {"", ""},
	} {
		region, intl := bot.RegionOf(digits)
		if region != want[0] || intl != want[1] {
			t.Errorf("RegionOf(%s) = %q, %q; want %q, %q", digits, region, intl, want[0], want[1])
		}
	}
}

func TestLocaleErrorsNameFileLineAndMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{"unknown field", "active.en.toml", "[greeting_named]\nother = \"Hi {{.Nmae}}\"\n", []string{"active.en.toml:1", `"greeting_named"`, "Nmae"}},
		{"broken template", "active.de.toml", "\n\n[greeting_generic]\nother = \"Hallo {{if .Name}\"\n", []string{"active.de.toml:3", `"greeting_generic"`}},
		{"bad toml", "active.ru.toml", "[x\nother = 1\n", []string{"active.ru.toml"}},
		{"no other form", "active.es.toml", "[greeting_named]\none = \"Hola\"\n", []string{"active.es.toml:1", `"greeting_named"`, "other"}},
		// issue #24's item 14: templates whose rendering has no bound
		// hung start-up, reload, check and the sandbox's apply.
		{"nested range", "active.en.toml", "\n[greeting_catalog]\nother = \"{{range .Products}}{{range $.Products}}x{{end}}{{end}}\"\n",
			[]string{"active.en.toml:2", `"greeting_catalog"`, "inside another {{range}}"}},
		{"range over a number", "active.en.toml", "[greeting_named]\nother = \"{{range 1000000000}}x{{end}}\"\n",
			[]string{"active.en.toml:1", `"greeting_named"`, "only over .Products"}},
		{"a template that calls itself", "active.en.toml", "[greeting_named]\nother = '{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}'\n",
			[]string{"active.en.toml:1", `"greeting_named"`, "not allowed in a message"}},
		{"a text over 20,000 bytes", "active.en.toml", "[greeting_named]\nother = \"" + strings.Repeat("a", 20001) + "\"\n",
			[]string{"active.en.toml:1", `"greeting_named"`, "20001 bytes", "at most 20000"}},
		{"a file over 1 MiB", "active.en.toml", "# " + strings.Repeat("a", 1<<20) + "\n",
			[]string{"active.en.toml", "at most 1048576"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := bot.LoadCatalog("en", locales.Files, dir)
			if err == nil {
				t.Fatal("loaded a broken locale file")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLocalesDirAddsAndOverrides(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "active.en.toml"), []byte("[greeting_generic]\nother = \"Welcome to Acme!\"\n[vip]\nother = \"Dear {{.Name}}\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "active.fr.toml"), []byte("[greeting_generic]\nother = \"Bonjour !\"\n"), 0o644)
	c, err := bot.LoadCatalog("en", locales.Files, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Localize("en", bot.MsgGreetingGeneric, bot.TemplateData{}, 0); got != "Welcome to Acme!" {
		t.Errorf("override: %q", got)
	}
	if got, _ := c.Localize("en", bot.MsgGreetingNamed, bot.TemplateData{Name: "Ann"}, 0); !strings.HasPrefix(got, "Hello, Ann!") {
		t.Errorf("messages not overridden must stay: %q", got)
	}
	if got, _ := c.Localize("fr", bot.MsgGreetingGeneric, bot.TemplateData{}, 0); got != "Bonjour !" {
		t.Errorf("added locale: %q", got)
	}
	if c.LocaleForRegion("FR") != "fr" {
		t.Errorf("a French number should now get fr")
	}
	if got, _ := c.Localize("fr", bot.MsgGreetingNamed, bot.TemplateData{Name: "Ann"}, 0); !strings.HasPrefix(got, "Hello, Ann!") {
		t.Errorf("a message missing in fr falls back to the default: %q", got)
	}
	if !c.Has("en", "vip") {
		t.Error("custom message not loaded")
	}
}

func TestDefaultLocaleMustExist(t *testing.T) {
	t.Parallel()
	_, err := bot.LoadCatalog("fr", locales.Files, "")
	if err == nil || !strings.Contains(err.Error(), "DEFAULT_LOCALE") {
		t.Errorf("err = %v", err)
	}
	_, err = bot.LoadCatalog("en", fstest.MapFS{}, "/no/such/dir")
	if err == nil || !strings.Contains(err.Error(), "LOCALES_DIR") {
		t.Errorf("err = %v", err)
	}
}

// TestTranslationsAreCurrent: active.en.toml is what `goi18n extract`
// makes of the built-in messages, and every other shipped locale
// translates the current English of each message: its hash is the one
// `goi18n merge` gives that English (else merge would list it as needing
// a new translation).
func TestTranslationsAreCurrent(t *testing.T) {
	t.Parallel()
	type message struct{ Description, Hash, One, Other string }
	read := func(name string) map[string]message {
		t.Helper()
		data, err := fs.ReadFile(locales.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]message
		if err := toml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en := read("active.en.toml")
	for _, b := range bot.BuiltinMessages() {
		got, ok := en[b.ID]
		if !ok || got.Description != b.Description || got.Other != b.Other || got.One != b.One {
			t.Errorf("active.en.toml %s = %+v; want the built-in message (run goi18n extract)", b.ID, got)
		}
	}
	names, err := fs.Glob(locales.Files, "active.*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name == "active.en.toml" {
			continue
		}
		translated := read(name)
		for id, source := range en {
			want := fmt.Sprintf("sha1-%x", sha1.Sum([]byte(source.Description+source.Other)))
			if got := translated[id].Hash; got != want {
				t.Errorf("%s: %s translates another English (hash %s, want %s): translate it again", name, id, got, want)
			}
		}
	}
}
