package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// config is the whole configuration, read from the environment (and the
// instances file) only here.
type config struct {
	// Instances are the Green API instances served: one from the
	// single-instance variables, or those of INSTANCES_FILE.
	Instances     []instanceConfig
	InstancesFile string // "" when the single-instance variables describe the one instance
	MetricsToken  string // required on /metrics when set
	AdminToken    string // opens the status page at / of ADMIN_ADDR; "" for none
	// AdminCookieSecure marks the status page's session cookie Secure on
	// every request, not only those that came over TLS.
	AdminCookieSecure bool
	Port              int
	AdminAddr         string // the operations listener: /readyz, /metrics
	ReplicaID         string // this process among the replicas on one PostgreSQL database
	EventsURL         string // where events are POSTed; "" for none
	EventsSecret      string // signs them
	DatabaseURL       string
	// The single-instance variables of the settings an instance may set:
	// the defaults of the instances file's optional keys.
	defaults        instanceConfig
	ProfileRefresh  time.Duration
	LookupTimeout   time.Duration
	KeepFinished    time.Duration // 0: forever
	KeepContacts    time.Duration // profiles, finished first contacts, dead letters, silent chats; 0: forever
	LogPhoneNumbers string        // masked or full
	InboxInMemory   int           // notifications the pool keeps in memory
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	MemoryLimit     int64 // the Go runtime's soft memory limit, in bytes; math.MaxInt64 is off
}

// instanceConfig is one Green API instance served: its credentials, its
// webhook token and its content.
type instanceConfig struct {
	ID           string // idInstance
	APIURL       string
	APIToken     string
	WebhookToken string
	// PreviousWebhookToken is also accepted while the webhook token is
	// rotated.
	PreviousWebhookToken string
	DefaultLocale        string
	OperatorChatID       string
	OperatorLocale       string
	NewSenderAfter       time.Duration
	LocalesDir           string
	RulesFile            string
	ReceiveMode          string
	// HumanPause: nothing automatic in a chat this long after a person of
	// the business wrote in it.
	HumanPause time.Duration
	// Ignore are the chats never greeted (IGNORE_CHATS): chat ids and globs.
	Ignore []string
	// where names it in messages: "" for the single-instance variables,
	// else the file and the line of its [[instance]].
	where string
}

// webhookTokens are the tokens the instance's webhook accepts: the current
// one and, during a rotation, the previous one; none in poll mode.
func (ic instanceConfig) webhookTokens() []string {
	switch {
	case ic.ReceiveMode != "webhook":
		return nil
	case ic.PreviousWebhookToken != "":
		return []string{ic.WebhookToken, ic.PreviousWebhookToken}
	}
	return []string{ic.WebhookToken}
}

// defaultMemoryLimit keeps a server with 10,000 notifications waiting under
// 60 MiB of RSS (BENCHMARKS.md); the live heap then is about 6 MiB, so the
// limit only stops the heap from growing into memory it no longer needs.
const defaultMemoryLimit = "32MiB"

