package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/bot"
)

// TestCheckPreviewsAFirstContact: frontdesk check --from … prints the rule,
// the language and why, whether the business is open and when it opens,
// and the exact messages and their recipients, calling no Green API.
func TestCheckPreviewsAFirstContact(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.toml")
	writeFile(t, rules, `[hours]
timezone = "Europe/Berlin"
friday = ["09:00-18:00"]
saturday = ["10:00-14:00"]
closed = ["2026-12-25"]

[[rule]]
id = "closed"
open = false
reply = "away"
forward = true

[[rule]]
id = "open"
reply = "greeting_named"
`)
	e := map[string]string{"RULES_FILE": rules, "OPERATOR_CHAT_ID": "120363000000000001@g.us"}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"Christmas evening, a German number", []string{"--at", "2026-12-25T20:00", "--from", "+49 151 23456789", "--name", "Jonas", "--text", "Hallo"}, []string{
			"first contact from 4915123456789@c.us at Fri 2026-12-25 20:00 CET",
			"open: no; opens Sat 2026-12-26 10:00 CET",
			"rule: closed",
			"language: de (the phone number is from DE)",
			"to 4915123456789@c.us:\nDanke für Ihre Nachricht! Wir haben gerade geschlossen und antworten, sobald wir am Samstag um 10:00 Uhr öffnen.",
			"to 120363000000000001@g.us (the operators):\nNew contact: Jonas",
			"nothing was sent, Green API was not called",
		}},
		{"a Saturday morning, a Brazilian restaurant", []string{"--at", "2026-12-26T11:00", "--from", "+55 11 98765-4321", "--name", "Ana", "--category", "Restaurante", "--products", "3"}, []string{
			"open: yes", "rule: open", "language: pt (the phone number is from BR)", "Olá, Ana!",
		}},
		{"a Saturday morning, an @lid sender writing Russian", []string{"--at", "2026-12-26T11:00", "--from", "120650379300963@lid", "--name", "Иван", "--text", "Здравствуйте"}, []string{
			"first contact from 120650379300963@lid", "language: ru (the message is written in Cyrillic)", "to 120650379300963@lid:\nЗдравствуйте, Иван!",
		}},
	}
	for _, tt := range tests {
		var out strings.Builder
		if err := run(t.Context(), append([]string{"check"}, tt.args...), env(e), &out, &out); err != nil {
			t.Fatalf("%s: %v\n%s", tt.name, err, out.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: the preview lacks %q:\n%s", tt.name, w, out.String())
			}
		}
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"check", "--from", "not a phone"}, env(e), &out, &out); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Errorf("a bad --from: %v", err)
	}
}

// TestCheckPreviewsAMenu: a greeting with a menu is previewed with what
// each answer to it would send, and what no answer within its wait would.
func TestCheckPreviewsAMenu(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.toml")
	writeFile(t, rules, menuRulesWaiting("1h30m"))
	e := map[string]string{"RULES_FILE": rules, "OPERATOR_CHAT_ID": "120363000000000001@g.us"}
	var out strings.Builder
	if err := run(t.Context(), []string{"check", "--from", "+7 900 123-45-67", "--name", "Иван", "--text", "привет"}, env(e), &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, w := range []string{
		"Ответьте номером:\n1 Продажи\n2 Поддержка\n3 Другое\n",
		"the summary waits for the sender's choice, at most 1h30m:",
		"if the sender replies 1 (choice sales):\n  to 120363000000000002@g.us (the operators):\n    New contact: Иван\n",
		"    Chosen: Sales\n",
		"if the sender replies 2 (choice support):\n  to 79001234567@c.us:\n    Спасибо! Наша поддержка напишет вам здесь в ближайшее время.\n  to 120363000000000001@g.us (the operators):",
		"if the sender replies 3 (choice other):\n  no summary\n",
		"if the sender chooses nothing within 1h30m:\n  to 120363000000000001@g.us (the operators):",
		"    No choice within 90 minutes.\n",
		"nothing was sent, Green API was not called",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the preview lacks %q:\n%s", w, out.String())
		}
	}
	// Without --from: the menu and the answers in every locale.
	out.Reset()
	if err := run(t.Context(), []string{"check"}, env(e), &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, w := range []string{
		"Antworten Sie mit einer Nummer:\n1 Vertrieb\n2 Kundendienst\n3 Etwas anderes\n",
		"-- after 2 (choice support, support_answer):\nDanke! Unser Kundendienst schreibt Ihnen hier in Kürze.\n",
		"השיבו במספר:\n1 מכירות\n",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("frontdesk check lacks %q:\n%s", w, out.String())
		}
	}
}

