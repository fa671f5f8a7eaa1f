package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for -postgres
	_ "modernc.org/sqlite"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

func run(ctx context.Context, c config) error {
	dir, err := os.MkdirTemp("", "frontdesk-loadgen")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Println("loadgen: working directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if c.binary == "" {
		if c.binary, err = buildFrontdesk(dir); err != nil {
			return err
		}
	}
	t, err := loadTemplates(c.testdata)
	if err != nil {
		return err
	}
	fake := greenapitest.NewServer()
	defer fake.Close()
	for _, m := range []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory, greenapi.MethodGetStateInstance} {
		fake.SetLatency(m, c.latency)
	}
	fmt.Printf("loadgen: %d CPUs, %s/%s, %s; Green API latency %v on every call\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), c.latency)

	if c.backlogOnly {
		return backlogPhase(ctx, c, dir, t, fake)
	}
	if c.replicas > 0 {
		return replicasPhase(ctx, c, dir, t, fake)
	}
	if c.instances > 0 {
		return instancesPhase(ctx, c, dir, t)
	}
	fd, db, err := startFrontdesk(c.binary, dir, fake, frontdeskOptions{name: "main", lookupTimeout: 30 * time.Second, env: c.env, postgres: c.postgres})
	if err != nil {
		return err
	}
	defer fd.stop()
	stopMonitor := monitor(ctx, fd)
	post := newPoster(fd.url, c.conc)

	// 1. Warm-up.
	known := make([]string, c.known)
	warm := make([]request, c.known)
	for i := range known {
		known[i] = fmt.Sprintf("4915100%06d@c.us", i)
		warm[i] = t.businessWrote(known[i])
	}
	if r := post.closedLoop(ctx, warm, c.conc); r.failed > 0 {
		return fmt.Errorf("warm-up: %d of %d webhooks failed: %v", r.failed, r.sent, r.firstErr)
	}
	if err := waitDrained(ctx, fd, time.Minute); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}

	// 2. First replies inside the getContactInfo budget.
	var newChats []string
	firsts := make([]request, c.first)
	for i := range firsts {
		chat := fmt.Sprintf("7900100%04d@c.us", i)
		seedProfile(fake, chat, i)
		firsts[i] = t.newSender(chat)
		newChats = append(newChats, chat)
	}
	r := post.openLoop(ctx, firsts, float64(time.Second)/float64(c.firstEvery))
	if r.failed > 0 {
		return fmt.Errorf("first replies: %d webhooks failed: %v", r.failed, r.firstErr)
	}
	e2e, beyond, err := greetings(fake, r.postedAt, c.latency, time.Minute)
	if err != nil {
		return err
	}
	fmt.Printf("first replies: %d new senders, one every %v (inside the getContactInfo budget of 1/s)\n", c.first, c.firstEvery)
	fmt.Printf("  message to greeting at Green API: p50 %s  p99 %s  max %s\n", ms(pct(e2e, .5)), ms(pct(e2e, .99)), ms(pct(e2e, 1)))
	fmt.Printf("  beyond the fake's own latency:    p50 %s  p99 %s  max %s\n\n", ms(pct(beyond, .5)), ms(pct(beyond, .99)), ms(pct(beyond, 1)))
	known = append(known, newChats...) // greeted: known inside the refresh window

	// 3. Throughput against the ceiling.
	ceiling, err := startCeiling(dir)
	if err != nil {
		return err
	}
	ceilingPost := newPoster(ceiling.url, c.conc)
	var ratios, fdRates, ceilRates []float64
	fmt.Printf("throughput: %d notifications by %d connections, %d runs (known chats: 70%% text, 10%% image, 20%% status)\n", c.n, c.conc, c.repeat)
	for i := range c.repeat {
		reqs := knownLoad(t, known, c.n)
		cr := ceilingPost.closedLoop(ctx, reqs, c.conc)
		reqs = knownLoad(t, known, c.n)
		fr := post.closedLoop(ctx, reqs, c.conc)
		if cr.failed > 0 || fr.failed > 0 {
			return fmt.Errorf("throughput run %d: ceiling %d failed (%v), frontdesk %d failed (%v)", i+1, cr.failed, cr.firstErr, fr.failed, fr.firstErr)
		}
		drainStart := time.Now()
		if err := waitDrained(ctx, fd, 5*time.Minute); err != nil {
			return err
		}
		ratio := fr.throughput() / cr.throughput()
		ratios, fdRates, ceilRates = append(ratios, ratio), append(fdRates, fr.throughput()), append(ceilRates, cr.throughput())
		fmt.Printf("  run %d: ceiling %6.0f/s  frontdesk %6.0f/s (%.0f%% of the ceiling)  ack p50 %s p99 %s max %s; processed %v after the last ack\n",
			i+1, cr.throughput(), fr.throughput(), 100*ratio, ms(pct(fr.latency, .5)), ms(pct(fr.latency, .99)), ms(pct(fr.latency, 1)),
			time.Since(drainStart).Round(time.Millisecond))
	}
	ceiling.stop()
	fmt.Printf("  median: ceiling %.0f/s, frontdesk %.0f/s, ratio %.0f%%\n\n", median(ceilRates), median(fdRates), 100*median(ratios))

	// 4 and 5. Fixed rate, then fixed rate with more new senders than lookups.
	for _, burst := range []float64{0, c.burst} {
		before, err := maxID(db)
		if err != nil {
			return err
		}
		total := int(c.rate * c.duration.Seconds())
		reqs := knownLoad(t, known, total)
		var burstChats []string
		if burst > 0 {
			every := int(c.rate / burst)
			for i := range reqs {
				if i%every == every-1 {
					chat := fmt.Sprintf("5511900%05d@c.us", len(burstChats))
					seedProfile(fake, chat, len(burstChats))
					reqs[i] = t.newSender(chat)
					burstChats = append(burstChats, chat)
				}
			}
		}
		r := post.openLoop(ctx, reqs, c.rate)
		if r.failed > 0 {
			return fmt.Errorf("fixed rate: %d of %d webhooks failed: %v", r.failed, r.sent, r.firstErr)
		}
		drainStart := time.Now()
		if err := waitDrained(ctx, fd, 5*time.Minute); err != nil {
			return err
		}
		drained := time.Since(drainStart)
		proc, err := processingTimes(db, before, burstChats)
		if err != nil {
			return err
		}
		if burst == 0 {
			fmt.Printf("fixed rate: %.0f notifications/s for %v from known chats\n", c.rate, c.duration)
		} else {
			fmt.Printf("fixed rate with new senders: %.0f/s for %v, %d of them new senders (%.0f/s, beyond the getContactInfo budget of 1/s)\n",
				c.rate, c.duration, len(burstChats), burst)
		}
		fmt.Printf("  webhook ack:                      p50 %s  p99 %s  max %s\n", ms(pct(r.latency, .5)), ms(pct(r.latency, .99)), ms(pct(r.latency, 1)))
		fmt.Printf("  known chats, stored to processed: p50 %s  p99 %s  max %s (%d notifications); inbox empty %v after the last\n",
			ms(pct(proc, .5)), ms(pct(proc, .99)), ms(pct(proc, 1)), len(proc), drained.Round(time.Millisecond))
		if burst > 0 {
			e2e, _, err := greetings(fake, r.postedAt, c.latency, 2*time.Minute)
			if err != nil {
				return err
			}
			fmt.Printf("  new senders, message to greeting: p50 %s  p99 %s  max %s (all %d greeted)\n", ms(pct(e2e, .5)), ms(pct(e2e, .99)), ms(pct(e2e, 1)), len(e2e))
			newChats = append(newChats, burstChats...)
		}
		fmt.Println()
	}

	// Calls per sender, 429s, memory.
	lookups := lookupsPerChat(fake)
	perNew := map[int]int{}
	for _, chat := range newChats {
		perNew[lookups[chat]]++
	}
	perKnown := 0
	for _, chat := range known[:c.known] {
		perKnown += lookups[chat]
	}
	tooMany := 0
	for _, call := range fake.Calls() {
		if call.Status == 429 {
			tooMany++
		}
	}
	fmt.Printf("Green API calls: getContactInfo per new sender %s; per known sender %d in all; 429 answers %d\n",
		histogram(perNew), perKnown, tooMany)
	samples := stopMonitor()
	_, peak, _ := fd.memory()
	fmt.Printf("main server: peak RSS %s; inbox depth over the run %s; %d warning lines logged\n\n", mib(peak), depthSeries(samples), fd.warnings())
	fd.stop()

	// 6. Memory with a full inbox.
	return backlogPhase(ctx, c, dir, t, fake)
}

