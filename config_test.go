package main

import (
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/joho/godotenv"
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
	if len(c.Instances) != 1 {
		t.Fatalf("instances = %+v; want the one of the variables", c.Instances)
	}
	ic := c.Instances[0]
	if ic.ID != "1101000001" || ic.APIURL != "https://api.green-api.com" || c.Port != 8080 || c.DatabaseURL != "frontdesk.db" ||
		ic.DefaultLocale != "en" || ic.OperatorLocale != "en" || ic.NewSenderAfter != 14*24*time.Hour ||
		ic.ReceiveMode != "webhook" || c.ProfileRefresh != 24*time.Hour || c.MemoryLimit != 32<<20 ||
		c.KeepFinished != 7*24*time.Hour || c.InboxInMemory != 4096 {
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
		{"short webhook token", map[string]string{"WEBHOOK_TOKEN": "abc"}, nil, []string{"WEBHOOK_TOKEN: too short (3 characters); use at least 16", "openssl rand -hex 24"}},
		{"short previous webhook token", map[string]string{"WEBHOOK_TOKEN_PREVIOUS": "old"}, nil, []string{"WEBHOOK_TOKEN_PREVIOUS: too short (3 characters)"}},
		{"short metrics token", map[string]string{"METRICS_TOKEN": "m"}, nil, []string{"METRICS_TOKEN: too short (1 characters)", "openssl rand -hex 24"}},
		{"short admin token", map[string]string{"ADMIN_TOKEN": "admin"}, nil, []string{"ADMIN_TOKEN: too short (5 characters)", "openssl rand -hex 24"}},
		{"events without a secret", map[string]string{"EVENTS_URL": "https://crm.example.com/hook"}, nil, []string{"EVENTS_SECRET: required with EVENTS_URL"}},
		{"events to no URL", map[string]string{"EVENTS_URL": "crm.example.com", "EVENTS_SECRET": "events-secret-0123456789"}, nil, []string{"EVENTS_URL: \"crm.example.com\": expected the http(s) URL"}},
		{"admin cookie secure", map[string]string{"ADMIN_COOKIE_SECURE": "yes"}, nil, []string{`ADMIN_COOKIE_SECURE: "yes": expected true`, "X-Forwarded-Proto"}},
		{"admin address without a host", map[string]string{"ADMIN_ADDR": ":9090"}, nil, []string{"ADMIN_ADDR: \":9090\" listens on every interface", "127.0.0.1:9090"}},
		{"admin address not host:port", map[string]string{"ADMIN_ADDR": "9090"}, nil, []string{"ADMIN_ADDR: \"9090\": expected host:port"}},
		{"admin port not a port", map[string]string{"ADMIN_ADDR": "127.0.0.1:http2"}, nil, []string{"ADMIN_ADDR: \"127.0.0.1:http2\": \"http2\" is not a TCP port"}},
		{"bad url", map[string]string{"GREEN_API_URL": "7105.api.greenapi.com"}, nil, []string{"GREEN_API_URL"}},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, nil, []string{"LOG_LEVEL"}},
		{"retention too short", map[string]string{"KEEP_NOTIFICATIONS": "2h"}, nil, []string{"KEEP_NOTIFICATIONS: 2h0m0s is too short", "0 keeps them forever"}},
		{"inbox in memory", map[string]string{"INBOX_IN_MEMORY": "8"}, nil, []string{`INBOX_IN_MEMORY: "8": expected a number of notifications, at least 16`}},
		{"memory limit unit", map[string]string{"GOMEMLIMIT": "64M"}, nil, []string{`GOMEMLIMIT: "64M": expected a size such as 32MiB`}},
		{"memory limit too small", map[string]string{"GOMEMLIMIT": "4MiB"}, nil, []string{`GOMEMLIMIT: "4MiB" is too small`}},
		{"postgres", map[string]string{"DATABASE_URL": "postgres://fd:%zz@db/frontdesk"}, nil, []string{"DATABASE_URL: not a URL; expected postgres://"}},
		{"chat to ignore not an @lid id", map[string]string{"IGNORE_CHATS": "+49 151 1111111, staff@lid"}, nil, []string{`IGNORE_CHATS: "staff@lid" is not an @lid chat id (digits@lid, e.g. 120650379300963@lid)`, "120650379300963@lid) or globs"}},
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

func TestAdminCookieSecure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value string
		want  bool
	}{{"", false}, {"false", false}, {"true", true}} {
		e := validEnv()
		e["ADMIN_COOKIE_SECURE"] = tt.value
		c, err := loadConfig(env(e))
		if err != nil || c.AdminCookieSecure != tt.want {
			t.Errorf("ADMIN_COOKIE_SECURE=%q: %v, %v; want %v", tt.value, c.AdminCookieSecure, err, tt.want)
		}
	}
}

