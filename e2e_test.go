package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// e2eDatabasePassword is the password TestEndToEndOnPostgreSQL puts in
// DATABASE_URL; no log line may show it.
const e2eDatabasePassword = "s3cret-db-pw"

// binary is the real program, built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "frontdesk-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "frontdesk")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building frontdesk: %v\n%s", err, out)
		os.Exit(1)
	}
	code := logtest.Main(m, greenapitest.DefaultToken, e2eWebhookToken, validEnv()["WEBHOOK_TOKEN"], "wrong-token-value", e2eDatabasePassword)
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	e2eWebhookToken = "e2e-webhook-token-0123456789abcdef"
	e2eOperatorChat = "120363000000000099@g.us"
)

// program is one run of the real binary.
type program struct {
	cmd   *exec.Cmd
	url   string // the public listener: the webhook
	admin string // the operations listener: /readyz, /metrics
	logs  *logBuffer
	done  chan struct{}
}

// logBuffer keeps everything the program logged.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// freePort returns a loopback port that was free a moment ago, so that a
// restarted program can listen where Green API already delivers.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs the binary against the fake and waits until it listens.
// replicaIDs numbers the processes the tests start.
var replicaIDs atomic.Int64

// replicaID names a test's process: a restart on the same port is the same
// replica coming back (as a restarted container keeps its host name); on
// port 0 each process is a new one.
func replicaID(port int) string {
	if port != 0 {
		return fmt.Sprintf("e2e-port-%d", port)
	}
	return fmt.Sprintf("e2e-%d", replicaIDs.Add(1))
}

func start(t *testing.T, fake *greenapitest.Server, port int, dbPath string, extra ...string) *program {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Dir = t.TempDir() // no .env there
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"GREEN_API_URL=" + fake.URL,
		"GREEN_API_ID_INSTANCE=" + fake.IDInstance,
		"GREEN_API_TOKEN_INSTANCE=" + fake.Token,
		"WEBHOOK_TOKEN=" + e2eWebhookToken,
		"OPERATOR_CHAT_ID=" + e2eOperatorChat,
		"DATABASE_URL=" + dbPath,
		fmt.Sprintf("PORT=%d", port),
		"LOG_LEVEL=debug",
		"SHUTDOWN_TIMEOUT=5s",
		"ADMIN_ADDR=127.0.0.1:0",
		"REPLICA_ID=" + replicaID(port), // processes on one database are replicas
	}, extra...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &program{cmd: cmd, logs: &logBuffer{}, done: make(chan struct{})}
	listening := make(chan [2]string, 1)
	go func() {
		scanner := bufio.NewScanner(stderr)
		scanner.Buffer(make([]byte, 1<<20), 1<<20)
		for scanner.Scan() {
			line := scanner.Text()
			p.logs.add(line)
			fmt.Fprintln(logtest.Writer(), line)
			if strings.Contains(line, `"frontdesk listening"`) {
				var entry struct {
					Addr      string
					AdminAddr string `json:"admin_addr"`
				}
				_ = json.Unmarshal([]byte(line), &entry)
				listening <- [2]string{entry.Addr, entry.AdminAddr}
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		assertNoSecrets(t, p.logs.String(), fake.Token, e2eWebhookToken)
	})
	select {
	case addrs := <-listening:
		_, port, _ := net.SplitHostPort(addrs[0])
		p.url = "http://127.0.0.1:" + port
		p.admin = "http://" + addrs[1]
	case <-p.done:
		t.Fatalf("frontdesk exited before listening:\n%s", p.logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("frontdesk did not start:\n%s", p.logs)
	}
	return p
}

func (p *program) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *program) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("frontdesk did not stop on SIGTERM:\n%s", p.logs)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

