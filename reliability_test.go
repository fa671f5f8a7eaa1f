//go:build reliability

// The long and privileged reliability scenarios; figures in RELIABILITY.md.
//
//	go test -tags reliability -run Reliability -v -timeout 20m .
//
// TestReliabilityDiskFull mounts a small tmpfs and TestReliabilityReadOnlyDisk
// an ext4 file system on a loop device, so both must run as root.
package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

func TestReliabilityRepeatedKills(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "fd.db")
			if store == "postgres" {
				db = postgrestest.SchemaURL(t)
			}
			repeatedKills(t, db)
		})
	}
}

// TestReliabilityRepeatedKillsWithMenus: the same storm, with a menu
// under the greeting: a sender's later messages answer it ("2"). Each
// sender gets the greeting once, the answer once if they chose, and the
// operators one summary each: of the choice, or of the wait's end.
func TestReliabilityRepeatedKillsWithMenus(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "fd.db")
			if store == "postgres" {
				db = postgrestest.SchemaURL(t)
			}
			rules := filepath.Join(t.TempDir(), "rules.toml")
			writeFile(t, rules, menuRulesWaiting("1m"))
			repeatedKills(t, db, "RULES_FILE="+rules)
		})
	}
}

func repeatedKills(t *testing.T, db string, env ...string) {
	const kills = 20
	menu := len(env) > 0
	fake := greenapitest.New(t)
	port := freePort(t)
	extra := append([]string{"LOOKUP_TIMEOUT=2s", "LOG_LEVEL=info"}, env...)
	p := start(t, fake, port, db, extra...)
	fake.DeliverWebhooks(fmt.Sprintf("http://127.0.0.1:%d/webhook", port), e2eWebhookToken, 50*time.Millisecond, 5*time.Second)

	// Steady traffic: about 100 messages a second, one in five from a new sender.
	var (
		pushed  atomic.Int64
		chats   sync.Map // chat id: true
		stop    = make(chan struct{})
		traffic sync.WaitGroup
	)
	traffic.Add(1)
	go func() {
		defer traffic.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		newChats := 0
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var chat string
			text := "hello"
			if newChats == 0 || rand.IntN(5) == 0 {
				chat = fmt.Sprintf("1212700%04d@c.us", newChats)
				newChats++
				chats.Store(chat, false)
			} else {
				chat = fmt.Sprintf("1212700%04d@c.us", rand.IntN(newChats))
				chats.Store(chat, true) // wrote again
				if menu {
					text = "2" // the menu's second choice
				}
			}
			fake.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: text})
			pushed.Add(1)
		}
	}()

	began := time.Now()
	for i := range kills {
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		p.kill()
		p = start(t, fake, port, db, extra...)
		_ = i
	}
	close(stop)
	traffic.Wait()
	drainStart := time.Now()
	if !fake.WaitQueueEmpty(2 * time.Minute) {
		t.Fatalf("Green API's queue still holds %d notifications", fake.QueueLen())
	}
	p.stop(t) // graceful: finishes what is in flight
	p = start(t, fake, port, db, extra...)
	for deadline := time.Now().Add(2 * time.Minute); unfinished(t, db) != 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			stalled(t, p, db)
		}
	}
	drained := time.Since(drainStart)
	if menu { // the menus nobody answered end by their wait
		waitFor(t, "every menu to end", 2*time.Minute, func() bool {
			return count(t, db, `SELECT count(*) FROM first_contacts WHERE step <> 'done'`) == 0 && unfinished(t, db) == 0
		})
	}
	p.stop(t)

	stored := countIncoming(t, db)
	lost := int(pushed.Load()) - stored
	dup, missing, senders, wrong := 0, 0, 0, 0
	chats.Range(func(k, again any) bool {
		senders++
		sent := fake.Sent(k.(string))
		want := 1 // the greeting
		if menu && again.(bool) {
			want = 2 // and the choice's answer
		}
		switch n := len(sent); {
		case n == 0:
			missing++
		case n > want:
			dup++
		case n < want:
			wrong++
			if isPostgres(db) && wrong <= 3 {
				t.Logf("%s got %d messages: %+v", k, n, sent)
				for _, q := range []string{
					`SELECT count(*) FROM first_contacts WHERE chat_id = '%s' AND step = 'done' AND choice = 'support'`,
					`SELECT count(*) FROM first_contacts WHERE chat_id = '%s' AND choice_msg LIKE 'choice-wait:%%'`,
					`SELECT count(*) FROM first_contacts WHERE chat_id = '%s' AND answer_id <> ''`,
					`SELECT count(*) FROM first_contacts WHERE chat_id = '%s' AND skipped <> ''`,
					`SELECT count(*) FROM first_contacts WHERE chat_id = '%s' AND reply_id = ''`,
				} {
					q = fmt.Sprintf(q, k)
					t.Logf("  %s: %d", q, count(t, db, q))
				}
			}
		}
		return true
	})
	if menu {
		// One summary per sender: of the choice, or of the wait's end.
		phones := map[string]int{}
		for _, m := range fake.Sent(e2eOperatorChat) {
			for _, line := range strings.Split(m.Message, "\n") {
				if phone, ok := strings.CutPrefix(line, "Phone: "); ok {
					phones[phone]++
				}
			}
		}
		twice := 0
		for _, n := range phones {
			if n > 1 {
				twice++
			}
		}
		t.Logf("RELIABILITY kills with menus (%s): %d summaries for %d senders, %d senders summarized twice, %d senders without their answer",
			storeName(db), len(fake.Sent(e2eOperatorChat)), senders, twice, wrong)
		if len(phones) != senders || twice != 0 || wrong != 0 {
			t.Errorf("%d senders summarized (of %d), %d twice; %d senders without their answer", len(phones), senders, twice, wrong)
		}
	}
	t.Logf("RELIABILITY kills (%s): %d SIGKILLs over %v of steady traffic; %d notifications sent by Green API, %d stored, %d lost; %d senders, %d never greeted, %d greeted twice; drained %v after traffic stopped",
		storeName(db), kills, drainStart.Sub(began).Round(time.Second), pushed.Load(), stored, lost, senders, missing, dup, drained.Round(time.Millisecond))
	if lost != 0 || missing != 0 {
		t.Errorf("lost %d notifications, %d senders never greeted", lost, missing)
	}
	if dup != 0 {
		t.Errorf("%d senders greeted twice", dup)
	}
}

func TestReliabilityDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("this scenario mounts a 4 MiB tmpfs and must run as root: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	fake := greenapitest.New(t)
	db := filepath.Join(mnt, "fd.db")
	p := start(t, fake, 0, db, "LOG_LEVEL=info")
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	fake.PushIncoming(greenapitest.Incoming{ChatID: "12127000001@c.us", Text: "before"})
	fake.WaitSent("12127000001@c.us", 1, 10*time.Second)

	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	const during = 10
	for i := range during {
		fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212700100%d@c.us", i), Text: "while full"})
	}
	time.Sleep(2 * time.Second)
	refused, accepted := 0, 0
	for _, d := range fake.Deliveries() {
		switch d.Status {
		case 200:
			accepted++
		default:
			refused++
		}
	}
	queued := fake.QueueLen()
	if queued == 0 || refused == 0 {
		t.Fatalf("with the disk full: %d queued at Green API, %d deliveries refused: a 200 lost notifications", queued, refused)
	}
	if status, body := ready(t, p.admin); status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be written") {
		t.Errorf("/readyz with the disk full = %d %s; want 503 saying the database cannot be written", status, body)
	}
	os.Remove(filler)
	recovered := time.Now()
	if !fake.WaitQueueEmpty(30 * time.Second) {
		t.Fatalf("after freeing the disk %d notifications are still queued", fake.QueueLen())
	}
	if status, body := ready(t, p.admin); status != http.StatusOK {
		t.Errorf("/readyz once the disk has room = %d %s; want 200", status, body)
	}
	for i := range during {
		chat := fmt.Sprintf("1212700100%d@c.us", i)
		if n := len(fake.WaitSent(chat, 1, 10*time.Second)); n != 1 {
			t.Errorf("%s greeted %d times", chat, n)
		}
	}
	t.Logf("RELIABILITY disk-full: %d notifications arrived while the disk was full; %d deliveries answered 5xx (Green API kept them), %d answered 200 before filling; all greeted once %v after space was freed",
		during, refused, accepted, time.Since(recovered).Round(time.Millisecond))
	p.stop(t)
}

