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
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/locales"
	"github.com/frontdesk-bot/frontdesk/queue"
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
	// A message id of the business's own locale files that no rule (of
	// any number that reads those files) and no built-in uses is a typo.
	for _, catalog := range catalogs {
		var rulesets []bot.Rules
		var first *loaded
		for i := range out {
			if out[i].catalog == catalog {
				rulesets = append(rulesets, out[i].rules)
				if first == nil {
					first = &out[i]
				}
			}
		}
		if first == nil {
			continue
		}
		for _, err := range catalog.UnusedMessages(rulesets...) {
			problems = append(problems, instanceProblem(first.instanceConfig, err))
		}
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
	ctx    context.Context // the background duty's; ends with stop
	stop   func()          // stops the background duty and waits for it
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
	fleet   *queue.Fleet
	set     *handlers.Instances
	metrics *handlers.Metrics
	mask    *secretMask
	log     *slog.Logger
	pacer   pacing.Pacer // getContactInfo's turns: per process, or shared by the replicas
	shared  pacing.Pacer // the replicas' shared turns of sendMessage and getChatHistory; nil alone
	elector queue.Elector
	inbox   *queue.Inbox    // for polling; set once the pool exists
	polling bool            // the pool works: numbers in poll mode are polled
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

// uncheckedEntries are the numbers of ls as the webhook knows them before
// their first check: their tokens, their state not checked yet.
func uncheckedEntries(ls []loaded) []handlers.InstanceEntry {
	entries := make([]handlers.InstanceEntry, len(ls))
	for i, l := range ls {
		entries[i] = handlers.InstanceEntry{Instance: handlers.NewInstance(l.ID), Tokens: l.webhookTokens()}
	}
	return entries
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
			if err := e.checkInstance(ctx, client, r.log); err != nil {
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
	guard := pacing.NewGuard(client, pacing.GuardConfig{
		Probe:    func(ctx context.Context) error { return e.probe(ctx, client) },
		OnChange: e.paused,
		OnProblem: func(problem, method string, err error) {
			if problem == "quota_exceeded" {
				e.quotaSpent(time.Now())
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
	e.ctx = ctx
	e.stop = func() {
		stop()
		e.done.Wait()
	}
	if r.polling {
		r.poll(e)
	}
}

// startPolling starts polling the numbers in poll mode, once the pool
// works what polling stores; numbers added later are polled as they start.
func (r *runner) startPolling() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polling = true
	for _, e := range r.running {
		r.poll(e)
	}
}

// poll polls e's number, in poll mode, from one replica at a time.
func (r *runner) poll(e *engine) {
	if e.l.ReceiveMode != "poll" {
		return
	}
	id, client, log := e.l.ID, e.client, r.log.With("instance", e.l.ID)
	e.done.Add(1)
	go func() {
		defer e.done.Done()
		queue.Lead(e.ctx, r.elector, "poll "+id, leaderRetry, log, func(ctx context.Context) { poll(ctx, id, client, r.inbox, log) })
	}()
}

// servedIDs lists the instances served, for the duties that must leave
// other deployments' numbers alone.
func (r *runner) servedIDs() []string {
	all := r.set.All()
	ids := make([]string, len(all))
	for i, inst := range all {
		ids[i] = inst.ID
	}
	return ids
}

// bots returns the bot of each instance served.
func (r *runner) bots() []*bot.Bot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*bot.Bot, 0, len(r.running))
	for _, e := range r.running {
		out = append(out, e.bot)
	}
	return out
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
