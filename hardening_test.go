package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// TestWrongTokensCostNothing: 10,000 requests with a wrong token leave the
// database untouched and the process within its memory target, while Green
// API's own deliveries, with the right token, still get through.
func TestWrongTokensCostNothing(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	db := filepath.Join(t.TempDir(), "fd.db")
	p := start(t, fake, 0, db)
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)

	const attempts, workers = 10000, 32
	var refused, other atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 10 * time.Second}
	body := `{"typeWebhook":"incomingMessageReceived","x":"` + strings.Repeat("a", 4000) + `"}`
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < attempts; i += workers {
				req, _ := http.NewRequest(http.MethodPost, p.url+"/webhook", strings.NewReader(body))
				req.Header.Set("Authorization", fmt.Sprintf("Bearer wrong-token-%032d", i))
				resp, err := client.Do(req)
				if err != nil {
					other.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					refused.Add(1)
				} else {
					other.Add(1)
				}
			}
		}()
	}
	// Green API's own notifications arrive while the attack runs.
	chats := []string{"12125550201@c.us", "12125550202@c.us", "12125550203@c.us"}
	for _, c := range chats {
		fake.PushIncoming(greenapitest.Incoming{ChatID: c, Text: "hi"})
	}
	greetedDuring := 0
	for _, c := range chats {
		if len(fake.WaitSent(c, 1, 20*time.Second)) == 1 {
			greetedDuring++
		}
	}
	wg.Wait()
	took := time.Since(start)
	if !fake.WaitQueueEmpty(10 * time.Second) {
		t.Fatal("Green API's queue was not drained")
	}
	stored := count(t, db, "SELECT COUNT(*) FROM notifications WHERE type_webhook = 'incomingMessageReceived'")
	attack := count(t, db, "SELECT COUNT(*) FROM notifications WHERE body LIKE '%aaaaaaaaaa%'")
	dead := count(t, db, "SELECT COUNT(*) FROM dead_letters")
	peak := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("RELIABILITY wrong tokens: %d requests of 4 KB in %v, %d answered 401, %d otherwise; %d of them stored, %d dead letters; the %d real messages stored and greeted meanwhile (%d); peak RSS %.1f MiB",
		attempts, took.Round(time.Millisecond), refused.Load(), other.Load(), attack, dead, stored, greetedDuring, float64(peak)/(1<<20))
	if refused.Load() != attempts {
		t.Errorf("%d of %d wrong-token requests answered 401", refused.Load(), attempts)
	}
	if attack != 0 || dead != 0 || stored != len(chats) {
		t.Errorf("%d wrong-token bodies and %d dead letters stored, %d real messages; want 0, 0 and %d", attack, dead, stored, len(chats))
	}
	if greetedDuring != len(chats) {
		t.Errorf("%d of %d real senders greeted while wrong tokens poured in", greetedDuring, len(chats))
	}
	if peak > 60<<20 {
		t.Errorf("peak RSS %.1f MiB; the memory target is 60 MiB", float64(peak)/(1<<20))
	}
}

// peakRSS reads a process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestByteByByteClientsAreCutOff: a client that sends its headers one byte
// a second, or its body one byte a second, cannot hold a connection past
// the header (5 s) and body (10 s) read timeouts.
func TestByteByByteClientsAreCutOff(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"))
	addr := strings.TrimPrefix(p.url, "http://")
	headers := "POST /webhook HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + e2eWebhookToken + "\r\nContent-Length: 1000\r\n\r\n"
	tests := []struct {
		name      string
		sentFirst string // at once
		trickle   string // then one byte a second
		within    time.Duration
	}{
		{"headers one byte a second", "", headers, 7 * time.Second},
		{"body one byte a second", headers, strings.Repeat("{", 1000), 12 * time.Second},
	}
	var wg sync.WaitGroup
	for _, tt := range tests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			begin := time.Now()
			if _, err := c.Write([]byte(tt.sentFirst)); err != nil {
				t.Error(err)
				return
			}
			closed := make(chan time.Duration, 1)
			go func() {
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, _ = io.Copy(io.Discard, c) // returns when the server hangs up
				closed <- time.Since(begin)
			}()
			for i := 0; i < len(tt.trickle); i++ {
				select {
				case d := <-closed:
					t.Logf("RELIABILITY slow client (%s): cut off after %v, %d bytes trickled", tt.name, d.Round(100*time.Millisecond), i)
					if d > tt.within {
						t.Errorf("%s: held %v", tt.name, d)
					}
					return
				case <-time.After(time.Second):
				}
				if _, err := c.Write([]byte{tt.trickle[i]}); err != nil {
					d := time.Since(begin)
					t.Logf("RELIABILITY slow client (%s): cut off after %v (write failed), %d bytes trickled", tt.name, d.Round(100*time.Millisecond), i)
					if d > tt.within {
						t.Errorf("%s: held %v", tt.name, d)
					}
					return
				}
			}
			t.Errorf("%s: the server kept the connection for all %d bytes", tt.name, len(tt.trickle))
		}()
	}
	wg.Wait()
}