func assertNoSecrets(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a secret appears in the logs")
		}
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEndToEndReplies(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	fake.SetContact("79001234567@c.us", greenapi.ContactInfo{Name: "Дилер", Category: "Автосалон",
		Products: []greenapi.Product{{Name: "Замена масла"}, {Name: "ТО"}, {Name: "Секрет", IsHidden: true}}})
	fake.SetContact("5511987654321@c.us", greenapi.ContactInfo{Name: "Maria"})
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"))
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)

	fake.PushIncoming(greenapitest.Incoming{ChatID: "79001234567@c.us", Text: "Здравствуйте, есть запчасти?"})
	fake.PushIncoming(greenapitest.Incoming{ChatID: "79001234567@c.us", Text: "Алло?"})
	fake.PushIncoming(greenapitest.Incoming{ChatID: "5511987654321@c.us", Text: "Oi"})
	fake.PushIncoming(greenapitest.Incoming{ChatID: "120363000000000123@g.us", Sender: "12125550000@c.us", Text: "hi group"})
	fake.PushOutgoing("12125550001@c.us", "Hello from the shop's phone")
	fake.PushIncoming(greenapitest.Incoming{ChatID: "12125550001@c.us", Text: "Thanks!"})

	ru := fake.WaitSent("79001234567@c.us", 1, 10*time.Second)
	if len(ru) != 1 || !strings.HasPrefix(ru[0].Message, "Здравствуйте, Дилер! Спасибо, что написали нам. В вашем каталоге 2 товара:\n• Замена масла\n• ТО\n") {
		t.Errorf("Russian business greeting = %+v", ru)
	}
	pt := fake.WaitSent("5511987654321@c.us", 1, 10*time.Second)
	if len(pt) != 1 || pt[0].Message != "Olá, Maria! Obrigado pela sua mensagem. Como podemos ajudar?" {
		t.Errorf("Portuguese greeting = %+v", pt)
	}
	summary := fake.WaitSent(e2eOperatorChat, 1, 10*time.Second)
	if len(summary) != 1 || !strings.Contains(summary[0].Message, "Phone: +7 900 123-45-67") || strings.Contains(summary[0].Message, "Секрет") {
		t.Errorf("operator summary = %+v", summary)
	}
	if !fake.WaitQueueEmpty(10 * time.Second) {
		t.Fatal("Green API's queue was not drained")
	}
	time.Sleep(300 * time.Millisecond) // let any wrong reply surface
	if n := len(fake.Sent()); n != 3 {
		t.Errorf("sent %d messages, want 3 (two greetings, one summary): %+v", n, fake.Sent())
	}
	for _, d := range fake.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("a delivery was answered %d", d.Status)
		}
	}

	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.url, "http://"))
	if err := run(t.Context(), []string{"healthcheck"}, env(map[string]string{"PORT": port}), io.Discard, logtest.Writer()); err != nil {
		t.Errorf("healthcheck: %v", err)
	}
	resp, err := http.Get(p.admin + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "authorized") {
		t.Errorf("/readyz = %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(p.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`frontdesk_first_contacts_total{locale="ru",rule="business-with-catalogue",tag="business-lead"} 1`,
		`frontdesk_messages_sent_total{kind="reply"} 2`, `frontdesk_greenapi_calls_total{method="getContactInfo",status="200"} 2`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	p.stop(t)
}

// TestEndToEndGreenAPIDownPausesCallsAndReadyzSaysSo: with every call of
// Green API failing (500), the service's guard probes getStateInstance,
// pauses, and says so in /readyz and /metrics; once Green API answers
// again it resumes by itself and every new sender is greeted once.
func TestEndToEndGreenAPIDownPausesCallsAndReadyzSaysSo(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"), "LOOKUP_TIMEOUT=2s")
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	methods := []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory, greenapi.MethodGetStateInstance}
	for _, m := range methods {
		fake.FailRandomly(m, 1, greenapitest.Fault{Status: 500})
	}
	chats := []string{"12125550101@c.us", "12125550102@c.us", "12125550103@c.us", "12125550104@c.us", "12125550105@c.us", "12125550106@c.us"}
	for _, c := range chats {
		fake.PushIncoming(greenapitest.Incoming{ChatID: c, Text: "hi"})
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(p.admin + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	waitFor(t, "/readyz to say calls are paused", 15*time.Second, func() bool {
		code, body := get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, `"`+fake.IDInstance+`":"calls paused:`)
	})
	if _, body := get("/metrics"); !strings.Contains(body, `frontdesk_greenapi_paused{id_instance="`+fake.IDInstance+`"} 1`) {
		t.Errorf("/metrics does not show the pause")
	}
	for _, m := range methods {
		fake.FailRandomly(m, 0)
	}
	waitFor(t, "/readyz to be ready again", 15*time.Second, func() bool { code, _ := get("/readyz"); return code == http.StatusOK })
	for _, c := range chats {
		if sent := fake.WaitSent(c, 1, 10*time.Second); len(sent) != 1 {
			t.Errorf("%s greeted %d times", c, len(sent))
		}
	}
	if _, body := get("/metrics"); !strings.Contains(body, `frontdesk_greenapi_paused{id_instance="`+fake.IDInstance+`"} 0`) {
		t.Errorf("/metrics still shows a pause")
	}
	logs := p.logs.String()
	if pauses, resumes := strings.Count(logs, "pausing calls"), strings.Count(logs, "resuming calls"); pauses != 1 || resumes != 1 {
		t.Errorf("%d pause and %d resume lines; want one each", pauses, resumes)
	}
	p.stop(t)
}

func TestEndToEndKilledMidFirstContact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		setup  func(*greenapitest.Server)
		killAt func(*greenapitest.Server) bool
		undo   func(*greenapitest.Server)
	}{
		{
			name:   "while looking the sender up",
			setup:  func(f *greenapitest.Server) { f.SetLatency(greenapi.MethodGetContactInfo, time.Hour) },
			killAt: func(f *greenapitest.Server) bool { return len(f.Calls(greenapi.MethodGetContactInfo)) == 1 },
			undo:   func(f *greenapitest.Server) { f.SetLatency(greenapi.MethodGetContactInfo, 0) },
		},
		{
			name:   "after the greeting went out, before it was recorded",
			setup:  func(f *greenapitest.Server) { f.SetAnswerDelay(greenapi.MethodSendMessage, time.Hour) },
			killAt: func(f *greenapitest.Server) bool { return len(f.Sent("12125550100@c.us")) == 1 },
			undo:   func(f *greenapitest.Server) { f.SetAnswerDelay(greenapi.MethodSendMessage, 0) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := greenapitest.New(t)
			chat := "12125550100@c.us"
			fake.SetContact(chat, greenapi.ContactInfo{Name: "Acme Supplies", Category: "Wholesale"})
			port := freePort(t)
			db := filepath.Join(t.TempDir(), "fd.db")
			p := start(t, fake, port, db)
			fake.DeliverWebhooks(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
			tt.setup(fake)
			fake.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "Hello"})
			waitFor(t, "the moment to kill", 10*time.Second, func() bool { return tt.killAt(fake) })
			time.Sleep(100 * time.Millisecond)
			p.kill()
			tt.undo(fake)

			start(t, fake, port, db)
			fake.WaitSent(e2eOperatorChat, 1, 15*time.Second)
			if !fake.WaitQueueEmpty(10 * time.Second) {
				t.Fatal("Green API's queue was not drained after the restart")
			}
			time.Sleep(300 * time.Millisecond)
			if greetings := fake.Sent(chat); len(greetings) != 1 {
				t.Errorf("the greeting arrived %d times, want exactly once", len(greetings))
			}
			if summaries := fake.Sent(e2eOperatorChat); len(summaries) != 1 {
				t.Errorf("the summary arrived %d times, want exactly once", len(summaries))
			}
		})
	}
}