// minMemoryLimit is the smallest limit accepted: below it the collector
// would run all the time for the memory an idle server needs.
const minMemoryLimit = 16 << 20

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
		InstancesFile:   get("INSTANCES_FILE", ""),
		MetricsToken:    get("METRICS_TOKEN", ""),
		AdminToken:      get("ADMIN_TOKEN", ""),
		AdminAddr:       get("ADMIN_ADDR", "127.0.0.1:9090"),
		ReplicaID:       get("REPLICA_ID", hostname()),
		EventsURL:       get("EVENTS_URL", ""),
		EventsSecret:    get("EVENTS_SECRET", ""),
		DatabaseURL:     get("DATABASE_URL", "frontdesk.db"),
		ProfileRefresh:  duration("PROFILE_REFRESH", "24h"),
		LookupTimeout:   duration("LOOKUP_TIMEOUT", "30s"),
		ShutdownTimeout: duration("SHUTDOWN_TIMEOUT", "20s"),
		KeepFinished:    duration("KEEP_NOTIFICATIONS", "7d"),
		KeepContacts:    duration("KEEP_CONTACTS", "90d"),
		LogPhoneNumbers: get("LOG_PHONE_NUMBERS", "masked"),
		defaults:        envInstance(get),
	}
	c.defaults.NewSenderAfter = duration("NEW_SENDER_AFTER", "14d")
	c.defaults.HumanPause = duration("HUMAN_PAUSE", "24h")
	if patterns, err := ignorePatterns(get("IGNORE_CHATS", "")); err != nil {
		bad("IGNORE_CHATS", "%v; expected %s", err, ignoreExpected)
	} else {
		c.defaults.Ignore = patterns
	}
	if c.KeepFinished > 0 && c.KeepFinished < 24*time.Hour {
		bad("KEEP_NOTIFICATIONS", "%v is too short: keep processed notifications at least 24h, so that one Green API delivers again is still known as a duplicate; 0 keeps them forever", c.KeepFinished)
	}
	if c.LogPhoneNumbers != "masked" && c.LogPhoneNumbers != "full" {
		bad("LOG_PHONE_NUMBERS", "%q: expected masked (491*******78@c.us) or full", c.LogPhoneNumbers)
	}
	if c.InstancesFile == "" {
		checkEnvInstance(c.defaults, bad)
		c.Instances = []instanceConfig{c.defaults}
	} else {
		for _, name := range []string{"GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN_INSTANCE", "WEBHOOK_TOKEN", "WEBHOOK_TOKEN_PREVIOUS"} {
			if get(name, "") != "" {
				bad(name, "set with INSTANCES_FILE: describe every instance in the file (a value written ${%s} there is read from this variable)", name)
			}
		}
		instances, err := readInstances(c.InstancesFile, c.defaults, getenv)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				bad("INSTANCES_FILE", "%s", line)
			}
		}
		c.Instances = instances
	}
	for _, ic := range c.Instances {
		if p := c.retentionProblem(ic); p != "" {
			bad("KEEP_CONTACTS", "%s", p)
		}
	}
	port := get("PORT", "8080")
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("PORT", "%q is not a TCP port (0 to 65535)", port)
	} else {
		c.Port = p
	}
	if c.EventsURL != "" {
		if u, err := url.Parse(c.EventsURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("EVENTS_URL", "%q: expected the http(s) URL events are POSTed to, e.g. https://crm.example.com/frontdesk", c.EventsURL)
		}
		if len(c.EventsSecret) < minSecretLength {
			bad("EVENTS_SECRET", "required with EVENTS_URL, at least %d characters: the key of the events' signature, e.g. the output of: openssl rand -hex 24", minSecretLength)
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < minSecretLength {
		bad("ADMIN_TOKEN", "too short (%d characters); use at least %d random characters, e.g. the output of: openssl rand -hex 24", len(c.AdminToken), minSecretLength)
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < minSecretLength {
		bad("METRICS_TOKEN", "too short (%d characters); use at least %d random characters, e.g. the output of: openssl rand -hex 24", len(c.MetricsToken), minSecretLength)
	}
	switch v := get("ADMIN_COOKIE_SECURE", "false"); v {
	case "true", "false":
		c.AdminCookieSecure = v == "true"
	default:
		bad("ADMIN_COOKIE_SECURE", "%q: expected true (the status page is reached over HTTPS only: its session cookie is always Secure) or false (Secure when the request came over TLS, or through a proxy that sets X-Forwarded-Proto: https)", v)
	}
	if host, port, err := net.SplitHostPort(c.AdminAddr); err != nil || port == "" {
		bad("ADMIN_ADDR", "%q: expected host:port, e.g. 127.0.0.1:9090 (0.0.0.0:9090 where the network is private, as in a pod)", c.AdminAddr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("ADMIN_ADDR", "%q: %q is not a TCP port", c.AdminAddr, port)
	} else if host == "" {
		bad("ADMIN_ADDR", "%q listens on every interface: name the host, 127.0.0.1:%s (or 0.0.0.0:%s where the network is private)", c.AdminAddr, port, port)
	}
	if isPostgres(c.DatabaseURL) {
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			bad("DATABASE_URL", "not a URL; expected postgres://user:password@host:5432/database or a SQLite file path such as frontdesk.db")
		}
	}
	if c.LookupTimeout == 0 {
		c.LookupTimeout = 30 * time.Second
	}
	inMemory := get("INBOX_IN_MEMORY", "4096")
	if n, err := strconv.Atoi(inMemory); err != nil || n < 16 {
		bad("INBOX_IN_MEMORY", "%q: expected a number of notifications, at least 16", inMemory)
	} else {
		c.InboxInMemory = n
	}
	limit := get("GOMEMLIMIT", defaultMemoryLimit)
	if n, err := parseMemoryLimit(limit); err != nil {
		bad("GOMEMLIMIT", "%q: expected a size such as 32MiB, 64MiB or 1GiB (suffixes B, KiB, MiB, GiB, TiB), or off", limit)
	} else if n < minMemoryLimit {
		bad("GOMEMLIMIT", "%q is too small; expected at least 16MiB, or off", limit)
	} else {
		c.MemoryLimit = n
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

// retentionProblem says why KEEP_CONTACTS is too short for an instance,
// or "".
func (c config) retentionProblem(ic instanceConfig) string {
	if c.KeepContacts > 0 && c.KeepContacts < ic.NewSenderAfter {
		return fmt.Sprintf("%v is shorter than the new-sender window of %s (%v): a chat forgotten earlier would be greeted again too soon; keep contacts at least as long, or 0 keeps them forever",
			c.KeepContacts, ic.name(), ic.NewSenderAfter)
	}
	return ""
}

// envInstance is the instance the single-instance variables describe,
// also the defaults of the instances file's optional keys (but
// NewSenderAfter, a duration the caller reads).
func envInstance(get func(name, def string) string) instanceConfig {
	ic := instanceConfig{
		APIURL:               get("GREEN_API_URL", greenapi.DefaultAPIURL),
		ID:                   get("GREEN_API_ID_INSTANCE", ""),
		APIToken:             get("GREEN_API_TOKEN_INSTANCE", ""),
		WebhookToken:         get("WEBHOOK_TOKEN", ""),
		PreviousWebhookToken: get("WEBHOOK_TOKEN_PREVIOUS", ""),
		DefaultLocale:        get("DEFAULT_LOCALE", "en"),
		OperatorChatID:       get("OPERATOR_CHAT_ID", ""),
		LocalesDir:           get("LOCALES_DIR", ""),
		RulesFile:            get("RULES_FILE", ""),
		ReceiveMode:          get("RECEIVE_MODE", "webhook"),
	}
	ic.OperatorLocale = get("OPERATOR_LOCALE", ic.DefaultLocale)
	return ic
}

// ignoreExpected says what IGNORE_CHATS (and ignore_chats) hold.
const ignoreExpected = "phone numbers (+49 151 2345678), chat ids (491512345678@c.us, 120650379300963@lid) or globs of them (4930*@c.us), separated by commas"

// ignorePatterns reads IGNORE_CHATS: phone numbers become chat ids, chat
// ids and globs stay; every glob must compile.
func ignorePatterns(s string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			continue
		case strings.HasSuffix(item, "@lid") && !strings.ContainsAny(item, "*?["):
			if !greenapi.IsLID(item) {
				return nil, fmt.Errorf("%q is not an @lid chat id (digits@lid, e.g. 120650379300963@lid)", item)
			}
			out = append(out, item)
		case strings.ContainsAny(item, "@*?["):
			out = append(out, item)
		default:
			chat, err := greenapi.ChatIDOf(item)
			if err != nil {
				return nil, err
			}
			out = append(out, chat)
		}
	}
	if _, err := bot.NewChatFilter(out); err != nil {
		return nil, err
	}
	return out, nil
}

// hostname is the default replica id: a pod's or a container's name.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "frontdesk"
	}
	return h
}

