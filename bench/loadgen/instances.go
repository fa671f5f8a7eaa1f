package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// instancesPhase measures one Frontdesk process serving many numbers. For
// 1, M/10 and M instances (M = -instances), each its own fake Green API
// instance in an instances file, it starts Frontdesk on a fresh SQLite
// file and measures the start-up, the memory once idle, then 1
// notification a second to each number for -for (from chats the business
// wrote to first): webhook latency, CPU and memory, and whether the inbox
// keeps up. What one instance more costs is the difference between the
// largest and the smallest run, divided by the instances between them.
func instancesPhase(ctx context.Context, c config, dir string, t *templates) error {
	counts := []int{1}
	if c.instances >= 20 {
		counts = append(counts, c.instances/10)
	}
	if c.instances > 1 {
		counts = append(counts, c.instances)
	}
	fmt.Printf("instances: one process, N numbers each sending 1 notification/s for %v (known chats), SQLite, Green API latency %v\n", c.duration, c.latency)
	var runs []instancesRun
	report := func(label string, r instancesRun) {
		fmt.Printf("  %s: ready in %v; idle RSS %s; at %.0f/s: p50 %s, p99 %s, CPU %.0f%% of a core, peak RSS %s, inbox drained %v after; /metrics %d KiB\n",
			label, r.startup.Round(time.Millisecond), mib(r.idleRSS), r.rate, ms(r.p50), ms(r.p99), 100*r.cpu, mib(r.peakRSS), r.drain.Round(time.Millisecond), r.metricsBytes>>10)
	}
	for _, n := range counts {
		r, err := runInstances(ctx, c, dir, t, n, float64(n))
		if err != nil {
			return err
		}
		runs = append(runs, r)
		report(fmt.Sprintf("%5d numbers", n), r)
	}
	// The same traffic from one number: what the numbers themselves cost.
	if c.instances > 1 {
		r, err := runInstances(ctx, c, dir, t, 1, float64(c.instances))
		if err != nil {
			return err
		}
		report("    1 number at the rate of all", r)
	}
	if len(runs) > 1 {
		first, last := runs[0], runs[len(runs)-1]
		extra := float64(last.n - first.n)
		fmt.Printf("  one number more: %.1f KiB of idle RSS, %.2f ms of start-up, %.3f%% of a core at 1 notification/s\n",
			float64(last.idleRSS-first.idleRSS)/extra/1024, float64((last.startup-first.startup).Microseconds())/extra/1000, 100*(last.cpu-first.cpu)/extra)
	}
	return nil
}

type instancesRun struct {
	n                int
	rate             float64 // notifications a second, all numbers together
	startup          time.Duration
	idleRSS, peakRSS int64
	p50, p99         time.Duration
	cpu              float64 // cores busy on average during the load
	drain            time.Duration
	metricsBytes     int
}

func runInstances(ctx context.Context, c config, dir string, t *templates, n int, rate float64) (instancesRun, error) {
	r := instancesRun{n: n, rate: rate}
	var file strings.Builder
	tmpl := make([]*templates, n)
	for i := range n {
		id := int64(defaultInstance + i)
		token := fmt.Sprintf("api-token-%d-0123456789", id)
		fake := greenapitest.NewServer(greenapitest.WithInstance(strconv.FormatInt(id, 10), token))
		defer fake.Close()
		fake.SetLatency(greenapi.MethodGetStateInstance, c.latency)
		hook := fmt.Sprintf("loadgen-webhook-%d-0123456789", id)
		fmt.Fprintf(&file, "[[instance]]\nid = %d\napi_url = %q\napi_token = %q\nwebhook_token = %q\n\n", id, fake.URL, token, hook)
		tmpl[i] = t.of(id, hook)
	}
	path := filepath.Join(dir, fmt.Sprintf("instances-%d.toml", n))
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		return r, err
	}
	env := append([]string{"INSTANCES_FILE=" + path, "GREEN_API_ID_INSTANCE=", "GREEN_API_TOKEN_INSTANCE=", "WEBHOOK_TOKEN="}, c.env...)
	unused := greenapitest.NewServer() // startFrontdesk names one for the single-instance variables, emptied above
	defer unused.Close()
	start := time.Now()
	fd, _, err := startFrontdesk(c.binary, dir, unused, frontdeskOptions{name: fmt.Sprintf("instances%d-%.0f", n, rate), lookupTimeout: 30 * time.Second, env: env})
	if err != nil {
		return r, err
	}
	defer fd.stop()
	r.startup = time.Since(start)

	// Two known chats a number, and at least 2,000 in all.
	post := newPoster(fd.url, c.conc)
	var warm []request
	known := make([][]string, n)
	each := max(2, 2000/n)
	for i := range n {
		for k := range each {
			chat := fmt.Sprintf("4915%04d%05d@c.us", k, i)
			known[i] = append(known[i], chat)
			warm = append(warm, tmpl[i].businessWrote(chat))
		}
	}
	if res := post.closedLoop(ctx, warm, c.conc); res.failed > 0 {
		return r, fmt.Errorf("instances warm-up: %d of %d failed: %v", res.failed, res.sent, res.firstErr)
	}
	if err := waitDrained(ctx, fd, time.Minute); err != nil {
		return r, err
	}
	time.Sleep(2 * time.Second) // settle
	if r.idleRSS, _, err = fd.memory(); err != nil {
		return r, err
	}

	// rate/n notifications a second from each number, the numbers interleaved.
	reqs := make([]request, int(c.duration.Seconds()*rate))
	for k := range reqs {
		i := k % n
		reqs[k] = tmpl[i].known(known[i][(k/n)%each])
	}
	cpu0, err := fd.cpuTime()
	if err != nil {
		return r, err
	}
	var peak int64
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			if rss, _, err := fd.memory(); err == nil && rss > peak {
				peak = rss
			}
		}
	})
	loadStart := time.Now()
	res := post.openLoop(ctx, reqs, rate)
	loadEnd := time.Now()
	if err := waitDrained(ctx, fd, time.Minute); err != nil {
		return r, err
	}
	r.drain = time.Since(loadEnd)
	cpu1, err := fd.cpuTime()
	if err != nil {
		return r, err
	}
	close(stopSampling)
	sampling.Wait()
	if res.failed > 0 {
		return r, fmt.Errorf("instances load: %d of %d failed: %v", res.failed, res.sent, res.firstErr)
	}
	r.peakRSS = peak
	r.p50, r.p99 = pct(res.latency, 0.50), pct(res.latency, 0.99)
	r.cpu = (cpu1 - cpu0).Seconds() / time.Since(loadStart).Seconds()
	resp, err := metricsClient.Get(fd.admin + "/metrics")
	if err != nil {
		return r, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("/metrics: %s", resp.Status)
	}
	r.metricsBytes = len(body)
	return r, nil
}

// cpuTime is the CPU time the process used so far (user and system), from
// /proc/<pid>/stat, in clock ticks of 10 ms.
func (p *process) cpuTime() (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: %v %v", err1, err2)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