func TestMemoryLimitReadsWhatTheGoRuntimeReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64 // -1: refused
	}{
		{"off", math.MaxInt64},
		{"33554432", 32 << 20},
		{"33554432B", 32 << 20},
		{"32768KiB", 32 << 20},
		{"32MiB", 32 << 20},
		{"1GiB", 1 << 30},
		{"2TiB", 2 << 40},
		{"8388608TiB", -1}, // 2^63: overflows
		{"32M", -1},
		{"32mib", -1},
		{"32 MiB", -1},
		{"MiB", -1},
		{"-1MiB", -1},
		{"1.5GiB", -1},
		{"Off", -1},
	}
	for _, tt := range tests {
		got, err := parseMemoryLimit(tt.in)
		if tt.want < 0 {
			if err == nil {
				t.Errorf("%q: accepted as %d", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q = %d, %v; want %d", tt.in, got, err, tt.want)
		}
		if tt.want != math.MaxInt64 && tt.want%(1<<20) == 0 {
			if back, _ := parseMemoryLimit(memoryLimitText(got)); back != got {
				t.Errorf("%q logged as %q, which reads back as %d", tt.in, memoryLimitText(got), back)
			}
		}
	}
}

func FuzzParseMemoryLimit(f *testing.F) {
	for _, s := range []string{"off", "32MiB", "1GiB", "12345", "7B", "9TiB", "", "i", "KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseMemoryLimit(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("%q = %d", s, n)
		}
		if back, err := parseMemoryLimit(memoryLimitText(n)); err != nil || back != n {
			t.Fatalf("%q = %d, logged as %q, read back as %d, %v", s, n, memoryLimitText(n), back, err)
		}
	})
}

func TestDatabaseURLPasswordIsRedacted(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"frontdesk.db": "frontdesk.db",
		"postgres://fd:hunter2@db:5432/frontdesk?sslmode=require": "postgres://fd:xxxxx@db:5432/frontdesk?sslmode=require",
		"postgresql://fd@db/frontdesk":                            "postgresql://fd@db/frontdesk",
		// issue #24's item 13: the password as a parameter was logged.
		"postgres://fd@db/frontdesk?password=hunter2&sslmode=require":        "postgres://fd@db/frontdesk?password=xxxxx&sslmode=require",
		"postgres://db/frontdesk?user=fd&password=hunter2&sslpassword=key42": "postgres://db/frontdesk?password=xxxxx&sslpassword=xxxxx&user=fd",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigPollModeNeedsNoWebhookToken(t *testing.T) {
	t.Parallel()
	e := validEnv()
	delete(e, "WEBHOOK_TOKEN")
	e["RECEIVE_MODE"] = "poll"
	e["NEW_SENDER_AFTER"] = "0"
	e["KEEP_NOTIFICATIONS"] = "0"
	c, err := loadConfig(env(e))
	if err != nil || c.Instances[0].NewSenderAfter != 0 || c.KeepFinished != 0 {
		t.Errorf("poll mode: %+v, %v", c, err)
	}
}

// TestLoggerMasksOnlySecretsInUse: in poll mode the webhook token is never
// used, so it is not masked; with WEBHOOK_TOKEN=x, every "x" in the logs
// became "***" ("conte***t deadline").
func TestLoggerMasksOnlySecretsInUse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode        string
		webhookSeen bool
	}{{"poll", true}, {"webhook", false}} {
		e := validEnv()
		e["RECEIVE_MODE"] = tt.mode
		c, err := loadConfig(env(e))
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		ic := c.Instances[0]
		newLogger(&out, slog.LevelInfo, false, c.secrets()...).Info("line", "a", "context deadline exceeded "+ic.WebhookToken, "b", ic.APIToken)
		got := out.String()
		if strings.Contains(got, ic.APIToken) {
			t.Errorf("%s mode: the API token is logged: %s", tt.mode, got)
		}
		if strings.Contains(got, ic.WebhookToken) != tt.webhookSeen || !strings.Contains(got, "context deadline exceeded") {
			t.Errorf("%s mode: %s", tt.mode, got)
		}
	}
}

