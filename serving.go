package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/locales"
)

// loaded is an instance's configuration with its locales and rules loaded
// and checked.
type loaded struct {
	instanceConfig
	catalog *bot.Catalog
	rules   bot.Rules
	ignore  *bot.ChatFilter // of instanceConfig.Ignore
}

// loadInstances loads the locales and rules of every instance. Instances
// that name the same files share what is loaded from them. Every problem
// is reported, each naming the instance and the file, line and key.
func loadInstances(instances []instanceConfig) ([]loaded, error) {
	catalogs := make(map[[2]string]*bot.Catalog)
	rulesOf := make(map[[3]string]bot.Rules)
	var problems []error
	out := make([]loaded, 0, len(instances))
	for _, ic := range instances {
		ck := [2]string{ic.DefaultLocale, ic.LocalesDir}
		catalog, ok := catalogs[ck]
		var err error
		if !ok {
			if catalog, err = bot.LoadCatalog(ic.DefaultLocale, locales.Files, ic.LocalesDir); err != nil {
				problems = append(problems, instanceProblem(ic, err))
				continue
			}
			catalogs[ck] = catalog
		}
		rk := [3]string{ck[0], ck[1], ic.RulesFile}
		rules, ok := rulesOf[rk]
		if !ok {
			if ic.RulesFile != "" {
				rules, err = bot.LoadRulesFile(ic.RulesFile, catalog)
			} else {
				rules, err = bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
			}
			if err != nil {
				problems = append(problems, instanceProblem(ic, err))
				continue
			}
			rulesOf[rk] = rules
		}
		ignore, err := bot.NewChatFilter(ic.Ignore)
		if err != nil { // checked when read: not expected
			problems = append(problems, instanceProblem(ic, err))
			continue
		}
		out = append(out, loaded{instanceConfig: ic, catalog: catalog, rules: rules, ignore: ignore})
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return out, nil
}

// instanceProblem names the instance of a content error; the single
// instance of the environment needs no name.
func instanceProblem(ic instanceConfig, err error) error {
	if ic.where == "" {
		return err
	}
	return fmt.Errorf("%s: %w", ic.name(), err)
}

// botConfig is the bot's configuration of an instance.
func (c config) botConfig(l loaded) bot.Config {
	return bot.Config{Instance: l.ID, NewSenderAfter: l.NewSenderAfter, ProfileRefresh: c.ProfileRefresh, LookupTimeout: c.LookupTimeout,
		OperatorChatID: l.OperatorChatID, OperatorLocale: l.OperatorLocale, Events: c.EventsURL != "",
		HumanPause: l.HumanPause, Ignore: l.ignore}
}

// engine is one instance at work in this process: its Green API client,
// its bot and its background duty (polling, in poll mode).
type engine struct {
	l      loaded
	state  *handlers.Instance
	client *greenapi.Client
	bot    *bot.Bot
	stop   func() // stops the background duty and waits for it
	done   sync.WaitGroup
}

// sameCredentials says whether the engine of a can serve b with a new
// content only.
func sameCredentials(a, b instanceConfig) bool {
	return a.APIURL == b.APIURL && a.APIToken == b.APIToken && a.ReceiveMode == b.ReceiveMode
}

// runner runs the instances of the configuration, and applies a new
// configuration to them (a reload): instances added start, instances
// changed get their new content (or, for new credentials, a new engine),
// instances removed stop once their stored notifications are worked.
type runner struct {
	cfg     config
	store   bot.Store
	fleet   *bot.Fleet
	set     *handlers.Instances
	metrics *handlers.Metrics
	mask    *secretMask
	log     *slog.Logger
	pacer   bot.Pacer // getContactInfo's turns: per process, or shared by the replicas
	shared  bot.Pacer // the replicas' shared turns of sendMessage and getChatHistory; nil alone
	elector bot.Elector
	inbox   *bot.Inbox      // for polling; set once the pool exists
	trace   func(bot.Trace) // the sandbox's; nil in service

	mu      sync.Mutex
	running map[string]*engine
	ctx     context.Context // the background duties'
}

// apply makes the instances of ls the ones served. Instances new or with
// new credentials are checked first (getStateInstance); a token Green API
// refuses fails the whole change, and nothing of it is applied.
func (r *runner) apply(ctx context.Context, ls []loaded) (changes, error) {
	var ch changes
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := make(map[string]*engine)
	var check []*engine
	for _, l := range ls {
		if e := r.running[l.ID]; e != nil && sameCredentials(e.l.instanceConfig, l.instanceConfig) {
			continue
		}
		e := &engine{l: l, state: handlers.NewInstance(l.ID)}
		fresh[l.ID] = e
		check = append(check, e)
	}
	clients, err := r.checkAll(ctx, check)
	if err != nil {
		return ch, err
	}
	entries := make([]handlers.InstanceEntry, 0, len(ls))
	next := make(map[string]*engine, len(ls))
	for _, l := range ls {
		if e := fresh[l.ID]; e != nil {
			if old := r.running[l.ID]; old != nil {
				old.stop()
				ch.Replaced++
			} else {
				ch.Added++
			}
			r.start(e, clients[l.ID])
			next[l.ID] = e
		} else {
			e := r.running[l.ID]
			bc := r.cfg.botConfig(l)
			bc.Trace = r.trace
			e.bot = e.bot.WithContent(l.catalog, l.rules, bc)
			e.l = l
			r.fleet.Update(l.ID, e.bot)
			next[l.ID] = e
			ch.Kept++
		}
		entries = append(entries, handlers.InstanceEntry{Instance: next[l.ID].state, Tokens: l.webhookTokens()})
	}
	r.mask.set(r.secrets(ls)...)
	r.set.Set(entries)
	for id, e := range r.running {
		if next[id] == nil {
			e.stop()
			r.fleet.Remove(id)
			ch.Removed++
			r.log.Info("instance removed: its webhook refuses notifications; those stored are worked, then its bot stops", "instance", id)
		}
	}
	r.running = next
	return ch, nil
}

// changes counts what apply did to the instances: added, kept (with their
// content reloaded), replaced (new credentials: a new client) and removed.
type changes struct{ Added, Kept, Replaced, Removed int }

// secrets are the secrets to mask: the process's and every instance's.
func (r *runner) secrets(ls []loaded) []string {
	c := r.cfg
	c.Instances = make([]instanceConfig, len(ls))
	for i, l := range ls {
		c.Instances[i] = l.instanceConfig
	}
	return c.secrets()
}

// checkConcurrency bounds the getStateInstance calls of a start or reload.
const checkConcurrency = 16

// checkAll makes the clients of engines and reads their instances' state
// (at most checkConcurrency at once, 5 s each). A token or an instance
// Green API refuses is an error naming the instance; an unreachable Green
// API is not (notifications can still be stored), and /readyz says so.
func (r *runner) checkAll(ctx context.Context, engines []*engine) (map[string]*greenapi.Client, error) {
	clients := make(map[string]*greenapi.Client, len(engines))
	var (
		mu       sync.Mutex
		problems []error
		wg       sync.WaitGroup
		slots    = make(chan struct{}, checkConcurrency)
	)
	for _, e := range engines {
		client, err := r.newClient(e.l.instanceConfig)
		if err != nil {
			problems = append(problems, instanceProblem(e.l.instanceConfig, err))
			continue
		}
		clients[e.l.ID] = client
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := checkInstance(ctx, client, e.l.instanceConfig, e.state, r.log); err != nil {
				mu.Lock()
				problems = append(problems, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return clients, nil
}

// newClient returns the Green API client of an instance, paced with the
// other replicas when there are any.
func (r *runner) newClient(ic instanceConfig) (*greenapi.Client, error) {
	cc := greenapi.Config{APIURL: ic.APIURL, IDInstance: ic.ID, APIToken: ic.APIToken, Observe: r.metrics.ObserveAPI}
	if r.shared != nil {
		cc.Limiter = sharedLimiter(r.shared, ic.ID, r.log)
	}
	return greenapi.NewClient(cc)
}

// start puts engine e to work with client: its bot joins the fleet, and
// it is polled in poll mode.
func (r *runner) start(e *engine, client *greenapi.Client) {
	e.client = client
	id := e.l.ID
	log := r.log.With("instance", id)
	m := r.metrics.Of(e.state)
	events := r.cfg.EventsURL != ""
	guard := bot.NewGuard(client, bot.GuardConfig{
		Probe:    func(ctx context.Context) error { return probeInstance(ctx, client, e.state) },
		OnChange: e.state.SetPaused,
		OnProblem: func(problem, method string, err error) {
			if problem == "quota_exceeded" {
				e.state.QuotaSpent(time.Now())
			}
			if events {
				emitProblem(r.store, id, problem, method, err, log)
			}
		},
	}, log, m)
	lookup := bot.LookupConfig{Pacer: r.pacer, Key: id + ":" + greenapi.MethodGetContactInfo}
	cfg := r.cfg.botConfig(e.l)
	cfg.Lookup, cfg.Trace = lookup, r.trace
	e.bot = bot.New(r.store, guard, e.l.catalog, e.l.rules, cfg, r.log, m)
	b := e.bot
	r.fleet.Add(id, b, func() {
		b.Close()
		guard.Close()
	})
	ctx, stop := context.WithCancel(r.ctx)
	e.stop = func() {
		stop()
		e.done.Wait()
	}
	if e.l.ReceiveMode == "poll" {
		e.done.Add(1)
		go func() {
			defer e.done.Done()
			bot.Lead(ctx, r.elector, "poll "+id, leaderRetry, log, func(ctx context.Context) { poll(ctx, id, client, r.inbox, log) })
		}()
	}
}

// chatsExpire says whether every instance served greets a chat again
// after a silence (new_sender_after > 0): only then may silent chats be
// forgotten.
func (r *runner) chatsExpire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.running {
		if e.l.NewSenderAfter <= 0 {
			return false
		}
	}
	return true
}

// stopAll stops every instance's background duties; the fleet closes the
// bots once the pool has stopped.
func (r *runner) stopAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.running {
		e.stop()
	}
}

// checkInstance reads an instance's state at start-up or when it is added.
// Wrong credentials are an error naming where they are written; an
// unreachable Green API is not (notifications can still be stored), and
// /readyz says so.
func checkInstance(ctx context.Context, client *greenapi.Client, ic instanceConfig, instance *handlers.Instance, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := client.GetStateInstance(ctx)
	instance.Set(state, err)
	keys, prefix := envKeys, ""
	if ic.where != "" {
		keys, prefix = fileKeys, ic.name()+": "
	}
	switch {
	case errors.Is(err, greenapi.ErrUnauthorized):
		return fmt.Errorf("%s%s: Green API refused the token (%w)", prefix, keys.apiToken, err)
	case errors.Is(err, greenapi.ErrForbidden):
		return fmt.Errorf("%s%s: Green API does not know this instance with this token (%w)", prefix, keys.id, err)
	case err != nil:
		log.Warn("Green API unreachable; notifications are still stored", "instance", ic.ID, "err", err)
	case state != "authorized":
		log.Warn("the instance is not authorized: scan the QR code in console.green-api.com", "instance", ic.ID, "state", state)
	}
	return nil
}

// watchEvery is how often each instance's state is read again for
// /readyz and the metrics.
const watchEvery = time.Minute

// watchStates reads every instance's state (getStateInstance) once every
// watchEvery, the instances spread evenly over the minute, from one
// goroutine for all of them; at most checkConcurrency calls at once.
func (r *runner) watchStates(ctx context.Context) {
	slots := make(chan struct{}, checkConcurrency)
	var calls sync.WaitGroup
	defer calls.Wait()
	for {
		r.mu.Lock()
		engines := make([]*engine, 0, len(r.running))
		for _, e := range r.running {
			engines = append(engines, e)
		}
		r.mu.Unlock()
		step := watchEvery / time.Duration(max(1, len(engines)))
		if len(engines) == 0 {
			engines = append(engines, nil)
		}
		for _, e := range engines {
			select {
			case <-ctx.Done():
				return
			case <-time.After(step):
			}
			if e == nil {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			calls.Go(func() {
				defer func() { <-slots }()
				refreshState(ctx, e.client, e.state, r.log.With("instance", e.l.ID))
			})
		}
	}
}

// refreshState reads an instance's state once, for /readyz; the first
// failure after a success is logged.
func refreshState(ctx context.Context, client *greenapi.Client, instance *handlers.Instance, log *slog.Logger) {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	state, err := client.GetStateInstance(cctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	_, _, prevErr := instance.Get()
	if err != nil && prevErr == nil {
		log.Warn("Green API instance state unavailable", "err", err)
	}
	instance.Set(state, err)
}
