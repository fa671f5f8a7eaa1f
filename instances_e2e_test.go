package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// number is one WhatsApp number of a multi-instance test: its fake Green
// API instance and the webhook token Frontdesk expects from it.
type number struct {
	fake         *greenapitest.Server
	webhookToken string
}

// newNumber starts the fake instance id.
func newNumber(t *testing.T, id string) number {
	return number{
		fake:         greenapitest.New(t, greenapitest.WithInstance(id, "api-token-of-"+id+"-0123456789")),
		webhookToken: "webhook-token-of-" + id + "-0123456789",
	}
}

// instanceTable is the [[instance]] table of n, with extra lines.
func (n number) instanceTable(extra ...string) string {
	return fmt.Sprintf("[[instance]]\nid = %s\napi_url = %q\napi_token = %q\nwebhook_token = %q\n%s\n",
		n.fake.IDInstance, n.fake.URL, n.fake.Token, n.webhookToken, strings.Join(extra, "\n"))
}

// writeFile writes a test's file, replacing it at once (as an editor or a
// ConfigMap update does), so that a reader never sees half of it.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startInstances runs the binary with an instances file instead of the
// single-instance variables.
func startInstances(t *testing.T, file, db string, extra ...string) *program {
	t.Helper()
	// The single-instance variables start() sets are emptied: they and
	// INSTANCES_FILE exclude each other. start() needs a fake for them.
	unused := greenapitest.New(t)
	return start(t, unused, 0, db, append([]string{"INSTANCES_FILE=" + file, "GREEN_API_ID_INSTANCE=", "GREEN_API_TOKEN_INSTANCE=",
		"WEBHOOK_TOKEN=", "GREEN_API_URL="}, extra...)...)
}