func TestConfigSecretsIncludeEveryTokenInUse(t *testing.T) {
	t.Parallel()
	e := validEnv()
	e["WEBHOOK_TOKEN_PREVIOUS"] = "previous-token-0123456789"
	e["METRICS_TOKEN"] = "metrics-token-0123456789"
	e["ADMIN_TOKEN"] = "admin-token-0123456789"
	e["EVENTS_URL"] = "https://frontdesk:receiver-password@crm.example.com/hook"
	e["EVENTS_SECRET"] = "events-secret-0123456789"
	c, err := loadConfig(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminAddr != "127.0.0.1:9090" {
		t.Errorf("ADMIN_ADDR default = %q", c.AdminAddr)
	}
	secrets := strings.Join(c.secrets(), " ")
	for _, want := range []string{e["GREEN_API_TOKEN_INSTANCE"], e["WEBHOOK_TOKEN"], e["WEBHOOK_TOKEN_PREVIOUS"], e["METRICS_TOKEN"], e["ADMIN_TOKEN"], e["EVENTS_SECRET"], "receiver-password"} {
		if !strings.Contains(secrets, want) {
			t.Errorf("the log masker is not given %q", want)
		}
	}
	if got := c.Instances[0].webhookTokens(); len(got) != 2 || got[0] != e["WEBHOOK_TOKEN"] {
		t.Errorf("webhook tokens = %q; want the current one first, then the previous", got)
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

// TestEnvExampleAsShippedIsRefused is issue #27's item 3: `cp .env.example
// .env && go run .` started and listened with the example's token and a
// publicly known webhook secret. Each placeholder is refused by name, one
// line each, with what to do.
func TestEnvExampleAsShippedIsRefused(t *testing.T) {
	t.Parallel()
	env, err := godotenv.Read(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadConfig(func(name string) string { return env[name] })
	if err == nil {
		t.Fatal(".env.example as shipped was accepted")
	}
	for _, want := range []string{
		`GREEN_API_TOKEN_INSTANCE: "replace-with-your-apiTokenInstance" is the example's placeholder; copy your instance's apiTokenInstance`,
		`WEBHOOK_TOKEN: "replace-with-a-long-random-secret" is the example's placeholder, a secret everyone knows; generate one with: openssl rand -hex 24`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if lines := strings.Count(err.Error(), "\n  "); lines != 2 {
		t.Errorf("%d lines; want one per placeholder:\n%v", lines, err)
	}
}

// TestIgnorePatterns: IGNORE_CHATS (and ignore_chats) takes phone numbers,
// @c.us and @lid chat ids and globs; an @lid id must be digits@lid.
func TestIgnorePatterns(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want, err string }{
		{"+49 151 1111111, 4930*@c.us", "491511111111@c.us 4930*@c.us", ""},
		{"120650379300963@lid", "120650379300963@lid", ""},
		{" 120650379300963@lid ,+1 212 555 0100", "120650379300963@lid 12125550100@c.us", ""},
		{"1206503*@lid", "1206503*@lid", ""},
		{"staff@lid", "", `"staff@lid" is not an @lid chat id`},
		{"@lid", "", `"@lid" is not an @lid chat id`},
		{"12065037930096x@lid", "", "is not an @lid chat id"},
		{"[1206@lid", "", "syntax error"},
	} {
		got, err := ignorePatterns(tt.in)
		if strings.Join(got, " ") != tt.want || (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ignorePatterns(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}