func TestEndToEndFlood(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	db := filepath.Join(t.TempDir(), "fd.db")
	p := start(t, fake, 0, db, "LOOKUP_TIMEOUT=2s", "LOG_LEVEL=info")
	const senders, perSender = 200, 5
	for i := range senders {
		chat := fmt.Sprintf("1212555%04d@c.us", i)
		if i%4 == 0 {
			fake.SetContact(chat, greenapi.ContactInfo{Name: fmt.Sprint("Shop ", i), Category: "Retail",
				Products: []greenapi.Product{{Name: "Thing"}}})
		}
	}
	// Interleave the senders as a busy account would see them.
	for m := range perSender {
		for i := range senders {
			fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212555%04d@c.us", i), Text: fmt.Sprint("message ", m)})
		}
	}
	start := time.Now()
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	deadline := time.Now().Add(90 * time.Second)
	greeted := func() int {
		chats := map[string]bool{}
		for _, m := range fake.Sent() {
			chats[m.ChatID] = true
		}
		delete(chats, e2eOperatorChat)
		return len(chats)
	}
	for greeted() < senders || fake.QueueLen() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 90s: %d messages sent, %d notifications still queued at Green API, %d deliveries\n%s",
				len(fake.Sent()), fake.QueueLen(), len(fake.Deliveries()), tail(p.logs.String(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("1,000 notifications from 200 senders greeted in %v", time.Since(start).Round(time.Millisecond))
	// The summaries (of the businesses, and of every sender greeted without
	// the profile) and the echoes of every message sent follow the
	// greetings: wait until Green API has nothing left to deliver and the
	// inbox nothing left to work.
	reader, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	waitFor(t, "the inbox to drain", 60*time.Second, func() bool {
		var unfinished int
		if err := reader.QueryRow(`SELECT count(*) FROM notifications WHERE finished_at IS NULL`).Scan(&unfinished); err != nil {
			return false
		}
		return unfinished == 0 && fake.QueueLen() == 0
	})
	for i := range senders {
		chat := fmt.Sprintf("1212555%04d@c.us", i)
		if n := len(fake.Sent(chat)); n != 1 {
			t.Errorf("%s got %d greetings, want 1", chat, n)
		}
	}
	// Lookups run at Green API's 1 per second; past LOOKUP_TIMEOUT a
	// sender is greeted without the profile and, its profile unknown,
	// summarised all the same: every summary goes once.
	summaries := map[string]int{}
	for _, m := range fake.Sent(e2eOperatorChat) {
		summaries[m.Message]++
	}
	for text, n := range summaries {
		if n != 1 {
			t.Errorf("summary sent %d times: %q", n, text)
		}
	}
	if lookups := len(fake.Calls(greenapi.MethodGetContactInfo)); lookups > senders {
		t.Errorf("%d lookups for %d new senders", lookups, senders)
	}
	p.stop(t)

	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var incoming, unfinished int
	if err := conn.QueryRow(`SELECT count(*) FROM notifications WHERE type_webhook = 'incomingMessageReceived'`).Scan(&incoming); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(`SELECT count(*) FROM notifications WHERE finished_at IS NULL`).Scan(&unfinished); err != nil {
		t.Fatal(err)
	}
	if incoming != senders*perSender || unfinished != 0 {
		t.Errorf("stored %d incoming notifications (want %d), %d unfinished (want 0)", incoming, senders*perSender, unfinished)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func TestEndToEndPollMode(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	fake.SetContact("4915112345678@c.us", greenapi.ContactInfo{Name: "Jonas"})
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"), "RECEIVE_MODE=poll", "WEBHOOK_TOKEN=")
	fake.PushIncoming(greenapitest.Incoming{ChatID: "4915112345678@c.us", Text: "Hallo"})
	sent := fake.WaitSent("4915112345678@c.us", 1, 15*time.Second)
	if len(sent) != 1 || sent[0].Message != "Hallo, Jonas! Danke für Ihre Nachricht. Wie können wir helfen?" {
		t.Errorf("sent %+v", sent)
	}
	if !fake.WaitQueueEmpty(15 * time.Second) {
		t.Errorf("%d notifications left in Green API's queue: polled ones must be deleted once stored", fake.QueueLen())
	}
	resp, err := http.Post(p.url+"/webhook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /webhook in poll mode = %d, want 401: no token opens a polled instance's webhook", resp.StatusCode)
	}
	p.stop(t)
}

func TestStartUpRefusesBadRulesAndCredentials(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(rules, []byte("[[rule]]\nid = \"vip\"\nname_matches = \"(oops\"\nreply = \"greeting_named\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"GREEN_API_URL": fake.URL, "GREEN_API_ID_INSTANCE": fake.IDInstance, "GREEN_API_TOKEN_INSTANCE": fake.Token,
		"WEBHOOK_TOKEN": e2eWebhookToken, "DATABASE_URL": filepath.Join(dir, "fd.db"), "PORT": "0",
	}
	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"bad rules file", map[string]string{"RULES_FILE": rules}, []string{rules + ":3", `rule "vip"`, "name_matches"}},
		{"wrong token", map[string]string{"GREEN_API_TOKEN_INSTANCE": "wrong-token-value"}, []string{"GREEN_API_TOKEN_INSTANCE", "refused the token"}},
		{"wrong instance", map[string]string{"GREEN_API_ID_INSTANCE": "42"}, []string{"GREEN_API_ID_INSTANCE"}},
	}
	for _, tt := range tests {
		e := map[string]string{}
		for k, v := range base {
			e[k] = v
		}
		for k, v := range tt.set {
			e[k] = v
		}
		var logs strings.Builder
		err := run(t.Context(), nil, env(e), io.Discard, io.MultiWriter(&logs, logtest.Writer()))
		if err == nil {
			t.Errorf("%s: the service started", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error()+logs.String(), "wrong-token-value") {
			t.Errorf("%s: the token leaked", tt.name)
		}
	}
}

func TestSlowClientsCannotExhaustTheServer(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"))
	addr := strings.TrimPrefix(p.url, "http://")
	var conns []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Headers that never end.
		if _, err := c.Write([]byte("POST /webhook HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(p.url + "/healthz")
	if err != nil {
		t.Fatalf("with 200 slow clients connected, /healthz failed: %v", err)
	}
	resp.Body.Close()
	// The server hangs up on them once the header timeout passes.
	start := time.Now()
	_ = conns[0].SetReadDeadline(time.Now().Add(15 * time.Second))
	if _, err := conns[0].Read(make([]byte, 512)); err == nil {
		// A 408 may be written before the close; the next read sees EOF.
		_, err = conns[0].Read(make([]byte, 512))
		if err == nil {
			t.Fatal("the server kept a connection with unfinished headers open")
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a slow client was dropped after %v; want the 5 s header timeout", d)
	}
}

// TestEndToEndBacklogPastMemorySurvivesAKill builds a backlog several
// times what the inbox keeps in memory while Green API is down, kills the
// program, restarts it, brings Green API back, and checks that every new
// sender is greeted exactly once.
func TestEndToEndBacklogPastMemorySurvivesAKill(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	calls := []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory, greenapi.MethodGetStateInstance}
	for _, m := range calls {
		fake.FailRandomly(m, 1, greenapitest.Fault{Status: http.StatusBadGateway})
	}
	port := freePort(t)
	db := filepath.Join(t.TempDir(), "fd.db")
	extra := []string{"INBOX_IN_MEMORY=20", "LOOKUP_TIMEOUT=1s", "LOG_LEVEL=info"}
	p := start(t, fake, port, db, extra...)
	const senders, perSender = 60, 3
	for m := range perSender {
		for i := range senders {
			fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212666%04d@c.us", i), Text: fmt.Sprint("message ", m)})
		}
	}
	fake.DeliverWebhooks(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	if !fake.WaitQueueEmpty(30 * time.Second) {
		t.Fatalf("Green API still holds %d notifications", fake.QueueLen())
	}
	if !strings.Contains(p.logs.String(), "inbox over its memory budget") {
		t.Errorf("%d notifications waiting and the inbox did not spill past 20", senders*perSender)
	}
	p.kill()
	if n := unfinished(t, db); n != senders*perSender {
		t.Errorf("%d unfinished after the kill, want all %d", n, senders*perSender)
	}

	for _, m := range calls {
		fake.FailRandomly(m, 0)
	}
	p = start(t, fake, port, db, extra...)
	restarted := time.Now()
	waitFor(t, "the inbox to drain", 60*time.Second, func() bool { return unfinished(t, db) == 0 })
	drained := time.Since(restarted)
	greeted := 0
	for i := range senders {
		chat := fmt.Sprintf("1212666%04d@c.us", i)
		if n := len(fake.Sent(chat)); n != 1 {
			t.Errorf("%s greeted %d times, want once", chat, n)
		} else {
			greeted++
		}
	}
	t.Logf("RELIABILITY backlog past memory: %d notifications stored with INBOX_IN_MEMORY=20, all unfinished after SIGKILL; drained %v after the restart; %d of %d senders greeted once",
		senders*perSender, drained.Round(time.Millisecond), greeted, senders)
	p.stop(t)
}

// unfinished counts the notifications of db not processed yet.
func unfinished(t *testing.T, db string) int {
	return count(t, db, `SELECT count(*) FROM notifications WHERE finished_at IS NULL`)
}

// count runs a count query on db: a SQLite file or a PostgreSQL URL.
func count(t *testing.T, db, q string) int {
	t.Helper()
	ctx := context.Background()
	var n int
	if isPostgres(db) {
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// execSQL runs a statement on the PostgreSQL database at db.
func execSQL(t *testing.T, db, q string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEndOnPostgreSQL runs the program on PostgreSQL: greetings go
// out once, a restart keeps what was stored, and the password in
// DATABASE_URL never reaches the log.
func TestEndToEndOnPostgreSQL(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(postgrestest.SchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	password := e2eDatabasePassword
	if _, has := u.User.Password(); !has { // the local server trusts loopback: any password will do
		u.User = url.UserPassword(u.User.Username(), password)
	}
	db := u.String()
	fake := greenapitest.New(t)
	port := freePort(t)
	p := start(t, fake, port, db, "LOG_LEVEL=debug")
	fake.DeliverWebhooks(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	const senders = 5
	for i := range senders {
		fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212777%04d@c.us", i), Text: "hello"})
		fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212777%04d@c.us", i), Text: "anyone?"})
	}
	for i := range senders {
		fake.WaitSent(fmt.Sprintf("1212777%04d@c.us", i), 1, 15*time.Second)
	}
	if !fake.WaitQueueEmpty(10 * time.Second) {
		t.Fatal("Green API's queue was not drained")
	}
	p.kill()
	logs := p.logs.String()

	p = start(t, fake, port, db, "LOG_LEVEL=debug")
	for i := range senders {
		fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212777%04d@c.us", i), Text: "me again"})
	}
	if !fake.WaitQueueEmpty(10 * time.Second) {
		t.Fatal("Green API's queue was not drained after the restart")
	}
	time.Sleep(300 * time.Millisecond) // let the worker handle what was just stored
	for i := range senders {
		chat := fmt.Sprintf("1212777%04d@c.us", i)
		if n := len(fake.Sent(chat)); n != 1 {
			t.Errorf("%s greeted %d times, want once", chat, n)
		}
	}
	p.stop(t)
	logs += p.logs.String()
	if strings.Contains(logs, password) {
		t.Error("the database password appears in the log")
	}
	if !strings.Contains(logs, `"database":"postgres://`) {
		t.Errorf("the log does not say which database it uses:\n%s", logs)
	}
}
