package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// TestEndToEndReplicasSurviveKills is the proof of issues #11 and #12: 3
// replica processes on one PostgreSQL database serving two numbers (two
// fake Green API instances, with their documented limits), 2,000
// notifications from 200 new senders who each write 5 messages to both
// numbers (spread round-robin over the replicas, as a load balancer
// would), one replica SIGKILLed twice and restarted once meanwhile. Every
// new sender is greeted exactly once by each number, with that number's
// rules, in its language; Green API never answers 429; each number's
// getContactInfo calls keep to one a second; and the time a survivor takes
// to take a dead replica's work over is measured.
func TestEndToEndReplicasSurviveKills(t *testing.T) {
	t.Parallel()
	db := postgrestest.SchemaURL(t)
	// A greets by name (the shipped rules); B has rules of its own that
	// greet everyone alike, so that each greeting shows which number sent it.
	a, b := newNumber(t, "1101000001"), newNumber(t, "1101000002")
	dir := t.TempDir()
	bRules := filepath.Join(dir, "b-rules.toml")
	writeFile(t, bRules, "[[rule]]\nid = \"everyone\"\nreply = \"greeting_generic\"\n")
	file := filepath.Join(dir, "instances.toml")
	writeFile(t, file, a.instanceTable()+b.instanceTable(`rules_file = "`+bRules+`"`))
	numbers := []number{a, b}
	const senders, each = 200, 5
	chat := func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf("55119876%05d@c.us", i) // Brazil: Portuguese
		}
		return fmt.Sprintf("4915112%05d@c.us", i) // Germany: German
	}
	env := []string{"LOOKUP_TIMEOUT=5s", "LOG_LEVEL=info"}
	replica := func(id string) *program { return startInstances(t, file, db, append(env, "REPLICA_ID="+id)...) }
	mu := sync.Mutex{}
	replicas := []*program{replica("r1"), replica("r2"), replica("r3")}
	alive := []bool{true, true, true}

	// The load balancer: each notification to the next live replica; a
	// refused or failed delivery goes to the next one, and Green API
	// sends it again until one answers 200.
	deliveries := 0
	client := &http.Client{Timeout: 5 * time.Second}
	deliver := func(body []byte, token string) {
		for attempt := 0; ; attempt++ {
			mu.Lock()
			i := (deliveries + attempt) % len(replicas)
			p, up := replicas[i], alive[i]
			mu.Unlock()
			if !up {
				continue
			}
			req, _ := http.NewRequest(http.MethodPost, p.url+"/webhook", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					deliveries++
					mu.Unlock()
					return
				}
			}
			if attempt > 50 {
				t.Errorf("no replica took a notification: %v", err)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ctx, stopDelivering := context.WithCancel(context.Background())
	var delivering sync.WaitGroup
	for _, n := range numbers {
		receiver, err := greenapi.NewClient(n.fake.Config())
		if err != nil {
			t.Fatal(err)
		}
		delivering.Go(func() {
			for ctx.Err() == nil {
				got, err := receiver.ReceiveNotification(ctx, 0)
				if err != nil || got == nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				deliver(got.Body, n.webhookToken)
				_ = receiver.DeleteNotification(context.Background(), got.ReceiptID)
			}
		})
	}
	defer func() { stopDelivering(); delivering.Wait() }()

	var gone []*program
	kill := func(i int) time.Time {
		mu.Lock()
		alive[i] = false
		p := replicas[i]
		gone = append(gone, p)
		mu.Unlock()
		p.kill()
		return time.Now()
	}
	var kills []time.Time
	for m := range each {
		for i := range senders {
			for _, n := range numbers {
				n.fake.PushIncoming(greenapitest.Incoming{ChatID: chat(i), Text: fmt.Sprint("message ", m), SenderName: fmt.Sprint("Sender ", i)})
			}
		}
		switch m {
		case 1:
			kills = append(kills, kill(2))
		case 2:
			p := replica("r3") // restarted: takes back what is still its own
			mu.Lock()
			replicas[2], alive[2] = p, true
			mu.Unlock()
		case 3:
			kills = append(kills, kill(2))
		}
		time.Sleep(time.Second)
	}
	// Every sender greeted; the inbox empty.
	start := time.Now()
	for i := range senders {
		for _, n := range numbers {
			n.fake.WaitSent(chat(i), 1, 60*time.Second)
		}
	}
	waitFor(t, "every notification processed", 60*time.Second, func() bool {
		return a.fake.QueueLen() == 0 && b.fake.QueueLen() == 0 && count(t, db, "SELECT count(*) FROM notifications WHERE finished_at IS NULL") == 0
	})
	drained := time.Since(start)
	time.Sleep(500 * time.Millisecond) // let a second greeting surface, if any

	missing, twice, wrongLanguage, wrongNumber := 0, 0, 0, 0
	for _, n := range numbers {
		for i := range senders {
			sent := n.fake.Sent(chat(i))
			switch {
			case len(sent) == 0:
				missing++
			case len(sent) > 1:
				twice++
			case i%2 == 0 && !strings.HasPrefix(sent[0].Message, "Olá"), i%2 == 1 && !strings.HasPrefix(sent[0].Message, "Hallo"):
				wrongLanguage++
			case strings.Contains(sent[0].Message, "Sender") != (n.fake == a.fake): // A greets by name, B does not
				wrongNumber++
			}
		}
	}
	var limited, lookupCount int
	minGap := time.Hour
	for _, n := range numbers {
		for _, c := range n.fake.Calls() {
			if c.Status == http.StatusTooManyRequests {
				limited++
			}
		}
		var last time.Time
		lookups := n.fake.Calls(greenapi.MethodGetContactInfo)
		lookupCount += len(lookups)
		for _, c := range lookups {
			if !last.IsZero() && c.At.Sub(last) < minGap {
				minGap = c.At.Sub(last)
			}
			last = c.At
		}
	}
	// The takeover time: from each kill to the first rescue after it in a
	// surviving replica's log.
	var rescues []time.Time
	mu.Lock()
	for _, p := range append(replicas, gone...) {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			if !strings.Contains(line, `"msg":"took over the unfinished notifications of replicas that are gone"`) {
				continue
			}
			var entry struct{ Time time.Time }
			if json.Unmarshal([]byte(line), &entry) == nil {
				rescues = append(rescues, entry.Time)
			}
		}
	}
	mu.Unlock()
	var takeovers []string
	for _, k := range kills {
		first := time.Duration(0)
		for _, r := range rescues {
			if d := r.Sub(k); d > 0 && (first == 0 || d < first) {
				first = d
			}
		}
		takeovers = append(takeovers, first.Round(100*time.Millisecond).String())
		if first == 0 || first > 30*time.Second {
			t.Errorf("a killed replica's work was taken over after %v; want within 30 s", first)
		}
	}
	takeover := strings.Join(takeovers, " and ")
	stored := count(t, db, "SELECT count(*) FROM notifications WHERE type_webhook = 'incomingMessageReceived'")
	want := senders * each * len(numbers)
	t.Logf("RELIABILITY replicas: 3 replicas, 2 numbers, %d notifications from %d new senders to each number (%d stored), %d SIGKILLs and 1 restart; %d greetings missing, %d twice, %d in the wrong language, %d by the wrong number's rules; %d getContactInfo calls, no two of a number closer than %v; %d answers 429; work of a killed replica taken over %s after the kills; drained %v after the last message",
		want, senders, stored, len(kills), missing, twice, wrongLanguage, wrongNumber, lookupCount, minGap.Round(time.Millisecond), limited, takeover, drained.Round(100*time.Millisecond))
	if stored != want {
		t.Errorf("%d of %d notifications stored", stored, want)
	}
	if missing+twice+wrongLanguage+wrongNumber != 0 {
		t.Errorf("%d greetings missing, %d twice, %d in the wrong language, %d by the wrong number", missing, twice, wrongLanguage, wrongNumber)
	}
	if limited != 0 {
		t.Errorf("%d calls answered 429", limited)
	}
	if lookupCount > 2 && minGap < 900*time.Millisecond {
		t.Errorf("two getContactInfo calls of one number %v apart; an instance allows one a second", minGap)
	}
}
