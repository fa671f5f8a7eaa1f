package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const twoNumbers = `# Two numbers of one agency.
[[instance]]
id = 1101000001
api_url = "https://1101.api.greenapi.com"
api_token = "${TOKEN_1}"
webhook_token = "${WEBHOOK_1}"

[[instance]]
id = "1101000002"
api_url = "https://7105.api.greenapi.com"
api_token = "token-of-the-second-number"
webhook_token = "webhook-token-of-the-second"
default_locale = "pt"
operator_chat_id = "120363000000000002@g.us"
new_sender_after = "30d"
`

// twoNumbersOwnQuiet: the second number has its own pause and staff.
const twoNumbersOwnQuiet = twoNumbers + `human_pause = "2h"
ignore_chats = ["4930*@c.us", "+49 151 1111111"]
`

func instancesEnv(file string, extra map[string]string) map[string]string {
	e := map[string]string{"INSTANCES_FILE": file, "TOKEN_1": "token-of-the-first-number", "WEBHOOK_1": "webhook-token-of-the-first",
		"OPERATOR_CHAT_ID": "120363000000000001@g.us"}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func TestInstancesFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "instances.toml")
	writeFile(t, file, twoNumbersOwnQuiet)
	c, err := loadConfig(env(instancesEnv(file, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Instances) != 2 {
		t.Fatalf("instances = %+v", c.Instances)
	}
	first, second := c.Instances[0], c.Instances[1]
	if first.ID != "1101000001" || first.APIToken != "token-of-the-first-number" || first.WebhookToken != "webhook-token-of-the-first" ||
		first.DefaultLocale != "en" || first.OperatorChatID != "120363000000000001@g.us" || first.NewSenderAfter != 14*24*time.Hour ||
		first.ReceiveMode != "webhook" {
		t.Errorf("first = %+v; want ${} read from the environment, the rest from the single-instance defaults", first)
	}
	if second.ID != "1101000002" || second.DefaultLocale != "pt" || second.OperatorLocale != "pt" || second.NewSenderAfter != 30*24*time.Hour ||
		second.OperatorChatID != "120363000000000002@g.us" {
		t.Errorf("second = %+v", second)
	}
	if first.HumanPause != 24*time.Hour || len(first.Ignore) != 0 {
		t.Errorf("first: HUMAN_PAUSE %v, IGNORE_CHATS %v; want the defaults", first.HumanPause, first.Ignore)
	}
	if second.HumanPause != 2*time.Hour || strings.Join(second.Ignore, " ") != "4930*@c.us 491511111111@c.us" {
		t.Errorf("second: human_pause %v, ignore_chats %q; want its own", second.HumanPause, second.Ignore)
	}
	if secrets := strings.Join(c.secrets(), " "); !strings.Contains(secrets, "token-of-the-second-number") || !strings.Contains(secrets, "webhook-token-of-the-first") {
		t.Errorf("the log masker is not given every instance's tokens: %s", secrets)
	}
}

func TestInstancesFileErrorsNameFileLineInstanceAndKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		env     map[string]string
		want    []string
	}{
		{"a missing variable", twoNumbers, map[string]string{"TOKEN_1": ""},
			[]string{"INSTANCES_FILE: instances.toml:5: instance 1101000001: api_token: ${TOKEN_1} is not set in the environment"}},
		{"a shared webhook token", strings.Replace(twoNumbers, "webhook-token-of-the-second", "webhook-token-of-the-first", 1), nil,
			[]string{"instances.toml:12: instance 1101000002: webhook_token: the same as instance 1101000001's"}},
		{"an id twice", strings.Replace(twoNumbers, `"1101000002"`, "1101000001", 1), nil,
			[]string{"instances.toml:9: instance 1101000001: id: instance 1101000001 is described twice (first on line 3)"}},
		{"a bad id", strings.Replace(twoNumbers, `"1101000002"`, `"11-01"`, 1), nil,
			[]string{"instances.toml:9: instance 11-01: id: expected digits only"}},
		{"no api url", strings.Replace(twoNumbers, `api_url = "https://7105.api.greenapi.com"`, "", 1), nil,
			[]string{"instances.toml:8: instance 1101000002: api_url: expected the instance's apiUrl"}},
		{"a short webhook token", strings.Replace(twoNumbers, "webhook-token-of-the-second", "short", 1), nil,
			[]string{"instances.toml:12: instance 1101000002: webhook_token: too short (5 characters)"}},
		{"a bad duration", strings.Replace(twoNumbers, `"30d"`, `"a month"`, 1), nil,
			[]string{`instances.toml:15: instance 1101000002: new_sender_after: "a month" is not a duration`}},
		{"a bad mode", twoNumbers + "receive_mode = \"push\"\n", nil,
			[]string{`instances.toml:16: instance 1101000002: receive_mode: "push": expected webhook or poll`}},
		{"a bad pause", twoNumbers + "human_pause = \"a while\"\n", nil,
			[]string{`instances.toml:16: instance 1101000002: human_pause: "a while" is not a duration`}},
		{"a bad chat to ignore", twoNumbers + "ignore_chats = [\"+49 151\", \"[49*\"]\n", nil,
			[]string{`instances.toml:16: instance 1101000002: ignore_chats: `}},
		{"chats to ignore that are no strings", twoNumbers + "ignore_chats = [491512345678]\n", nil,
			[]string{`instances.toml:16: expected chats as strings`}},
		{"an unknown key", twoNumbers + "webhook_url = \"https://x\"\n", nil,
			[]string{`instances.toml:16: unknown key "instance.webhook_url"`}},
		{"not TOML", "[[instance]\nid = 1\n", nil, []string{"INSTANCES_FILE: instances.toml:2: expected end of table array name"}},
		{"no instance", "# nothing yet\n", nil, []string{"no [[instance]]"}},
		{"with the single-instance variables", twoNumbers, map[string]string{"GREEN_API_ID_INSTANCE": "1101000009"},
			[]string{"GREEN_API_ID_INSTANCE: set with INSTANCES_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "instances.toml")
			writeFile(t, file, tt.content)
			_, err := loadConfig(env(instancesEnv(file, tt.env)))
			if err == nil {
				t.Fatal("loaded")
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(os.PathSeparator), "")
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error:\n%s\nlacks %q", msg, want)
				}
			}
		})
	}
}