func backlogPhase(ctx context.Context, c config, dir string, t *templates, fake *greenapitest.Server) error {
	fd, _, err := startFrontdesk(c.binary, dir, fake, frontdeskOptions{name: "backlog", lookupTimeout: 30 * time.Second, env: c.env, postgres: c.postgres})
	if err != nil {
		return err
	}
	defer fd.stop()
	_, idle, _ := fd.memory()
	// Green API goes down: every call fails, so every new sender's greeting
	// waits in the inbox, retried with backoff, until it comes back.
	for _, m := range []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory, greenapi.MethodGetStateInstance} {
		fake.FailRandomly(m, 1, greenapitest.Fault{Status: 502})
		defer fake.FailRandomly(m, 0)
	}
	reqs := make([]request, c.backlog)
	for i := range reqs {
		reqs[i] = t.newSender(fmt.Sprintf("3933300%05d@c.us", i))
	}
	r := newPoster(fd.url, c.conc).closedLoop(ctx, reqs, c.conc)
	if r.failed > 0 {
		return fmt.Errorf("backlog: %d webhooks failed: %v", r.failed, r.firstErr)
	}
	time.Sleep(5 * time.Second) // let the workers try what they can
	depth, err := fd.inboxDepth(ctx)
	if err != nil {
		return err
	}
	rss, peak, err := fd.memory()
	if err != nil {
		return err
	}
	fmt.Printf("backlog: Green API down (every call 502); %d new senders posted at %.0f/s, their greetings waiting in the inbox\n", c.backlog, r.throughput())
	fmt.Printf("  inbox depth %d; RSS %s now, peak %s (idle before: %s)\n", depth, mib(rss), mib(peak), mib(idle))
	var parts []string
	for _, m := range []struct{ name, label string }{
		{"go_memstats_heap_inuse_bytes", "Go heap in use"},
		{"go_memstats_stack_inuse_bytes", "goroutine stacks"},
		{"go_memstats_sys_bytes", "all memory the Go runtime holds"},
	} {
		v, err := fd.metric(ctx, m.name)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %s", m.label, mib(int64(v))))
	}
	goroutines, _ := fd.metric(ctx, "go_goroutines")
	kinds, err := fd.status("RssAnon", "RssFile")
	if err != nil {
		return err
	}
	fmt.Printf("  %s; %.0f goroutines; RSS: %s anonymous (the Go runtime and SQLite's own allocations), %s file-backed (the binary)\n",
		strings.Join(parts, ", "), goroutines, mib(kinds["RssAnon"]), mib(kinds["RssFile"]))
	return nil
}

