package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	eventsout "github.com/frontdesk-bot/frontdesk/events"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/internal/redact"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
	"github.com/mattn/go-isatty"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = "usage: frontdesk [serve | sandbox [-addr 127.0.0.1:8080] | check [--from <phone> --at <time> --name … --category … --products N --text …] | forget <phone or chatId> | healthcheck | version]"

// leaderRetry is how often a replica that does not lead a duty (pruning,
// polling) campaigns for it: the longest a duty waits after its leader died.
const leaderRetry = 5 * time.Second

// run is the whole program; main only gives it the process's context,
// arguments, environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stderr)
	case "sandbox":
		return runSandbox(ctx, args[1:], getenv, stdout, stderr)
	case "check":
		return check(args[1:], getenv, stdout)
	case "forget":
		return forget(ctx, args[1:], getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, "frontdesk", version)
		return nil
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q; %s", cmd, usage)
}

// healthcheck asks the local server's /healthz, for container health checks
// on an image without curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	return serveWith(ctx, getenv, stderr, serveOptions{})
}

// serveOptions are what the sandbox changes of the service: everything
// else is the service itself.
type serveOptions struct {
	// addr is where the public listener listens; "" is PORT on every
	// interface.
	addr string
	// wrap, if set, gives the public listener's handler: the sandbox serves
	// its page beside the webhook.
	wrap func(public http.Handler, ctl *control) http.Handler
	// trace, if set, is told every step of every first contact.
	trace func(bot.Trace)
	// listening, if set, is told the public listener's URL and the
	// operations listener's once they listen.
	listening func(url, adminURL string)
}

// control is what a wrapper of the public handler may do to the running
// service.
type control struct {
	// reload reads the configuration's files again and applies them, as
	// SIGHUP does, and returns what went wrong.
	reload func() error
}