// TestEndToEndTwoNumbers is issue #12's proof through the webhook: two
// numbers (two fake Green API instances) served by one process from an
// instances file. The same customer writing to both is a new sender to
// each, greeted by each number with its own rules and language; one
// number's token never opens the other's webhook; and the file is changed
// (a locale text), extended (a third number) and cut (the second removed)
// while a stream of new senders writes to the first: each of those is
// greeted exactly once, and a broken file leaves the running configuration.
func TestEndToEndTwoNumbers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b, c := newNumber(t, "1101000001"), newNumber(t, "1101000002"), newNumber(t, "1101000003")
	// B: a shop with its own rules and texts, in German, with its own operators.
	bLocales := filepath.Join(dir, "b-locales")
	if err := os.Mkdir(bLocales, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bLocales, "active.de.toml"), "[greeting_shop]\nother = \"Willkommen im Laden B, {{.Name}}!\"\n")
	bRules := filepath.Join(dir, "b-rules.toml")
	writeFile(t, bRules, "[[rule]]\nid = \"shop\"\nreply = \"greeting_shop\"\nforward = true\ntag = \"shop\"\n")
	const bOperators = "120363000000000002@g.us"
	bTable := b.instanceTable(`rules_file = "`+bRules+`"`, `locales_dir = "`+bLocales+`"`, `default_locale = "de"`,
		`operator_chat_id = "`+bOperators+`"`)
	// B's API token is read from the environment.
	bTable = strings.Replace(bTable, fmt.Sprintf("api_token = %q", b.fake.Token), `api_token = "${B_API_TOKEN}"`, 1)
	file := filepath.Join(dir, "instances.toml")
	writeFile(t, file, a.instanceTable()+bTable)

	p := startInstances(t, file, filepath.Join(dir, "fd.db"), "B_API_TOKEN="+b.fake.Token, "LOOKUP_TIMEOUT=2s")
	t.Cleanup(func() {
		assertNoSecrets(t, p.logs.String(), a.fake.Token, b.fake.Token, c.fake.Token, a.webhookToken, b.webhookToken, c.webhookToken)
	})
	// A posts to /webhook/{idInstance}, B and C to /webhook.
	a.fake.DeliverWebhooks(p.url+"/webhook/"+a.fake.IDInstance, a.webhookToken, 50*time.Millisecond, 5*time.Second)
	b.fake.DeliverWebhooks(p.url+"/webhook", b.webhookToken, 50*time.Millisecond, 5*time.Second)
	c.fake.DeliverWebhooks(p.url+"/webhook", c.webhookToken, 50*time.Millisecond, 5*time.Second)

	// One customer, from Japan (no Japanese locale: each number's default), writes to both.
	const aiko = "819012345678@c.us"
	a.fake.PushIncoming(greenapitest.Incoming{ChatID: aiko, SenderName: "Aiko", Text: "hello"})
	b.fake.PushIncoming(greenapitest.Incoming{ChatID: aiko, SenderName: "Aiko", Text: "hello"})
	if sent := a.fake.WaitSent(aiko, 1, 10*time.Second); len(sent) != 1 || sent[0].Message != "Hello, Aiko! Thank you for your message. How can we help?" {
		t.Errorf("A sent %+v; want A's English greeting", sent)
	}
	if sent := b.fake.WaitSent(aiko, 1, 10*time.Second); len(sent) != 1 || sent[0].Message != "Willkommen im Laden B, Aiko!" {
		t.Errorf("B sent %+v; want B's own German greeting", sent)
	}
	if sent := b.fake.WaitSent(bOperators, 1, 10*time.Second); len(sent) != 1 || !strings.Contains(sent[0].Message, "Aiko") {
		t.Errorf("B's operators got %+v; want the summary", sent)
	}
	if got := a.fake.Sent(bOperators); len(got) != 0 {
		t.Errorf("A sent to B's operators: %+v", got)
	}
	if !strings.Contains(p.logs.String(), `"instance":"1101000002"`) {
		t.Error("no log line names instance 1101000002")
	}

	// Token isolation: A's token opens neither B's path nor a body of B's.
	post := func(path, token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	_, bBody := b.fake.NewIncoming(greenapitest.Incoming{ChatID: "33612345678@c.us", Text: "forged"})
	for _, tt := range []struct {
		name, path, token, body string
	}{
		{"A's token at B's path", "/webhook/" + b.fake.IDInstance, a.webhookToken, string(bBody)},
		{"A's token with B's body", "/webhook", a.webhookToken, string(bBody)},
		{"A's token with B's body at A's path", "/webhook/" + a.fake.IDInstance, a.webhookToken, string(bBody)},
		{"an unknown instance", "/webhook/1101000099", a.webhookToken, "{}"},
	} {
		if got := post(tt.path, tt.token, tt.body); got != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", tt.name, got)
		}
	}

	// A stream of new senders to A while the file changes three times.
	var (
		mu      sync.Mutex
		streamd []string
	)
	stop := make(chan struct{})
	streaming := make(chan struct{})
	go func() {
		defer close(streaming)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			chat := fmt.Sprintf("1212555%04d@c.us", i)
			a.fake.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "hi"})
			mu.Lock()
			streamd = append(streamd, chat)
			mu.Unlock()
		}
	}()
	reloads := func() int { return strings.Count(p.logs.String(), `"msg":"configuration reloaded"`) }

	// 1. Change: B's text, seen without a signal (the file watch).
	writeFile(t, filepath.Join(bLocales, "active.de.toml"), "[greeting_shop]\nother = \"Willkommen zurück im Laden B, {{.Name}}!\"\n")
	waitFor(t, "the changed locale file to be reloaded", 10*time.Second, func() bool { return reloads() >= 1 })
	b.fake.PushIncoming(greenapitest.Incoming{ChatID: "4915112345678@c.us", SenderName: "Jonas", Text: "hallo"})
	if sent := b.fake.WaitSent("4915112345678@c.us", 1, 10*time.Second); len(sent) != 1 || sent[0].Message != "Willkommen zurück im Laden B, Jonas!" {
		t.Errorf("after the change B sent %+v; want the new text", sent)
	}

	// 2. Add C, on SIGHUP.
	writeFile(t, file, a.instanceTable()+bTable+c.instanceTable())
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "C to be added", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), `"added":1`) })
	c.fake.PushIncoming(greenapitest.Incoming{ChatID: aiko, SenderName: "Aiko", Text: "hello"})
	if sent := c.fake.WaitSent(aiko, 1, 10*time.Second); len(sent) != 1 {
		t.Errorf("C sent %+v; want a greeting to a sender new to C", sent)
	}

	// 3. A broken file: refused, named by file and line; everything goes on.
	writeFile(t, file, a.instanceTable()+"[[instance]]\nid = 1101000004\napi_url = \"ftp://x\"\n")
	waitFor(t, "the broken file to be refused", 10*time.Second, func() bool {
		return strings.Contains(p.logs.String(), `"msg":"configuration not reloaded: the running one stays"`)
	})
	if logs := p.logs.String(); !strings.Contains(logs, "instances.toml:") || !strings.Contains(logs, "instance 1101000004: api_url") {
		t.Errorf("the refusal does not name the file, line, instance and key")
	}
	c.fake.PushIncoming(greenapitest.Incoming{ChatID: "4915112345679@c.us", Text: "hallo"})
	if sent := c.fake.WaitSent("4915112345679@c.us", 1, 10*time.Second); len(sent) != 1 {
		t.Errorf("C after a broken file sent %+v; want it still served", sent)
	}

	// 4. Remove B: its webhook refuses; A and C go on.
	writeFile(t, file, a.instanceTable()+c.instanceTable())
	waitFor(t, "B to be removed", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), `"removed":1`) })
	if got := post("/webhook", b.webhookToken, string(bBody)); got != http.StatusUnauthorized {
		t.Errorf("B's webhook after its removal: %d, want 401", got)
	}
	waitFor(t, "B's bot to stop", 10*time.Second, func() bool {
		return strings.Contains(p.logs.String(), `"msg":"instance removed: its notifications are all worked","instance":"1101000002"`)
	})

	close(stop)
	<-streaming
	mu.Lock()
	chats := streamd
	mu.Unlock()
	missing, twice := 0, 0
	for _, chat := range chats {
		if sent := a.fake.WaitSent(chat, 1, 10*time.Second); len(sent) == 0 {
			missing++
		}
	}
	time.Sleep(300 * time.Millisecond) // let a second greeting surface, if any
	for _, chat := range chats {
		if len(a.fake.Sent(chat)) > 1 {
			twice++
		}
	}
	t.Logf("RELIABILITY instances: %d new senders to A during 3 reloads (change, add, remove) and a refused file: %d never greeted, %d greeted twice", len(chats), missing, twice)
	if missing+twice != 0 || len(chats) < 20 {
		t.Errorf("of %d senders streamed during the reloads, %d never greeted, %d twice", len(chats), missing, twice)
	}
	p.stop(t)
}