// knownLoad is n notifications from chats picked at random among known.
func knownLoad(t *templates, known []string, n int) []request {
	reqs := make([]request, n)
	for i := range reqs {
		reqs[i] = t.known(known[i%len(known)])
	}
	return reqs
}

// seedProfile gives every third new sender a business profile with a
// catalogue, so that the load renders every kind of greeting.
func seedProfile(fake *greenapitest.Server, chat string, i int) {
	if i%3 != 0 {
		return
	}
	info := greenapi.ContactInfo{ChatID: chat, Name: "Shop " + chat[:6], IsBusiness: true, Category: "Bakery",
		Description: "Fresh bread every morning"}
	price := json.Number("3.50")
	for k := range 12 {
		info.Products = append(info.Products, greenapi.Product{Name: fmt.Sprintf("Loaf no. %d", k+1), Price: &price, Currency: "EUR"})
	}
	fake.SetContact(chat, info)
}

// greetings waits until every chat in postedAt is greeted and returns, per
// chat, the time from its message to the greeting reaching Green API, and
// that time less the latency of the calls made for the chat before it.
func greetings(fake *greenapitest.Server, postedAt map[string]time.Time, latency, timeout time.Duration) (e2e, beyond []time.Duration, err error) {
	deadline := time.Now().Add(timeout)
	for chat, at := range postedAt {
		sent := fake.WaitSent(chat, 1, time.Until(deadline))
		if len(sent) == 0 {
			return nil, nil, fmt.Errorf("%s was never greeted", chat)
		}
		calls := 0
		for _, call := range fake.Calls() {
			if strings.Contains(call.Body, chat) && !call.At.Before(at) && !call.At.After(sent[0].At) {
				calls++
			}
		}
		d := sent[0].At.Sub(at)
		e2e = append(e2e, d)
		beyond = append(beyond, d-time.Duration(calls)*latency)
	}
	return e2e, beyond, nil
}