// TestCheckEveryInstance: frontdesk check reads the instances file and
// each instance's files; a mistake in one instance's rules names the
// instance, the rules file, its line and key.
func TestCheckEveryInstance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "instances.toml")
	rules := filepath.Join(dir, "shop-rules.toml")
	writeFile(t, rules, "[[rule]]\nid = \"shop\"\nreply = \"greeting_shop\"\n")
	writeFile(t, file, twoNumbers+"rules_file = \""+rules+"\"\n")
	var out strings.Builder
	err := run(t.Context(), []string{"check"}, env(instancesEnv(file, nil)), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "instance 1101000002 (") || !strings.Contains(err.Error(), "shop-rules.toml:3: rule \"shop\": reply: message \"greeting_shop\" is not in the default locale \"pt\"") {
		t.Errorf("check = %v", err)
	}
	writeFile(t, rules, "[[rule]]\nid = \"shop\"\nreply = \"greeting_generic\"\n")
	out.Reset()
	if err := run(t.Context(), []string{"check"}, env(instancesEnv(file, nil)), &out, &out); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	for _, want := range []string{"=== instances 1101000001", "=== instances 1101000002", "-- rule shop", "check: 2 instances; their locales and rules are fine"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q", want)
		}
	}
}

// TestEachNumberKeepsItsOwnQuiet: human_pause and ignore_chats of an
// [[instance]] reach that number's bot; the others keep HUMAN_PAUSE and
// IGNORE_CHATS.
func TestEachNumberKeepsItsOwnQuiet(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "instances.toml")
	writeFile(t, file, twoNumbersOwnQuiet)
	c, err := loadConfig(env(instancesEnv(file, map[string]string{"IGNORE_CHATS": "+1 212 555 0100", "HUMAN_PAUSE": "12h"})))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := loadInstances(c.Instances)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		l                 loaded
		pause             time.Duration
		ignored, answered []string
	}{
		{ls[0], 12 * time.Hour, []string{"12125550100@c.us"}, []string{"4930123456@c.us", "491511111111@c.us"}},
		{ls[1], 2 * time.Hour, []string{"4930123456@c.us", "491511111111@c.us"}, []string{"12125550100@c.us"}},
	} {
		bc := c.botConfig(tt.l)
		if bc.HumanPause != tt.pause {
			t.Errorf("%s: pause %v, want %v", tt.l.ID, bc.HumanPause, tt.pause)
		}
		for _, chat := range tt.ignored {
			if !bc.Ignore.Match(chat) {
				t.Errorf("%s: %s is answered; want it ignored", tt.l.ID, chat)
			}
		}
		for _, chat := range tt.answered {
			if bc.Ignore.Match(chat) {
				t.Errorf("%s: %s is ignored; want it answered", tt.l.ID, chat)
			}
		}
	}
}
