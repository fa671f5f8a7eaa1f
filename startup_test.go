package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

// TestListensBeforeTheNumbersAreChecked is issue #24's item 11: the
// listeners opened only after every number's state check, so with many
// numbers and a slow Green API /healthz answered too late for the
// liveness probe. Here getStateInstance takes 3 s: /healthz answers at
// once, /readyz says the number is not checked yet, a SIGHUP in the
// start-up does not end the process, a message sent meanwhile is stored
// and greeted once the start-up ends, and /readyz is ready after it.
func TestListensBeforeTheNumbersAreChecked(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	fake.SetLatency("getStateInstance", 3*time.Second)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"))
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(p.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz during the start-up: %d", code)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not checked yet") || strings.Contains(body, `"instance":""`) {
		t.Errorf("/readyz during the start-up: %d %s; want 503 saying the number is not checked yet (and no empty state)", code, body)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 20*time.Second)
	fake.PushIncoming(greenapitest.Incoming{ChatID: "5511987654321@c.us", SenderName: "Ana", Text: "Olá"})
	if sent := fake.WaitSent("5511987654321@c.us", 1, 15*time.Second); len(sent) != 1 {
		t.Fatalf("the message sent during the start-up got %d replies:\n%s", len(sent), p.logs)
	}
	select {
	case <-p.done:
		t.Fatalf("frontdesk exited (the SIGHUP of its start-up):\n%s", p.logs)
	default:
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after the start-up: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The SIGHUP waited for the start-up; its reload follows it.
	waitFor(t, "the reload the SIGHUP of the start-up asked for", 10*time.Second, func() bool {
		return strings.Contains(p.logs.String(), "configuration reloaded")
	})
}

// TestSandboxKeepsToADatabaseOfItsOwn is issue #24's item 12: the sandbox
// read DATABASE_URL (as .env gives it) and so joined the service's
// database. It now uses a temporary file whatever DATABASE_URL says, and a
// database named with -database that holds another number's rows is
// refused.
func TestSandboxKeepsToADatabaseOfItsOwn(t *testing.T) {
	t.Parallel()
	production := filepath.Join(t.TempDir(), "production.db")
	s, err := sqlite.Open(context.Background(), production)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNotification(context.Background(), queue.Notification{Instance: "1109999999", ChatID: "491512345678@c.us", IDMessage: "A",
		TypeWebhook: "incomingMessageReceived", Body: []byte("{}"), ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// DATABASE_URL names the production file: the sandbox leaves it alone.
	startSandbox(t, "DATABASE_URL="+production)
	unlock, err := sqlite.Lock(production)
	if err != nil {
		t.Fatalf("the sandbox holds the service's database: %v", err)
	}
	unlock()

	// -database names it: refused, with the number.
	cmd := exec.Command(binary, "sandbox", "-addr", "127.0.0.1:0", "-database", production)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `-database: `+production+` holds rows of number "1109999999"`) {
		t.Errorf("sandbox -database with another number's rows: %v\n%s", err, out)
	}
}

// TestSandboxCommandLine is issue #27's item 5: `sandbox -h` printed its
// flags and then an error line with exit status 1, and a port in use was
// blamed on PORT, which the sandbox does not read.
func TestSandboxCommandLine(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary, "sandbox", "-h")
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-addr") || strings.Contains(string(out), "frontdesk:") {
		t.Errorf("sandbox -h: %v\n%s; want the flags and exit status 0", err, out)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cmd = exec.Command(binary, "sandbox", "-addr", busy.Addr().String())
	cmd.Dir = t.TempDir()
	out, _ = cmd.CombinedOutput()
	if want := "-addr " + busy.Addr().String() + ": "; !strings.Contains(string(out), want) || strings.Contains(string(out), "PORT") {
		t.Errorf("sandbox on a port in use says:\n%s\nwant it to name %q", out, want)
	}
}
