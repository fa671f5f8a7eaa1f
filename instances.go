package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/frontdesk-bot/frontdesk/internal/tomlpos"
)

// instanceKeys are the names an instance's settings are written under: the
// single-instance variables, or the keys of an [[instance]] table.
type instanceKeys struct {
	id, apiURL, apiToken, webhookToken, previousToken, receiveMode string
}

var (
	envKeys  = instanceKeys{"GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN_INSTANCE", "WEBHOOK_TOKEN", "WEBHOOK_TOKEN_PREVIOUS", "RECEIVE_MODE"}
	fileKeys = instanceKeys{"id", "api_url", "api_token", "webhook_token", "webhook_token_previous", "receive_mode"}
)

// name is how messages name the instance.
func (ic instanceConfig) name() string {
	if ic.where == "" {
		return "instance " + ic.ID
	}
	return "instance " + ic.ID + " (" + ic.where + ")"
}

// checkEnvInstance reports the problems of the instance the
// single-instance variables describe, naming the variables.
func checkEnvInstance(ic instanceConfig, bad func(name, format string, args ...any)) {
	checkInstanceConfig(ic, envKeys, bad)
}

// checkInstanceConfig reports the problems of one instance's settings,
// each under the name the setting is written under.
func checkInstanceConfig(ic instanceConfig, k instanceKeys, bad func(name, format string, args ...any)) {
	if ic.ID == "" {
		bad(k.id, "required: the instance id from console.green-api.com, e.g. 1101000001")
	} else if _, err := strconv.ParseUint(ic.ID, 10, 63); err != nil {
		bad(k.id, "expected digits only, e.g. 1101000001")
	}
	if ic.APIToken == "" {
		bad(k.apiToken, "required: the instance's apiTokenInstance from console.green-api.com")
	} else if isPlaceholder(ic.APIToken) {
		bad(k.apiToken, "%q is the example's placeholder; copy your instance's apiTokenInstance from its page in console.green-api.com", ic.APIToken)
	}
	if !strings.HasPrefix(ic.APIURL, "https://") && !strings.HasPrefix(ic.APIURL, "http://") {
		bad(k.apiURL, "expected the instance's apiUrl, e.g. https://7105.api.greenapi.com")
	}
	switch ic.ReceiveMode {
	case "webhook":
		if ic.WebhookToken == "" {
			bad(k.webhookToken, "required in webhook mode: a long random secret; set the same value as webhookUrlToken in the instance's settings (console.green-api.com or the setSettings method)")
		} else if isPlaceholder(ic.WebhookToken) {
			bad(k.webhookToken, "%q is the example's placeholder, a secret everyone knows; generate one with: openssl rand -hex 24, and set the same value as webhookUrlToken in the instance's settings", ic.WebhookToken)
		} else if len(ic.WebhookToken) < minSecretLength {
			bad(k.webhookToken, "too short (%d characters); use at least %d random characters, e.g. the output of: openssl rand -hex 24", len(ic.WebhookToken), minSecretLength)
		}
		if ic.PreviousWebhookToken != "" && len(ic.PreviousWebhookToken) < minSecretLength {
			bad(k.previousToken, "too short (%d characters); it is a former webhook token, at least %d characters", len(ic.PreviousWebhookToken), minSecretLength)
		}
	case "poll":
	default:
		bad(k.receiveMode, "%q: expected webhook or poll", ic.ReceiveMode)
	}
}

// isPlaceholder reports whether a secret is still the placeholder of
// .env.example or of the deployment examples ("replace-with-…").
func isPlaceholder(secret string) bool { return strings.HasPrefix(secret, "replace-with-") }

// instanceSpec is an [[instance]] table as written.
type instanceSpec struct {
	ID                   idValue   `toml:"id"`
	APIURL               string    `toml:"api_url"`
	APIToken             string    `toml:"api_token"`
	WebhookToken         string    `toml:"webhook_token"`
	PreviousWebhookToken string    `toml:"webhook_token_previous"`
	RulesFile            *string   `toml:"rules_file"`
	LocalesDir           *string   `toml:"locales_dir"`
	DefaultLocale        *string   `toml:"default_locale"`
	OperatorChatID       *string   `toml:"operator_chat_id"`
	OperatorLocale       *string   `toml:"operator_locale"`
	NewSenderAfter       *string   `toml:"new_sender_after"`
	ReceiveMode          *string   `toml:"receive_mode"`
	HumanPause           *string   `toml:"human_pause"`
	IgnoreChats          *chatList `toml:"ignore_chats"`
}

// chatList is a list of chats written as an array of strings, or as one
// string of them separated by commas (as IGNORE_CHATS is, for ${NAME}).
type chatList []string

// UnmarshalTOML implements toml.Unmarshaler.
func (l *chatList) UnmarshalTOML(data any) error {
	switch d := data.(type) {
	case string:
		*l = chatList{d}
	case []any:
		for _, item := range d {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("expected chats as strings, e.g. [\"+49 151 2345678\", \"4930*@c.us\"], not %v", item)
			}
			*l = append(*l, s)
		}
	default:
		return fmt.Errorf("expected a list of chats, e.g. [\"+49 151 2345678\", \"4930*@c.us\"], not %v", data)
	}
	return nil
}

// idValue is an instance id written as a number or as a string.
type idValue string

// UnmarshalTOML implements toml.Unmarshaler.
func (v *idValue) UnmarshalTOML(data any) error {
	switch d := data.(type) {
	case int64:
		*v = idValue(strconv.FormatInt(d, 10))
	case string:
		*v = idValue(d)
	default:
		return fmt.Errorf("expected the instance id, e.g. 1101000001, not %v", data)
	}
	return nil
}

