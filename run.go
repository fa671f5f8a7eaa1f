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
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	eventsout "github.com/frontdesk-bot/frontdesk/events"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/locales"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
	"github.com/mattn/go-isatty"
	"golang.org/x/net/netutil"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = "usage: frontdesk [serve | check | forget <phone or chatId> | healthcheck | version]"

// newHTTPServer serves h with the timeouts and limits both listeners keep.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// leaderRetry is how often a replica that does not lead a duty (pruning,
// polling) campaigns for it: the longest a duty waits after its leader died.
const leaderRetry = 5 * time.Second

// maxConnections caps the public listener's open connections; past it new
// connections wait in the kernel's backlog until one closes. Slow clients
// are cut off by the header and body timeouts.
const maxConnections = 4096

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
	case "check":
		return check(getenv, stdout)
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

// loadContent loads the locale and rules files exactly as the server does.
func loadContent(defaultLocale, localesDir, rulesFile string) (*bot.Catalog, bot.Rules, error) {
	catalog, err := bot.LoadCatalog(defaultLocale, locales.Files, localesDir)
	if err != nil {
		return nil, nil, err
	}
	var rules bot.Rules
	if rulesFile != "" {
		rules, err = bot.LoadRulesFile(rulesFile, catalog)
	} else {
		rules, err = bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
	}
	return catalog, rules, err
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogPhoneNumbers == "full", cfg.secrets()...)
	catalog, rules, err := loadContent(cfg.DefaultLocale, cfg.LocalesDir, cfg.RulesFile)
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
	var replicas bot.Replicas
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
	// Green API's limits are per instance: on PostgreSQL, where replicas
	// share the database, they share the turns too.
	var pacer bot.Pacer = &bot.LocalPacer{}
	clientCfg := greenapi.Config{APIURL: cfg.APIURL, IDInstance: cfg.IDInstance, APIToken: cfg.APIToken}
	if shared, ok := store.(bot.Pacer); ok {
		pacer = shared
		clientCfg.Limiter = sharedLimiter(shared, cfg.IDInstance, log)
	}
	metrics := handlers.NewMetrics()
	clientCfg.Observe = metrics.ObserveAPI
	client, err := greenapi.NewClient(clientCfg)
	if err != nil {
		return err
	}
	instance := &handlers.Instance{}
	metrics.WatchInstance(instance)
	if err := checkInstance(ctx, client, instance, log); err != nil {
		return err
	}

	events := cfg.EventsURL != ""
	guard := bot.NewGuard(client, bot.GuardConfig{
		Probe:    func(ctx context.Context) error { return probeInstance(ctx, client, instance) },
		OnChange: instance.SetPaused,
		OnProblem: func(problem, method string, err error) {
			if events {
				emitProblem(store, problem, method, err, log)
			}
		},
	}, log, metrics)
	defer guard.Close()
	b := bot.New(store, guard, catalog, rules, bot.Config{
		NewSenderAfter: cfg.NewSenderAfter, ProfileRefresh: cfg.ProfileRefresh, LookupTimeout: cfg.LookupTimeout,
		OperatorChatID: cfg.OperatorChatID, OperatorLocale: cfg.OperatorLocale,
		Lookup: bot.LookupConfig{Pacer: pacer, Key: cfg.IDInstance + ":" + greenapi.MethodGetContactInfo},
		Events: events,
	}, log, metrics)
	defer b.Close()
	pool := bot.NewPool(store, b.Handle, bot.PoolConfig{MaxQueued: cfg.InboxInMemory, Replicas: replicas}, log, metrics)
	if err := pool.Start(ctx); err != nil {
		return err
	}
	if onPostgres {
		// Joining replicas that are alive: they ask OlderPending only once
		// they know of this one, at their next rescue; until then this one
		// takes no traffic.
		if others, err := pg.OthersAlive(ctx); err != nil || others {
			instance.JoinUntil(time.Now().Add(2 * bot.DefaultRescueEvery))
		}
	}
	inbox := bot.NewInbox(store, pool, log, metrics)
	inbox.OnState = func(state string) { instance.Set(state, nil) }

	deps := handlers.Deps{Inbox: inbox, Store: store, Instance: instance, Metrics: metrics, Log: log, MetricsToken: cfg.MetricsToken}
	if cfg.ReceiveMode == "webhook" {
		deps.WebhookTokens = cfg.webhookTokens()
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		pool.Stop(ctx)
		return fmt.Errorf("PORT: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		ln.Close()
		pool.Stop(ctx)
		return fmt.Errorf("ADMIN_ADDR: %w", err)
	}
	// The public listener faces the internet: connections are capped (at
	// Serve), and a client must send its headers within 5 s and its body
	// within 10 s.
	srv := newHTTPServer(handlers.Public(deps), log)
	adminSrv := newHTTPServer(handlers.Admin(deps), log)
	// Set only once the service starts, not for a refused start-up: the
	// limit is the process's, and the tests run refusals in process.
	debug.SetMemoryLimit(cfg.MemoryLimit)
	replicaAttr := slog.Attr{} // a replica id means something on PostgreSQL only
	if replicas != nil {
		replicaAttr = slog.String("replica", cfg.ReplicaID)
	}
	log.Info("frontdesk listening", "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "mode", cfg.ReceiveMode, "version", version,
		replicaAttr,
		"database", redactURL(cfg.DatabaseURL), "locales", catalog.Locales(), "rules", len(rules), "memory_limit", memoryLimitText(cfg.MemoryLimit))

	var background sync.WaitGroup
	bgCtx, stopBackground := context.WithCancel(ctx)
	background.Add(1)
	go func() {
		defer background.Done()
		watchInstance(bgCtx, client, instance, log)
	}()
	// Housekeeping runs on one replica at a time (on SQLite, the one).
	var elector bot.Elector = bot.SoleElector{}
	if e, ok := store.(bot.Elector); ok {
		elector = e
	}
	if cfg.KeepFinished > 0 || cfg.KeepContacts > 0 {
		keep := retention{notifications: cfg.KeepFinished, contacts: cfg.KeepContacts, chats: cfg.NewSenderAfter > 0}
		background.Add(1)
		go func() {
			defer background.Done()
			bot.Lead(bgCtx, elector, "prune", leaderRetry, log, func(ctx context.Context) { prune(ctx, store, keep, log) })
		}()
	}
	if events {
		deliverer := eventsout.NewDeliverer(store, eventsout.Config{URL: cfg.EventsURL, Secret: cfg.EventsSecret}, log, metrics)
		background.Add(1)
		go func() {
			defer background.Done()
			bot.Lead(bgCtx, elector, "events", leaderRetry, log, deliverer.Run)
		}()
	}
	if cfg.ReceiveMode == "poll" {
		background.Add(1)
		go func() {
			defer background.Done()
			bot.Lead(bgCtx, elector, "poll "+cfg.IDInstance, leaderRetry, log, func(ctx context.Context) { poll(ctx, client, inbox, log) })
		}()
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(netutil.LimitListener(ln, maxConnections)) }()
	go func() { serveErr <- adminSrv.Serve(adminLn) }()

	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing the work in flight", "deadline", cfg.ShutdownTimeout)
	case err = <-serveErr:
		log.Error("server stopped", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if shutdownErr := srv.Shutdown(shutdownCtx); shutdownErr != nil {
		log.Warn("closing connections", "err", shutdownErr)
	}
	_ = adminSrv.Shutdown(shutdownCtx) // probes and scrapes: nothing to finish
	stopBackground()
	background.Wait()
	pool.Stop(shutdownCtx)
	log.Info("stopped", "left_in_inbox", pool.Depth())
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
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

// redactURL hides the password of a database URL, for the log.
func redactURL(databaseURL string) string {
	if !isPostgres(databaseURL) {
		return databaseURL
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// checkInstance reads the instance's state at start-up. Wrong credentials
// stop the program; an unreachable Green API does not (notifications can
// still be stored), and /readyz says so.
func checkInstance(ctx context.Context, client *greenapi.Client, instance *handlers.Instance, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := client.GetStateInstance(ctx)
	instance.Set(state, err)
	switch {
	case errors.Is(err, greenapi.ErrUnauthorized):
		return fmt.Errorf("GREEN_API_TOKEN_INSTANCE: Green API refused the token (%w)", err)
	case errors.Is(err, greenapi.ErrForbidden):
		return fmt.Errorf("GREEN_API_ID_INSTANCE: Green API does not know this instance with this token (%w)", err)
	case err != nil:
		log.Warn("Green API unreachable at start-up; notifications are still stored", "err", err)
	case state != "authorized":
		log.Warn("the instance is not authorized: scan the QR code in console.green-api.com", "state", state)
	}
	return nil
}

// emitProblem keeps a greenapi_problem event in the outbox. It runs under
// the guard's lock: one write, bounded by a short timeout.
func emitProblem(store bot.Store, problem, method string, cause error, log *slog.Logger) {
	e := bot.NewEvent(bot.EventGreenAPIProblem, "", time.Now(), bot.GreenAPIProblemData{Problem: problem, Method: method, Detail: cause.Error()})
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

// probeInstance is the guard's probe: getStateInstance answers and the
// instance is authorized. What it learns shows in /readyz.
func probeInstance(ctx context.Context, client *greenapi.Client, instance *handlers.Instance) error {
	state, err := client.GetStateInstance(ctx)
	instance.Set(state, err)
	if err == nil && state != "authorized" {
		return fmt.Errorf("the instance is %s: %w", state, greenapi.ErrNotAuthorized)
	}
	return err
}

// watchInstance refreshes the instance state for /readyz every minute.
func watchInstance(ctx context.Context, client *greenapi.Client, instance *handlers.Instance, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		state, err := client.GetStateInstance(cctx)
		cancel()
		_, _, prevErr := instance.Get()
		if err != nil && prevErr == nil {
			log.Warn("Green API instance state unavailable", "err", err)
		}
		instance.Set(state, err)
	}
}

// newLogger logs JSON, or text on a terminal, and masks the secrets in
// every attribute as a last line of defence. Only secrets in use are given:
// a secret is long enough never to match ordinary text (loadConfig checks).
// Unless fullPhones, the phone number of every personal chat id is shown
// partly masked (491512345678@c.us → 491*******78@c.us).
func newLogger(w io.Writer, level slog.Level, fullPhones bool, secrets ...string) *slog.Logger {
	var nonEmpty []string
	for _, s := range secrets {
		if s != "" {
			nonEmpty = append(nonEmpty, s, "***")
		}
	}
	mask := strings.NewReplacer(nonEmpty...)
	clean := func(s string) string {
		s = mask.Replace(s)
		if !fullPhones && strings.Contains(s, "@c.us") {
			s = maskPhones(s)
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

// phoneInChat finds the digits of personal chat ids.
var phoneInChat = regexp.MustCompile(`\b(\d{3})(\d+)(\d{2})@c\.us`)

// maskPhones keeps a phone number's first three digits (the country) and
// its last two, enough to tell contacts apart in a log, and hides the rest.
func maskPhones(s string) string {
	return phoneInChat.ReplaceAllStringFunc(s, func(m string) string {
		g := phoneInChat.FindStringSubmatch(m)
		return g[1] + strings.Repeat("*", len(g[2])) + g[3] + "@c.us"
	})
}