func TestReliabilityReadOnlyDisk(t *testing.T) {
	// An ext4 file system on a loop device, mounted as servers mount theirs:
	// on an error the kernel turns it read-only under the running service.
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("this scenario needs root and a loop device: losetup: %v %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "-d", dev).Run() })
	mnt := filepath.Join(dir, "mnt")
	sh(t, "mkdir", "-p", mnt)
	sh(t, "mkfs.ext4", "-q", dev)
	sh(t, "mount", "-o", "errors=remount-ro", dev, mnt)
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })

	fake := greenapitest.New(t)
	port := freePort(t)
	db := filepath.Join(mnt, "fd.db")
	p := start(t, fake, port, db, "LOG_LEVEL=info")
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	fake.PushIncoming(greenapitest.Incoming{ChatID: "12127000001@c.us", Text: "before"})
	fake.WaitSent("12127000001@c.us", 1, 10*time.Second)

	// An I/O error: ext4 aborts its journal and refuses every write.
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(dev), "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("read-only test"), 0); err != nil {
		t.Fatalf("turning the file system read-only: %v", err)
	}
	const during = 10
	for i := range during {
		fake.PushIncoming(greenapitest.Incoming{ChatID: fmt.Sprintf("1212700200%d@c.us", i), Text: "while read-only"})
	}
	time.Sleep(2 * time.Second)
	refused := 0
	for _, d := range fake.Deliveries() {
		if d.Status != http.StatusOK {
			refused++
		}
	}
	if fake.QueueLen() < during || refused == 0 {
		t.Fatalf("with the file system read-only: %d queued at Green API, %d deliveries refused: a 200 lost notifications", fake.QueueLen(), refused)
	}
	status, body := ready(t, p.admin)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be written") {
		t.Errorf("/readyz with the file system read-only = %d %s; want 503 saying the database cannot be written", status, body)
	}

	// The administrator's way back: stop the service, repair and remount
	// the file system, start the service again.
	p.stop(t)
	sh(t, "umount", mnt)
	if out, err := exec.Command("e2fsck", "-fy", dev).CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() > 1 { // 1: errors corrected
			t.Fatalf("e2fsck: %v %s", err, out)
		}
	}
	sh(t, "mount", "-o", "errors=remount-ro", dev, mnt)
	p = start(t, fake, port, db, "LOG_LEVEL=info")
	recovered := time.Now()
	if !fake.WaitQueueEmpty(30 * time.Second) {
		t.Fatalf("after the repair %d notifications are still queued", fake.QueueLen())
	}
	greeted := 0
	for i := range during {
		chat := fmt.Sprintf("1212700200%d@c.us", i)
		if n := len(fake.WaitSent(chat, 1, 15*time.Second)); n == 1 {
			greeted++
		} else {
			t.Errorf("%s greeted %d times", chat, n)
		}
	}
	if n := len(fake.Sent("12127000001@c.us")); n != 1 {
		t.Errorf("the sender greeted before the failure was greeted %d times", n)
	}
	if status, body := ready(t, p.admin); status != http.StatusOK {
		t.Errorf("/readyz after the repair = %d %s; want 200", status, body)
	}
	t.Logf("RELIABILITY read-only: %d notifications arrived while the file system was read-only; %d deliveries answered 5xx (Green API kept them); /readyz %d (%s); after repair and restart all %d greeted once, %v after the restart",
		during, refused, status, strings.TrimSpace(body), greeted, time.Since(recovered).Round(time.Millisecond))
	p.stop(t)
}

// sh runs a command the scenario cannot do without.
func sh(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v %s", name, args, err, out)
	}
}

// ready returns /readyz's status and body.
func ready(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			return
		}
	}
}

// countIncoming counts the incoming messages db ever stored.
func countIncoming(t *testing.T, db string) int {
	return count(t, db, `SELECT count(*) FROM notifications WHERE type_webhook = 'incomingMessageReceived'`)
}

func storeName(db string) string {
	if isPostgres(db) {
		return "postgres"
	}
	return "sqlite"
}

// stalled fails a test whose inbox did not drain, saying where it stands:
// the first contacts by step, and the program's goroutines (SIGQUIT) in a
// file that outlives the test.
func stalled(t *testing.T, p *program, db string) {
	t.Helper()
	for _, q := range []string{
		`SELECT count(*) FROM notifications WHERE finished_at IS NULL`,
		`SELECT count(DISTINCT chat_id) FROM notifications WHERE finished_at IS NULL`,
		`SELECT count(*) FROM first_contacts WHERE step IN ('claimed', 'decided')`,
		`SELECT count(*) FROM first_contacts WHERE step = 'choosing'`,
		`SELECT count(*) FROM first_contacts WHERE step IN ('chosen', 'replied')`,
	} {
		t.Logf("%s: %d", q, count(t, db, q))
	}
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	time.Sleep(2 * time.Second)
	dump, err := os.CreateTemp("", "frontdesk-stalled-*.log")
	if err != nil {
		t.Fatalf("the inbox did not drain in 2 minutes (keeping the log failed: %v)", err)
	}
	_, _ = dump.WriteString(p.logs.String())
	dump.Close()
	t.Fatalf("the inbox did not drain in 2 minutes; the program's log and goroutines: %s", dump.Name())
}