// envReference is a value read from the environment: ${NAME}.
var envReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// readInstances reads an instances file: one [[instance]] table per Green
// API instance. A key left out takes the value of the single-instance
// variable (defaults); a value written ${NAME} is read from the
// environment. Every problem is reported, each with the file, the line,
// the instance and the key.
func readInstances(path string, defaults instanceConfig, getenv func(string) string) ([]instanceConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseInstances(path, data, defaults, getenv)
}

func parseInstances(name string, data []byte, defaults instanceConfig, getenv func(string) string) ([]instanceConfig, error) {
	var file struct {
		Instance []instanceSpec `toml:"instance"`
	}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&file)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("%s:%d: %s", name, perr.Position.Line, perr.Message)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	at := tomlpos.Scan(data, "[[instance]]")
	var problems []error
	for _, k := range md.Undecoded() {
		problems = append(problems, fmt.Errorf("%s:%d: unknown key %q", name, at.First(k.String(), k[len(k)-1]), k.String()))
	}
	if len(file.Instance) == 0 {
		problems = append(problems, fmt.Errorf("%s: no [[instance]]: describe at least one Green API instance", name))
	}
	var out []instanceConfig
	ids := make(map[string]int)
	tokens := make(map[string]string)
	for i, spec := range file.Instance {
		instanceName := string(spec.ID)
		if instanceName == "" {
			instanceName = fmt.Sprintf("#%d", i+1)
		}
		bad := func(key, format string, args ...any) {
			problems = append(problems, fmt.Errorf("%s:%d: instance %s: %s: %s", name, at.In(i, key), instanceName, key, fmt.Sprintf(format, args...)))
		}
		// expand reads ${NAME} references; a missing variable is a problem.
		expand := func(key, v string) string {
			return envReference.ReplaceAllStringFunc(v, func(ref string) string {
				variable := envReference.FindStringSubmatch(ref)[1]
				value := getenv(variable)
				if value == "" {
					bad(key, "%s is not set in the environment", ref)
				}
				return value
			})
		}
		optional := func(key string, v *string, def string) string {
			if v == nil {
				return def
			}
			return expand(key, *v)
		}
		ic := instanceConfig{
			ID:                   expand("id", string(spec.ID)),
			APIURL:               expand("api_url", spec.APIURL),
			APIToken:             expand("api_token", spec.APIToken),
			WebhookToken:         expand("webhook_token", spec.WebhookToken),
			PreviousWebhookToken: expand("webhook_token_previous", spec.PreviousWebhookToken),
			RulesFile:            optional("rules_file", spec.RulesFile, defaults.RulesFile),
			LocalesDir:           optional("locales_dir", spec.LocalesDir, defaults.LocalesDir),
			DefaultLocale:        optional("default_locale", spec.DefaultLocale, defaults.DefaultLocale),
			OperatorChatID:       optional("operator_chat_id", spec.OperatorChatID, defaults.OperatorChatID),
			ReceiveMode:          optional("receive_mode", spec.ReceiveMode, defaults.ReceiveMode),
			NewSenderAfter:       defaults.NewSenderAfter,
			HumanPause:           defaults.HumanPause,
			Ignore:               defaults.Ignore,
			where:                fmt.Sprintf("%s:%d", name, at.In(i, "")),
		}
		ic.OperatorLocale = optional("operator_locale", spec.OperatorLocale, ic.DefaultLocale)
		if spec.OperatorLocale == nil && defaults.OperatorLocale != defaults.DefaultLocale {
			ic.OperatorLocale = defaults.OperatorLocale // OPERATOR_LOCALE set on its own
		}
		// duration reads an optional duration into d.
		duration := func(key string, v *string, d *time.Duration) {
			if v == nil {
				return
			}
			text := expand(key, *v)
			if parsed, err := parseDuration(text); err != nil || parsed < 0 {
				bad(key, "%q is not a duration; expected e.g. 14d, 36h, 90m or 0", text)
			} else {
				*d = parsed
			}
		}
		duration("new_sender_after", spec.NewSenderAfter, &ic.NewSenderAfter)
		duration("human_pause", spec.HumanPause, &ic.HumanPause)
		if spec.IgnoreChats != nil {
			var items []string
			for _, item := range *spec.IgnoreChats {
				items = append(items, expand("ignore_chats", item))
			}
			if patterns, err := ignorePatterns(strings.Join(items, ",")); err != nil {
				bad("ignore_chats", "%v; expected %s", err, ignoreExpected)
			} else {
				ic.Ignore = patterns // instead of IGNORE_CHATS
			}
		}
		checkInstanceConfig(ic, fileKeys, bad)
		if first, ok := ids[ic.ID]; ok && ic.ID != "" {
			bad("id", "instance %s is described twice (first on line %d)", ic.ID, first)
		}
		ids[ic.ID] = at.In(i, "id")
		for _, t := range [][2]string{{"webhook_token", ic.WebhookToken}, {"webhook_token_previous", ic.PreviousWebhookToken}} {
			if t[1] == "" || ic.ReceiveMode != "webhook" {
				continue
			}
			if other, ok := tokens[t[1]]; ok && other != ic.ID {
				bad(t[0], "the same as instance %s's: every instance needs its own webhook token, so that one's never opens another's webhook", other)
			}
			tokens[t[1]] = ic.ID
		}
		out = append(out, ic)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return out, nil
}