// TestSecondProcessOnOneSQLiteFileRefusesToStart: SQLite serves one
// process; a second one (a careless rolling deploy) says so and stops
// instead of working the same inbox.
func TestSecondProcessOnOneSQLiteFileRefusesToStart(t *testing.T) {
	t.Parallel()
	fake := greenapitest.New(t)
	db := filepath.Join(t.TempDir(), "fd.db")
	first := start(t, fake, 0, db)
	second := exec.Command(binary)
	second.Dir = t.TempDir()
	second.Env = []string{"PATH=" + os.Getenv("PATH"), "GREEN_API_URL=" + fake.URL, "GREEN_API_ID_INSTANCE=" + fake.IDInstance,
		"GREEN_API_TOKEN_INSTANCE=" + fake.Token, "WEBHOOK_TOKEN=" + e2eWebhookToken, "DATABASE_URL=" + db, "PORT=0", "ADMIN_ADDR=127.0.0.1:0"}
	out, err := second.CombinedOutput()
	fmt.Fprintln(logtest.Writer(), string(out))
	if err == nil || !strings.Contains(string(out), "in use by another Frontdesk process") || !strings.Contains(string(out), "PostgreSQL") {
		t.Errorf("a second process on %s: %v\n%s", filepath.Base(db), err, out)
	}
	first.stop(t)
	// Once the first has stopped, the file is free again.
	start(t, fake, 0, db).stop(t)
}

// TestEndToEndOnePollerAmongReplicas: two replicas on one PostgreSQL in
// poll mode: one polls Green API's queue; when it is SIGKILLed, the other
// takes the duty over and the new senders are still greeted, each once.
func TestEndToEndOnePollerAmongReplicas(t *testing.T) {
	t.Parallel()
	db := postgrestest.SchemaURL(t)
	fake := greenapitest.New(t)
	a := start(t, fake, 0, db, "RECEIVE_MODE=poll", "WEBHOOK_TOKEN=")
	b := start(t, fake, 0, db, "RECEIVE_MODE=poll", "WEBHOOK_TOKEN=")
	leads := func(p *program) bool {
		return strings.Contains(p.logs.String(), `"msg":"this replica leads a duty","instance":"`+fake.IDInstance+`","duty":"poll `)
	}
	waitFor(t, "a poller", 10*time.Second, func() bool { return leads(a) || leads(b) })
	time.Sleep(time.Second) // the other campaigns meanwhile, and loses
	if leads(a) && leads(b) {
		t.Fatal("both replicas poll")
	}
	leader, other := a, b
	if leads(b) {
		leader, other = b, a
	}
	fake.PushIncoming(greenapitest.Incoming{ChatID: "4915112340001@c.us", Text: "Hallo"})
	fake.WaitSent("4915112340001@c.us", 1, 15*time.Second)
	leader.kill()
	killed := time.Now()
	waitFor(t, "the other replica to take polling over", 15*time.Second, func() bool { return leads(other) })
	takeover := time.Since(killed)
	fake.PushIncoming(greenapitest.Incoming{ChatID: "4915112340002@c.us", Text: "Hallo"})
	fake.WaitSent("4915112340002@c.us", 1, 15*time.Second)
	t.Logf("RELIABILITY poller takeover: the poller SIGKILLed, the other replica polls %v later", takeover.Round(100*time.Millisecond))
	for _, c := range []string{"4915112340001@c.us", "4915112340002@c.us"} {
		if n := len(fake.Sent(c)); n != 1 {
			t.Errorf("%s greeted %d times", c, n)
		}
	}
	other.stop(t)
}
