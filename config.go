package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// config is the whole configuration, read from the environment only here.
type config struct {
	APIURL          string
	IDInstance      string
	APIToken        string
	WebhookToken    string
	Port            int
	DatabaseURL     string
	DefaultLocale   string
	OperatorChatID  string
	OperatorLocale  string
	NewSenderAfter  time.Duration
	ProfileRefresh  time.Duration
	LookupTimeout   time.Duration
	LocalesDir      string
	RulesFile       string
	ReceiveMode     string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
}

// loadConfig reads the configuration and reports every problem at once, one
// line per variable, naming what is expected.
func loadConfig(getenv func(string) string) (config, error) {
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, name+": "+fmt.Sprintf(format, args...))
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	duration := func(name, def string) time.Duration {
		v := get(name, def)
		d, err := parseDuration(v)
		if err != nil || d < 0 {
			bad(name, "%q is not a duration; expected e.g. 14d, 36h, 90m or 0", v)
		}
		return d
	}
	c := config{
		APIURL:          get("GREEN_API_URL", greenapi.DefaultAPIURL),
		IDInstance:      get("GREEN_API_ID_INSTANCE", ""),
		APIToken:        get("GREEN_API_TOKEN_INSTANCE", ""),
		WebhookToken:    get("WEBHOOK_TOKEN", ""),
		DatabaseURL:     get("DATABASE_URL", "frontdesk.db"),
		DefaultLocale:   get("DEFAULT_LOCALE", "en"),
		OperatorChatID:  get("OPERATOR_CHAT_ID", ""),
		LocalesDir:      get("LOCALES_DIR", ""),
		RulesFile:       get("RULES_FILE", ""),
		ReceiveMode:     get("RECEIVE_MODE", "webhook"),
		NewSenderAfter:  duration("NEW_SENDER_AFTER", "14d"),
		ProfileRefresh:  duration("PROFILE_REFRESH", "24h"),
		LookupTimeout:   duration("LOOKUP_TIMEOUT", "30s"),
		ShutdownTimeout: duration("SHUTDOWN_TIMEOUT", "20s"),
	}
	c.OperatorLocale = get("OPERATOR_LOCALE", c.DefaultLocale)
	if c.IDInstance == "" {
		bad("GREEN_API_ID_INSTANCE", "required: the instance id from console.green-api.com, e.g. 1101000001")
	} else if _, err := strconv.ParseInt(c.IDInstance, 10, 64); err != nil {
		bad("GREEN_API_ID_INSTANCE", "expected digits only, e.g. 1101000001")
	}
	if c.APIToken == "" {
		bad("GREEN_API_TOKEN_INSTANCE", "required: the instance's apiTokenInstance from console.green-api.com")
	}
	if !strings.HasPrefix(c.APIURL, "https://") && !strings.HasPrefix(c.APIURL, "http://") {
		bad("GREEN_API_URL", "expected the instance's apiUrl, e.g. https://7105.api.greenapi.com")
	}
	port := get("PORT", "8080")
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("PORT", "%q is not a TCP port (0 to 65535)", port)
	} else {
		c.Port = p
	}
	switch c.ReceiveMode {
	case "webhook":
		if c.WebhookToken == "" {
			bad("WEBHOOK_TOKEN", "required in webhook mode: a long random secret; set the same value as webhookUrlToken in the instance's settings (console.green-api.com or the setSettings method)")
		} else if len(c.WebhookToken) < 16 {
			bad("WEBHOOK_TOKEN", "too short (%d characters); use at least 16 random characters", len(c.WebhookToken))
		}
	case "poll":
	default:
		bad("RECEIVE_MODE", "%q: expected webhook or poll", c.ReceiveMode)
	}
	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("DATABASE_URL", "PostgreSQL is not supported yet; use a SQLite file path such as frontdesk.db")
	}
	if c.LookupTimeout == 0 {
		c.LookupTimeout = 30 * time.Second
	}
	level := get("LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		bad("LOG_LEVEL", "%q: expected debug, info, warn or error", level)
	}
	if len(problems) > 0 {
		return c, errors.New("configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return c, nil
}

// parseDuration reads a Go duration, also accepting whole days ("14d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
