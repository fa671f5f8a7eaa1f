// Command loadgen measures Frontdesk under load against the fake Green API
// and against a ceiling: a bare gin handler that answers 200 to the same
// requests on the same machine. Run it from the repository's root:
//
//	go run ./bench/loadgen
//
// It builds Frontdesk, starts it on a fresh SQLite file wired to
// greenapitest with the given Green API latency, and runs these phases:
//
//  1. warm-up: the business writes to -known chats, which become known;
//  2. first replies: -first new senders, one every -first-every (inside the
//     getContactInfo budget of 1/s): time from message to greeting;
//  3. throughput: -n notifications from known chats by -c workers, against
//     the ceiling and then Frontdesk, -repeat times;
//  4. fixed rate: -rate notifications/s for -for from known chats: webhook
//     latency and the time until each is processed;
//  5. the same with -burst new senders a second on top, more than the
//     getContactInfo budget: known chats must not slow down;
//  6. backlog: a second Frontdesk, Green API down, -backlog new senders
//     whose greetings wait in the inbox: memory with a full inbox.
//
// -replicas N and -instances M run one phase of their own instead: N
// replicas on one PostgreSQL database, or one process serving M numbers.
//
// Figures and their analysis are in BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
)

const (
	webhookToken    = "loadgen-webhook-token-0123456789abcdef"
	operatorChat    = "120363000000000077@g.us"
	defaultInstance = 1101000001 // greenapitest.DefaultIDInstance
)

type config struct {
	binary      string
	testdata    string
	latency     time.Duration
	known       int
	first       int
	firstEvery  time.Duration
	n           int
	conc        int
	repeat      int
	rate        float64
	duration    time.Duration
	burst       float64
	backlog     int
	backlogOnly bool
	replicas    int
	instances   int
	postgres    string
	keep        bool
	env         envList
}

// envList collects -env flags.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q: expected NAME=value", v)
	}
	*e = append(*e, v)
	return nil
}

func main() {
	if os.Getenv(ceilingEnv) != "" {
		if err := serveCeiling(); err != nil {
			fmt.Fprintln(os.Stderr, "ceiling:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	flag.StringVar(&c.binary, "binary", "", "a built frontdesk binary (default: build the module's)")
	flag.StringVar(&c.testdata, "testdata", "greenapi/testdata", "the shared examples the notifications are made from")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "Green API's latency on every call")
	flag.IntVar(&c.known, "known", 2000, "chats the business wrote to first (known senders)")
	flag.IntVar(&c.first, "first", 20, "new senders of the first-reply phase")
	flag.DurationVar(&c.firstEvery, "first-every", 1200*time.Millisecond, "the gap between those new senders")
	flag.IntVar(&c.n, "n", 20000, "notifications of a throughput run")
	flag.IntVar(&c.conc, "c", 64, "concurrent connections of a throughput run")
	flag.IntVar(&c.repeat, "repeat", 3, "throughput runs (the median is reported)")
	flag.Float64Var(&c.rate, "rate", 1000, "notifications a second of the fixed-rate phases")
	flag.DurationVar(&c.duration, "for", 10*time.Second, "length of each fixed-rate phase")
	flag.Float64Var(&c.burst, "burst", 5, "new senders a second added in the second fixed-rate phase")
	flag.IntVar(&c.backlog, "backlog", 10000, "new senders left waiting in the inbox for the memory phase")
	flag.BoolVar(&c.backlogOnly, "backlog-only", false, "run only the backlog (memory) phase")
	flag.IntVar(&c.replicas, "replicas", 0, "run only the replicas phase: acknowledgements with 1 to N replicas on one PostgreSQL database (needs -postgres)")
	flag.IntVar(&c.instances, "instances", 0, "run only the instances phase: one process serving 1, N/10 and N numbers, 1 notification/s each for -for")
	flag.StringVar(&c.postgres, "postgres", "", "run Frontdesk on this PostgreSQL server (postgres://…), each server in a schema of its own, instead of SQLite")
	flag.BoolVar(&c.keep, "keep", false, "keep the working directory (databases, server logs) and print its path")
	flag.Var(&c.env, "env", "NAME=value added to the servers' environment (repeatable), e.g. GOMEMLIMIT=48MiB")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
