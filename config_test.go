package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		"GREEN_API_ID_INSTANCE":    "1101000001",
		"GREEN_API_TOKEN_INSTANCE": "d75b3a66374942c5b3c019c698abc2067e151558acbd412345",
		"WEBHOOK_TOKEN":            "0123456789abcdef0123456789abcdef",
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(env(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIURL != "https://api.green-api.com" || c.Port != 8080 || c.DatabaseURL != "frontdesk.db" ||
		c.DefaultLocale != "en" || c.OperatorLocale != "en" || c.NewSenderAfter != 14*24*time.Hour ||
		c.ReceiveMode != "webhook" || c.ProfileRefresh != 24*time.Hour {
		t.Errorf("defaults = %+v", c)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  map[string]string
		drop []string
		want []string
	}{
		{"nothing set", nil, []string{"GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN_INSTANCE", "WEBHOOK_TOKEN"},
			[]string{"GREEN_API_ID_INSTANCE: required", "GREEN_API_TOKEN_INSTANCE: required", "WEBHOOK_TOKEN: required", "webhookUrlToken"}},
		{"bad id", map[string]string{"GREEN_API_ID_INSTANCE": "abc"}, nil, []string{"GREEN_API_ID_INSTANCE: expected digits"}},
		{"bad port", map[string]string{"PORT": "http"}, nil, []string{`PORT: "http" is not a TCP port`}},
		{"bad duration", map[string]string{"NEW_SENDER_AFTER": "two weeks"}, nil, []string{`NEW_SENDER_AFTER: "two weeks" is not a duration`}},
		{"bad mode", map[string]string{"RECEIVE_MODE": "push"}, nil, []string{"RECEIVE_MODE", "webhook or poll"}},
		{"short webhook token", map[string]string{"WEBHOOK_TOKEN": "abc"}, nil, []string{"WEBHOOK_TOKEN: too short"}},
		{"bad url", map[string]string{"GREEN_API_URL": "7105.api.greenapi.com"}, nil, []string{"GREEN_API_URL"}},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, nil, []string{"LOG_LEVEL"}},
		{"postgres", map[string]string{"DATABASE_URL": "postgres://x"}, nil, []string{"DATABASE_URL", "not supported yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := validEnv()
			for _, k := range tt.drop {
				delete(e, k)
			}
			for k, v := range tt.set {
				e[k] = v
			}
			_, err := loadConfig(env(e))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestConfigPollModeNeedsNoWebhookToken(t *testing.T) {
	t.Parallel()
	e := validEnv()
	delete(e, "WEBHOOK_TOKEN")
	e["RECEIVE_MODE"] = "poll"
	e["NEW_SENDER_AFTER"] = "0"
	c, err := loadConfig(env(e))
	if err != nil || c.NewSenderAfter != 0 {
		t.Errorf("poll mode: %+v, %v", c, err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run(t.Context(), []string{"check"}, env(nil), &out, &out); err != nil {
		t.Fatalf("check of the shipped files: %v\n%s", err, out.String())
	}
	for _, want := range []string{"== ru", "В вашем каталоге 3 товара", "== he", "-- rule anyone-else"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("preview does not show %q", want)
		}
	}

	dir := t.TempDir()
	writeFile(t, dir+"/active.en.toml", "[greeting_vip]\nother = \"Welcome, {{.Name}}\"\n")
	writeFile(t, dir+"/active.ru.toml", "[greeting_generic]\nother = \"Привет!\"\n")
	writeFile(t, dir+"/rules.toml", "[[rule]]\nid = \"vip\"\nreply = \"greeting_vip\"\n")
	out.Reset()
	err := run(t.Context(), []string{"check"}, env(map[string]string{"LOCALES_DIR": dir, "RULES_FILE": dir + "/rules.toml"}), &out, &out)
	if err == nil {
		t.Fatal("check passed with a message missing from ru")
	}
	if !strings.Contains(out.String(), `locale ru`) || !strings.Contains(out.String(), `"greeting_vip"`) {
		t.Errorf("check output does not name the locale and the message:\n%s", out.String())
	}
}

func TestRunUnknownCommand(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := run(t.Context(), []string{"frobnicate"}, env(nil), &out, &out); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("err = %v", err)
	}
	if err := run(t.Context(), []string{"version"}, env(nil), &out, &out); err != nil || !strings.Contains(out.String(), "frontdesk") {
		t.Errorf("version: %v %q", err, out.String())
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