func lookupsPerChat(fake *greenapitest.Server) map[string]int {
	out := map[string]int{}
	for _, call := range fake.Calls(greenapi.MethodGetContactInfo) {
		var chat string
		if _, after, ok := strings.Cut(call.Body, `"chatId":"`); ok {
			chat, _, _ = strings.Cut(after, `"`)
		}
		out[chat]++
	}
	return out
}

// waitDrained waits until the server's inbox is empty.
func waitDrained(ctx context.Context, p *process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		depth, err := p.inboxDepth(ctx)
		if err != nil {
			return err
		}
		if depth == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the inbox still holds %d notifications after %v", depth, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isPostgres(db string) bool { return strings.HasPrefix(db, "postgres://") }

// openDB opens the database a Frontdesk server uses, to read its figures.
func openDB(db string) (*sql.DB, error) {
	if isPostgres(db) {
		return sql.Open("pgx", postgrestest.PlainURL(db))
	}
	return sql.Open("sqlite", db)
}

// maxID returns the highest notification id stored so far.
func maxID(db string) (int64, error) {
	conn, err := openDB(db)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var id sql.NullInt64
	err = conn.QueryRow(`SELECT max(id) FROM notifications`).Scan(&id)
	return id.Int64, err
}

// processingTimes returns, for the incoming messages of known chats stored
// after id after, the time from storing to finishing.
func processingTimes(db string, after int64, exclude []string) ([]time.Duration, error) {
	conn, err := openDB(db)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	q := `SELECT chat_id, received_at, finished_at FROM notifications WHERE id > ? AND type_webhook = 'incomingMessageReceived'`
	if isPostgres(db) { // timestamps there, Unix milliseconds in SQLite
		q = `SELECT chat_id, (extract(epoch FROM received_at) * 1000)::bigint, (extract(epoch FROM finished_at) * 1000)::bigint
			FROM notifications WHERE id > $1 AND type_webhook = 'incomingMessageReceived'`
	}
	rows, err := conn.Query(q, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var (
			chat               string
			received, finished sql.NullInt64
		)
		if err := rows.Scan(&chat, &received, &finished); err != nil {
			return nil, err
		}
		if slices.Contains(exclude, chat) {
			continue
		}
		if !finished.Valid {
			return nil, errors.New("a notification is not finished although the inbox is empty")
		}
		out = append(out, time.Duration(finished.Int64-received.Int64)*time.Millisecond)
	}
	return out, rows.Err()
}

// sample is the server's state at a moment of the run.
type sample struct {
	at    time.Duration
	depth int
}

// monitor samples the server's inbox depth every 250 ms until the returned
// function is called; that returns the samples.
func monitor(ctx context.Context, p *process) func() []sample {
	ctx, cancel := context.WithCancel(ctx)
	var (
		mu      sync.Mutex
		samples []sample
		done    = make(chan struct{})
	)
	start := time.Now()
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if d, err := p.inboxDepth(ctx); err == nil {
				mu.Lock()
				samples = append(samples, sample{time.Since(start), d})
				mu.Unlock()
			}
		}
	}()
	return func() []sample {
		cancel()
		<-done
		return samples
	}
}