// TestCheckFromReportsTheProblemsOfCheck is issue #27's item 4: `check
// --from` printed its preview and exited 0 where `check` reported a
// problem; and a message id misspelt in a locale file of the business's
// is reported on that file, with the id it may mean.
func TestCheckFromReportsTheProblemsOfCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A rule whose reply is only in English: the other locales lack it.
	rules := strings.Replace(bot.DefaultRules, `reply = "greeting_generic"`, `reply = "greeting_ours"`, 1)
	if rules == bot.DefaultRules {
		t.Fatal("the shipped rules have no greeting_generic reply to replace")
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.toml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "locales"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "locales", "active.en.toml"), []byte("[greeting_ours]\nother = \"Hi!\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := env(map[string]string{"RULES_FILE": filepath.Join(dir, "rules.toml"), "LOCALES_DIR": filepath.Join(dir, "locales")})
	var plain, from strings.Builder
	errPlain := run(t.Context(), []string{"check"}, e, &plain, &plain)
	errFrom := run(t.Context(), []string{"check", "--from", "+49 151 2345678"}, e, &from, &from)
	if errPlain == nil || errFrom == nil {
		t.Fatalf("check: %v; check --from: %v; want both to fail", errPlain, errFrom)
	}
	const want = `problem: locale de (locales/active.de.toml) has no message "greeting_ours" that the default locale en has`
	for name, out := range map[string]string{"check": plain.String(), "check --from": from.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("%s does not say %q:\n%s", name, want, out)
		}
	}

	// A misspelt id: blamed on its file, not on the five other locales.
	if err := os.WriteFile(filepath.Join(dir, "locales", "active.en.toml"), []byte("[greeting_ours]\nother = \"Hi!\"\n\n[greeting_genric]\nother = \"Hello!\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run(t.Context(), []string{"check"}, e, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "active.en.toml:4: greeting_genric: no rule or built-in message uses this id; did you mean greeting_generic?") ||
		strings.Contains(out.String()+err.Error(), `"greeting_genric" that the default locale`) {
		t.Errorf("a misspelt id: %v\n%s", err, out.String())
	}
}

// TestCheckFromSaysWhenTheReminderGoes is issue #25's item 8: check --from
// says when the reminder and the escalation would go, and to whom, with
// closed time not counted.
func TestCheckFromSaysWhenTheReminderGoes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rules := `answer_within = "15m"
escalate_to = "120363000000000009@g.us"
escalate_after = "1h"

[hours]
timezone = "Europe/Berlin"
monday = ["09:00-18:00"]
tuesday = ["09:00-18:00"]

[[rule]]
id = "everyone"
reply = "greeting_generic"
forward = true
`
	if err := os.WriteFile(filepath.Join(dir, "rules.toml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	e := env(map[string]string{"RULES_FILE": filepath.Join(dir, "rules.toml"), "OPERATOR_CHAT_ID": "120363000000000001@g.us"})
	if err := run(t.Context(), []string{"check", "--from", "+49 151 2345678", "--name", "Jana", "--at", "2026-12-07T20:00"}, e, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"unless a person answers by Tue 2026-12-08 09:15 CET, to 120363000000000001@g.us:\nStill waiting for an answer after 15 minutes: Jana",
		"unless a person answers by Tue 2026-12-08 10:00 CET, to 120363000000000009@g.us:\nNo one has answered for 60 minutes: Jana",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check --from does not say %q:\n%s", want, out.String())
		}
	}
}

// TestCheckPreviewsAPollMenu: with menu_style = "poll" the preview shows
// the greeting without the list, then the poll and the numbered text that
// replaces it if Green API refuses it; a style the menu cannot take stops
// the check, saying why.
func TestCheckPreviewsAPollMenu(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.toml")
	writeFile(t, rules, strings.Replace(menuRulesWaiting("15m"), "choice_wait", "menu_style = \"poll\"\nchoice_wait", 1))
	e := map[string]string{"RULES_FILE": rules, "OPERATOR_CHAT_ID": "120363000000000001@g.us"}
	var out strings.Builder
	if err := run(t.Context(), []string{"check", "--from", "+7 900 123-45-67", "--name", "Иван", "--text", "привет"}, env(e), &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, w := range []string{
		"then to 79001234567@c.us, a poll:\nЧем мы можем помочь?\n[ Продажи ]\n[ Поддержка ]\n[ Другое ]\n",
		"(should Green API refuse the poll, this instead:)\nОтветьте номером:\n1 Продажи\n",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the preview lacks %q:\n%s", w, out.String())
		}
	}
	writeFile(t, rules, strings.Replace(menuRulesWaiting("15m"), "choice_wait", "menu_style = \"buttons\"\nchoice_wait", 1)+
		"\n[[rule.choice]]\nid = \"more\"\nlabel = \"choice_other\"\n")
	out.Reset()
	err := run(t.Context(), []string{"check"}, env(e), &out, &out)
	if err == nil || !strings.Contains(out.String()+err.Error(), `menu_style: 4 options: WhatsApp shows at most 3 buttons`) {
		t.Errorf("check of four buttons: %v\n%s", err, out.String())
	}
}