// minSecretLength is the shortest webhook token accepted: shorter is
// guessable, and masking it in the logs would garble ordinary words.
const minSecretLength = 16

// secrets lists the secrets in use, for the log masker: of every
// instance, its API token and, in webhook mode, its webhook tokens (in
// poll mode they are never sent nor checked).
func (c config) secrets() []string {
	s := []string{c.MetricsToken, c.AdminToken, c.EventsSecret}
	if u, err := url.Parse(c.EventsURL); err == nil && u.User != nil {
		if password, ok := u.User.Password(); ok && len(password) >= minSecretLength/2 {
			s = append(s, password) // a receiver's basic-auth password, in delivery errors
		}
	}
	if u, err := url.Parse(c.DatabaseURL); err == nil && isPostgres(c.DatabaseURL) {
		// The database's password, wherever the URL gives it, in an error
		// that quotes the URL.
		if password, ok := u.User.Password(); ok && len(password) >= minSecretLength/2 {
			s = append(s, password)
		}
		for _, key := range []string{"password", "sslpassword"} {
			if password := u.Query().Get(key); len(password) >= minSecretLength/2 {
				s = append(s, password)
			}
		}
	}
	for _, ic := range c.Instances {
		s = append(s, ic.APIToken)
		s = append(s, ic.webhookTokens()...)
	}
	return s
}

// parseMemoryLimit reads a size the way the Go runtime reads GOMEMLIMIT
// (digits, then B, KiB, MiB, GiB or TiB, or none for bytes; or "off"). The
// runtime reads the variable only from the process's environment when it
// starts, so a value from .env is applied by Frontdesk itself.
func parseMemoryLimit(s string) (int64, error) {
	if s == "off" {
		return math.MaxInt64, nil
	}
	digits := strings.TrimRight(s, "BKMGTi")
	unit := int64(1)
	switch s[len(digits):] {
	case "", "B":
	case "KiB":
		unit = 1 << 10
	case "MiB":
		unit = 1 << 20
	case "GiB":
		unit = 1 << 30
	case "TiB":
		unit = 1 << 40
	default:
		return 0, fmt.Errorf("unknown unit %q", s[len(digits):])
	}
	n, err := strconv.ParseUint(digits, 10, 63)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt64/uint64(unit) {
		return 0, fmt.Errorf("%s overflows", s)
	}
	return int64(n) * unit, nil
}

// memoryLimitText is a limit as GOMEMLIMIT would spell it, for the log.
func memoryLimitText(n int64) string {
	switch {
	case n == math.MaxInt64:
		return "off"
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	default:
		return strconv.FormatInt(n, 10) + "B"
	}
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
