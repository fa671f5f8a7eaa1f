package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/locales"
)

func newSandbox(t *testing.T, reload func() error) (*Sandbox, http.Handler, *greenapitest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(rules, []byte("[[rule]]\nid = \"old\"\nreply = \"greeting_generic\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := greenapitest.New(t)
	s := New(Config{Fake: fake, Operators: "120363000000000001@g.us", RulesFile: rules, LocalesDir: dir}, logtest.Logger())
	public := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	return s, s.Handler(public, reload), fake, rules
}

func do(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSandboxAPI(t *testing.T) {
	t.Parallel()
	_, h, fake, _ := newSandbox(t, func() error { return nil })
	tests := []struct {
		name, method, path, contentType, body string
		status                                int
		contains                              string
	}{
		{"the page", "GET", "/", "", "", 200, `id="persona-select"`},
		{"a message", "POST", "/sandbox/message", "application/json", `{"persona":{"phone":"+55 11 98765-4321","name":"Ana","business":true,"category":"Restaurante","products":[{"name":"Feijoada","price":"45.00"},{"name":"Secret","hidden":true}]},"text":"Olá"}`, 200, `"chat":"5511987654321@c.us"`},
		{"a call nobody picks up", "POST", "/sandbox/call", "application/json", `{"persona":{"phone":"+55 11 98765-4322","name":"Bia"}}`, 200, `"chat":"5511987654322@c.us"`},
		{"a call from a bad phone", "POST", "/sandbox/call", "application/json", `{"persona":{"phone":"call me"}}`, 400, "not a phone number"},
		{"not JSON: another site's form", "POST", "/sandbox/message", "application/x-www-form-urlencoded", `persona=x`, 415, ""},
		{"a bad phone", "POST", "/sandbox/message", "application/json", `{"persona":{"phone":"call me"},"text":"hi"}`, 400, "not a phone number"},
		{"nothing written", "POST", "/sandbox/message", "application/json", `{"persona":{"phone":"+7 900 1234567"},"text":"  "}`, 400, "write something"},
		{"an unknown fault", "POST", "/sandbox/fault", "application/json", `{"name":"meteor","on":true}`, 400, "no fault"},
		{"a locale outside the directory", "POST", "/sandbox/config", "application/json", `{"file":"locale","locale":"../../etc","text":"x"}`, 400, "not a language code"},
		{"the webhook goes to the service", "POST", "/webhook", "application/json", `{}`, http.StatusTeapot, ""},
	}
	for _, tt := range tests {
		rec := do(h, tt.method, tt.path, tt.contentType, tt.body)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("%s: %d %q; want %d containing %q", tt.name, rec.Code, rec.Body.String(), tt.status, tt.contains)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", tt.name, csp)
		}
	}
	// The message went through Green API's queue, with the persona as its
	// profile, and so did the call's two statuses.
	if n := fake.QueueLen(); n != 3 {
		t.Errorf("%d notifications queued, want the customer's message and their call's offer and missed", n)
	}
	client, _ := greenapi.NewClient(fake.Config())
	info, err := client.GetContactInfo(t.Context(), "5511987654321@c.us")
	if err != nil || info.Category != "Restaurante" || len(info.Products) != 2 || !info.Products[1].IsHidden || info.Products[0].Price.String() != "45.00" {
		t.Errorf("getContactInfo = %+v, %v; want the persona", info, err)
	}
}

// TestSandboxEditKeepsTheOldFileOnAMistake: an edit the service refuses
// is answered with its error, and the file is put back as it was.
func TestSandboxEditKeepsTheOldFileOnAMistake(t *testing.T) {
	t.Parallel()
	refuse := true
	_, h, _, rules := newSandbox(t, func() error {
		if refuse {
			return errors.New(`/tmp/x/rules.toml:3: rule "new": reply: message "nope" is not in the default locale "en"`)
		}
		return nil
	})
	before, _ := os.ReadFile(rules)
	rec := do(h, "POST", "/sandbox/config", "application/json", `{"file":"rules","text":"[[rule]]\nid = \"new\"\nreply = \"nope\"\n"}`)
	after, _ := os.ReadFile(rules)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `rules.toml:3: rule \"new\": reply`) || string(after) != string(before) {
		t.Errorf("refused edit: %d %s; file now %q", rec.Code, rec.Body.String(), after)
	}
	refuse = false
	rec = do(h, "POST", "/sandbox/config", "application/json", `{"file":"rules","text":"[[rule]]\nid = \"new\"\nreply = \"\"\n"}`)
	after, _ = os.ReadFile(rules)
	if rec.Code != http.StatusOK || !strings.Contains(string(after), `id = "new"`) {
		t.Errorf("accepted edit: %d %s; file now %q", rec.Code, rec.Body.String(), after)
	}
	// A locale file the page reads: the shipped one until edited.
	rec = do(h, "GET", "/sandbox/config?locale=pt", "", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "greeting_business") {
		t.Errorf("the Portuguese texts: %d %s", rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
	}
}

// TestSandboxMenuExampleIsValid: the example the page offers loads as
// rules with the shipped locales, and offers a menu.
func TestSandboxMenuExampleIsValid(t *testing.T) {
	t.Parallel()
	catalog, err := bot.LoadCatalog("en", locales.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := bot.ParseRules("rules.toml", []byte(MenuExample), catalog)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.List) != 1 || len(rules.List[0].Choices) != 3 {
		t.Errorf("rules %+v; want one rule with three choices", rules.List)
	}
}

// TestSandboxRemindersExampleIsValid: the reminders example the page
// offers loads with the shipped locales, reminds after a minute and
// escalates to the sandbox's operators' chat.
func TestSandboxRemindersExampleIsValid(t *testing.T) {
	t.Parallel()
	catalog, err := bot.LoadCatalog("en", locales.Files, "")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := bot.ParseRules("rules.toml", []byte(fmt.Sprintf(RemindersExample, "120363000000000001@g.us")), catalog)
	if err != nil {
		t.Fatal(err)
	}
	if r := rules.Reminders; r.AnswerWithin != time.Minute || r.EscalateTo != "120363000000000001@g.us" || r.HoldMessage != "hold" {
		t.Errorf("reminders %+v; want one after a minute, escalated to the operators' chat, with the hold message", r)
	}
}

// TestSandboxTaps: a poll or buttons Frontdesk sent can be tapped: the
// vote or the tap goes through Green API's queue, answering that message;
// an option or a message that is not there is refused; the fault refuses
// polls and buttons at the fake.
func TestSandboxTaps(t *testing.T) {
	t.Parallel()
	_, h, fake, _ := newSandbox(t, func() error { return nil })
	client, _ := greenapi.NewClient(fake.Config())
	const chat = "12125550180@c.us"
	id, err := client.SendPoll(t.Context(), greenapi.SendPollParams{ChatID: chat, Message: "?", Options: []greenapi.PollOptionName{{OptionName: "Sales"}, {OptionName: "Support"}}})
	if err != nil {
		t.Fatal(err)
	}
	queued := fake.QueueLen()
	for _, tt := range []struct {
		body, want string
		status     int
	}{
		{`{"phone":"+1 212 555 0180","name":"Ana","id_message":"` + id + `","option":1}`, `"id_message"`, 200},
		{`{"phone":"+1 212 555 0180","id_message":"` + id + `","option":5}`, "no such option", 400},
		{`{"phone":"+1 212 555 0180","id_message":"BAE5NOPE","option":0}`, "no such poll", 400},
	} {
		if rec := do(h, "POST", "/sandbox/tap", "application/json", tt.body); rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s: %d %s; want %d %q", tt.body, rec.Code, rec.Body.String(), tt.status, tt.want)
		}
	}
	if n := fake.QueueLen(); n != queued+1 {
		t.Errorf("%d notifications queued after the tap; want %d", n, queued+1)
	}
	if rec := do(h, "POST", "/sandbox/fault", "application/json", `{"name":"polls_refused","on":true}`); rec.Code != 200 {
		t.Fatalf("fault: %d %s", rec.Code, rec.Body.String())
	}
	if _, err := client.SendPoll(t.Context(), greenapi.SendPollParams{ChatID: chat, Message: "?", Options: []greenapi.PollOptionName{{OptionName: "a"}, {OptionName: "b"}}}); greenapi.KindOf(err) != greenapi.ContactRefused {
		t.Errorf("with the fault, sendPoll: %v; want refused for good", err)
	}
}