func serveWith(ctx context.Context, getenv func(string) string, stderr io.Writer, opts serveOptions) error {
	// A SIGHUP from now on asks for a reload once the service runs; before
	// this, its default action would end the process in its start-up.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	mask := &secretMask{}
	mask.set(cfg.secrets()...)
	log := newMaskedLogger(stderr, cfg.LogLevel, cfg.LogPhoneNumbers == "full", mask)
	instances, err := loadInstances(cfg.Instances)
	if err != nil {
		return err
	}
	if !isPostgres(cfg.DatabaseURL) {
		unlock, err := sqlite.Lock(cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("DATABASE_URL: %w", err)
		}
		defer unlock()
	}
	store, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer store.Close()
	// On PostgreSQL this process is one replica among any number: it works
	// what it stores and rescues what replicas that died left.
	var replicas queue.Replicas
	pg, onPostgres := store.(*postgres.DB)
	if onPostgres {
		lost, release, err := pg.Replica(ctx, cfg.ReplicaID)
		if err != nil {
			return fmt.Errorf("REPLICA_ID: %w; give each replica its own (default: the host name)", err)
		}
		defer release()
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		go func() {
			select {
			case <-lost:
				log.Error("the database dropped this replica's lock: other replicas may take its work, so it stops", "replica", cfg.ReplicaID)
				stop()
			case <-ctx.Done():
			}
		}()
		replicas = pg
	}
	// The rows a single-instance Frontdesk kept are its instance's.
	if len(instances) == 1 {
		if n, err := store.AdoptUnassigned(ctx, instances[0].ID); err != nil {
			return err
		} else if n > 0 {
			log.Info("rows kept before instances were told apart now belong to the instance", "instance", instances[0].ID, "rows", n)
		}
	}
	metrics := handlers.NewMetrics()
	set := handlers.NewInstances()
	metrics.Watch(set)
	fleet := queue.NewFleet(store, log)
	defer fleet.Close()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	// Green API's limits are per instance: on PostgreSQL, where replicas
	// share the database, they share the turns too.
	r := &runner{cfg: cfg, store: store, fleet: fleet, set: set, metrics: metrics, mask: mask, log: log,
		pacer: &pacing.LocalPacer{}, elector: queue.SoleElector{}, ctx: bgCtx, trace: opts.trace}
	if shared, ok := store.(pacing.Pacer); ok {
		r.pacer, r.shared = shared, shared
	}
	if e, ok := store.(queue.Elector); ok {
		r.elector = e // housekeeping and polling run on one replica at a time
	}
	poolCfg := queue.PoolConfig{MaxQueued: cfg.InboxInMemory, Replicas: replicas}
	if opts.trace != nil {
		poolCfg.OnSetAside = traceSetAside(opts.trace)
	}
	pool := queue.NewPool(store, fleet.Handle, poolCfg, log, metrics)
	inbox := queue.NewInbox(store, pool, log, metrics)
	inbox.OnState, inbox.OnQuota = r.stateNotified, r.quotaNotified
	r.inbox = inbox
	inbox.OnPersonWrote = fleet.PersonWrote
	if opts.trace != nil {
		inbox.OnStored = func(n queue.Notification) {
			opts.trace(bot.Trace{Instance: n.Instance, ChatID: n.ChatID, IDMessage: n.IDMessage, Step: "stored", At: n.ReceivedAt,
				Detail: n.TypeWebhook + ", stored before Green API got its 200"})
		}
	}
	// The listeners open before the numbers are checked: /healthz answers
	// at once, however many numbers and however slow Green API; /readyz
	// says "not checked yet" until their checks settle; the webhook already
	// knows every number's tokens and stores what it is sent (the pool
	// queues it once it starts).
	set.Set(uncheckedEntries(instances))
	defer r.stopAll()
	replica := &handlers.Replica{}
	if onPostgres {
		// Joining replicas that are alive: they ask OlderPending only once
		// they know of this one, at their next rescue; until then this one
		// takes no traffic.
		if others, err := pg.OthersAlive(ctx); err != nil || others {
			replica.JoinUntil(time.Now().Add(2 * queue.DefaultRescueEvery))
		}
	}

	deps := handlers.Deps{Inbox: inbox, Instances: set, Replica: replica, Store: store, Metrics: metrics, Log: log, MetricsToken: cfg.MetricsToken}
	if cfg.AdminToken != "" {
		recent, _ := store.(bot.Recent)
		deps.AdminToken, deps.SecureCookie, deps.Recent, deps.Depth = cfg.AdminToken, cfg.AdminCookieSecure, recent, pool.Depth
		deps.History = handlers.NewHistory(set, pool.Depth)
	}
	addr := opts.addr
	if addr == "" {
		addr = ":" + strconv.Itoa(cfg.Port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && opts.addr != "" {
		return fmt.Errorf("-addr %s: %w", opts.addr, err) // the sandbox's flag
	} else if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("ADMIN_ADDR: %w", err)
	}
	// The public listener faces the internet; both keep the limits of
	// listeners.go.
	var public http.Handler = handlers.Public(deps)
	if opts.wrap != nil {
		public = opts.wrap(public, &control{reload: func() error {
			_, _, err := reload(ctx, cfg, getenv, r)
			return err
		}})
	}
	srv, publicLn := newHTTPServer(public, ln, maxConnections, log)
	adminSrv, cappedAdminLn := newHTTPServer(handlers.Admin(deps), adminLn, maxAdminConnections, log)
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(publicLn) }()
	go func() { serveErr <- adminSrv.Serve(cappedAdminLn) }()
	replicaAttr := slog.Attr{} // a replica id means something on PostgreSQL only
	if replicas != nil {
		replicaAttr = slog.String("replica", cfg.ReplicaID)
	}
	log.Info("frontdesk listening", "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "version", version,
		replicaAttr, "database", redactURL(cfg.DatabaseURL), "instances", len(instances), instancesAttr(instances),
		"memory_limit", memoryLimitText(cfg.MemoryLimit))
	if opts.listening != nil {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		_, adminPort, _ := net.SplitHostPort(adminLn.Addr().String())
		opts.listening("http://127.0.0.1:"+port, "http://127.0.0.1:"+adminPort)
	}
	stopServing := func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("closing connections", "err", err)
		}
		_ = adminSrv.Shutdown(ctx) // probes and scrapes: nothing to finish
	}

	// Start-up, in the order the layers stand on each other: each number is
	// checked and its bot joins the fleet, then the pool works (what the
	// webhook stored meanwhile included), then polling feeds it.
	started := make(chan error, 1)
	startCtx, stopStarting := context.WithCancel(ctx)
	defer stopStarting()
	go func() {
		if _, err := r.apply(startCtx, instances); err != nil {
			started <- err
			return
		}
		if err := pool.Start(startCtx); err != nil {
			started <- err
			return
		}
		r.startPolling()
		started <- nil
	}()
	select {
	case err = <-started:
	case <-ctx.Done():
		err = <-started // the checks end with ctx
		if err == nil {
			err = ctx.Err()
		}
	case err = <-serveErr:
		// The start-up ends before the pool and polling are stopped: none
		// outlives this function.
		stopStarting()
		<-started
		err = fmt.Errorf("server stopped during start-up: %w", err)
	}
	if err != nil {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		stopServing(shutdownCtx)
		pool.Stop(shutdownCtx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			log.Info("stopped during start-up", "left_in_inbox", pool.Depth())
			return nil
		}
		return err
	}
	// Set only once the service starts, not for a refused start-up: the
	// limit is the process's, and the tests run refusals in process.
	debug.SetMemoryLimit(cfg.MemoryLimit)
	log.Info("numbers checked: working", "instances", len(instances))

	var background sync.WaitGroup
	background.Add(2)
	go func() {
		defer background.Done()
		watchConfig(bgCtx, hup, cfg, getenv, r, log)
	}()
	go func() {
		defer background.Done()
		r.watchStates(bgCtx)
	}()
	if deps.History != nil {
		background.Add(1)
		go func() {
			defer background.Done()
			deps.History.Run(bgCtx)
		}()
	}
	if keep := (retention{notifications: cfg.KeepFinished, contacts: cfg.KeepContacts, chats: r.chatsExpire}); keep.any() {
		background.Add(1)
		go func() {
			defer background.Done()
			queue.Lead(bgCtx, r.elector, "prune", leaderRetry, log, func(ctx context.Context) { prune(ctx, store, keep, log) })
		}()
	}
	// Menus whose wait ended take their rule's own route; one replica
	// looks for them, as for every duty that one should do.
	background.Add(1)
	go func() {
		defer background.Done()
		queue.Lead(bgCtx, r.elector, "choices", leaderRetry, log, func(ctx context.Context) { bot.RunChoiceWaits(ctx, store, inbox, r.servedIDs, log) })
	}()
	// Reminders of first contacts no person answered in time: one replica
	// looks for them; each is sent in its customer's chat's order.
	background.Add(1)
	go func() {
		defer background.Done()
		queue.Lead(bgCtx, r.elector, "reminders", leaderRetry, log, func(ctx context.Context) { bot.RunReminders(ctx, store, inbox, r.servedIDs, log) })
	}()
	// The daily digests (digest_at): one replica looks whether a number's
	// is due; the inbox's unique key keeps each day's once.
	background.Add(1)
	go func() {
		defer background.Done()
		queue.Lead(bgCtx, r.elector, "digests", leaderRetry, log, func(ctx context.Context) { bot.RunDigests(ctx, inbox, r.bots, log) })
	}()
	// The follow-up questions (rating): one replica looks for the answered
	// contacts whose chat fell silent; the inbox's unique key keeps each once.
	background.Add(1)
	go func() {
		defer background.Done()
		queue.Lead(bgCtx, r.elector, "ratings", leaderRetry, log, func(ctx context.Context) { bot.RunRatings(ctx, store, inbox, r.bots, log) })
	}()
	if cfg.EventsURL != "" {
		deliverer := eventsout.NewDeliverer(store, eventsout.Config{URL: cfg.EventsURL, Secret: cfg.EventsSecret}, log, metrics)
		background.Add(1)
		go func() {
			defer background.Done()
			queue.Lead(bgCtx, r.elector, "events", leaderRetry, log, deliverer.Run)
		}()
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing the work in flight", "deadline", cfg.ShutdownTimeout)
	case err = <-serveErr:
		log.Error("server stopped", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	stopServing(shutdownCtx)
	stopBackground()
	background.Wait()
	r.stopAll()
	pool.Stop(shutdownCtx)
	log.Info("stopped", "left_in_inbox", pool.Depth())
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// instancesAttr names the instances served in the start-up line, or
// counts them past a few.
func instancesAttr(ls []loaded) slog.Attr {
	if len(ls) > 10 {
		return slog.Attr{}
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return slog.Any("ids", ids)
}

// openStore opens PostgreSQL for a postgres:// or postgresql:// URL, and
// otherwise the SQLite file at the path.
func openStore(ctx context.Context, databaseURL string) (bot.Store, error) {
	if isPostgres(databaseURL) {
		return postgres.Open(ctx, databaseURL)
	}
	return sqlite.Open(ctx, databaseURL)
}

func isPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// redactURL hides the passwords of a database URL, for the log: the one
// of user:password@ and the password and sslpassword parameters.
func redactURL(databaseURL string) string {
	if !isPostgres(databaseURL) {
		return databaseURL
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	for _, key := range []string{"password", "sslpassword"} {
		if q.Has(key) {
			q.Set(key, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// emitProblem keeps a greenapi_problem event in the outbox. It runs under
// the guard's lock: one write, bounded by a short timeout.
func emitProblem(store bot.Store, instance, problem, method string, cause error, log *slog.Logger) {
	e := bot.NewEvent(bot.EventGreenAPIProblem, instance, "", time.Now(), bot.GreenAPIProblemData{Problem: problem, Method: method, Detail: cause.Error()})
	out, err := e.Outbox()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = store.AddEvent(ctx, out)
		cancel()
	}
	if err != nil {
		log.Warn("keeping a greenapi_problem event failed", "problem", problem, "err", err)
	}
}

// newLogger logs JSON, or text on a terminal, and masks the given secrets
// in every attribute (see newMaskedLogger).
func newLogger(w io.Writer, level slog.Level, fullPhones bool, secrets ...string) *slog.Logger {
	mask := &secretMask{}
	mask.set(secrets...)
	return newMaskedLogger(w, level, fullPhones, mask)
}

// secretMask hides the secrets in use in log lines; a reload that adds an
// instance adds its tokens.
type secretMask struct {
	r atomic.Pointer[strings.Replacer]
}

// set makes secrets the ones hidden; empty ones are skipped.
func (m *secretMask) set(secrets ...string) {
	var pairs []string
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, "***")
		}
	}
	m.r.Store(strings.NewReplacer(pairs...))
}

// newMaskedLogger logs JSON, or text on a terminal, and masks the secrets
// of mask in every attribute as a last line of defence. Only secrets in
// use are given: a secret is long enough never to match ordinary text
// (loadConfig checks). Unless fullPhones, the phone number of every
// personal chat id is shown partly masked (491512345678@c.us →
// 491*******78@c.us).
func newMaskedLogger(w io.Writer, level slog.Level, fullPhones bool, mask *secretMask) *slog.Logger {
	clean := func(s string) string {
		s = mask.r.Load().Replace(s)
		if !fullPhones {
			s = redact.Phones(s)
		}
		return s
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch v := a.Value.Any().(type) {
		case string:
			a.Value = slog.StringValue(clean(v))
		case error:
			a.Value = slog.StringValue(clean(v.Error()))
		case time.Duration:
			a.Value = slog.StringValue(v.String()) // "1.5s", not 1500000000 in JSON
		}
		return a
	}}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// traceSetAside tells trace (the sandbox's) each retry and each wait of a
// notification, with why and when it goes on.
func traceSetAside(trace func(bot.Trace)) func(queue.Notification, error, time.Time) {
	return func(n queue.Notification, err error, until time.Time) {
		step, detail := "retry", fmt.Sprintf("%s; the next attempt at %s", failureText(err), until.UTC().Format(time.RFC3339))
		var wait *pacing.WaitError
		if errors.As(err, &wait) {
			step = "waiting"
			detail = fmt.Sprintf("%v; it goes on when that is over, at %s at the latest", wait.Cause, until.UTC().Format(time.RFC3339))
		}
		trace(bot.Trace{Instance: n.Instance, ChatID: n.ChatID, IDMessage: n.IDMessage, Step: step, At: time.Now(), Detail: detail})
	}
}

// failureText says in words why an attempt failed, for the sandbox.
func failureText(err error) string {
	if !strings.Contains(err.Error(), "greenapi: ") { // not a call to Green API: the store, say
		return err.Error()
	}
	switch greenapi.ReasonOf(err) {
	case "rate_limited":
		return "Green API answered 429: too many requests"
	case "server_error":
		return "Green API answered 5xx: its server failed"
	case "unreachable":
		return "Green API could not be reached"
	case "timeout":
		return "Green API did not answer in time"
	case "connection_lost":
		return "the connection to Green API was lost"
	case "not_authorized", "unauthorized", "forbidden":
		return "Green API refused the instance: " + greenapi.ReasonOf(err)
	}
	return err.Error()
}
