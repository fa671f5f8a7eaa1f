package queue

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
)

// ErrUnknownInstance is the cause of the wait of a notification whose
// instance this process does not serve (it was removed, or is not yet
// added here): the notification is kept and tried again.
var ErrUnknownInstance = errors.New("the instance is not served by this process")

// unknownInstanceRetry is how long a notification of an instance this
// process does not serve waits before it is tried again.
const unknownInstanceRetry = time.Minute

// drainCheck is how often a removed instance's bot asks whether its
// notifications are all worked.
const drainCheck = time.Second

// Fleet hands each stored notification to the bot of its instance. The
// instances change while it runs (a reload): a notification in flight
// finishes with the bot it started with; a removed instance's bot works on
// until none of its notifications is left unfinished, then it is closed.
type Fleet struct {
	store Store
	log   *slog.Logger

	mu       sync.Mutex
	members  map[string]*member // the instances served, by id
	retiring map[string]*member // removed, working off what they stored
	warned   map[string]time.Time
	drains   sync.WaitGroup // drain goroutines
	closing  sync.WaitGroup // closes of retired bots
}

// Handler handles the stored notifications of one instance; *bot.Bot is one.
type Handler interface {
	Handle(ctx context.Context, n Notification) error
}

// member is one instance's bot and what closes it.
type member struct {
	bot   Handler
	close func() // nil when the next member of the instance took it over
	refs  int    // notifications in flight
	// retired is set once no new notification reaches the member; it is
	// closed when refs falls to 0.
	retired bool
}

// NewFleet returns a fleet with no instance.
func NewFleet(store Store, log *slog.Logger) *Fleet {
	return &Fleet{store: store, log: log, members: make(map[string]*member), retiring: make(map[string]*member),
		warned: make(map[string]time.Time)}
}

// Add serves instance with b; close releases what b uses (its Green API
// client, guard and lookups) once b is no longer needed. An instance
// served already gets b for its next notifications; the former bot
// finishes those in flight, then its close runs.
func (f *Fleet) Add(instance string, b Handler, close func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.members[instance]
	if old == nil {
		old = f.retiring[instance]
		delete(f.retiring, instance)
	}
	f.members[instance] = &member{bot: b, close: close}
	if old != nil {
		f.retireLocked(old)
	}
}

// Update gives instance a bot with new content that shares the current
// bot's client and lookups (bot.Bot.WithContent): the current close goes with
// it. It reports false when instance is not served.
func (f *Fleet) Update(instance string, b Handler) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.members[instance]
	if old == nil {
		return false
	}
	f.members[instance] = &member{bot: b, close: old.close}
	old.close = nil
	f.retireLocked(old)
	return true
}

// Remove stops serving instance: no new notification of it is stored
// (the webhook refuses it), those stored are worked by its bot, which is
// closed once none is left unfinished and none is in flight.
func (f *Fleet) Remove(instance string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[instance]
	if m == nil {
		return
	}
	delete(f.members, instance)
	f.retiring[instance] = m
	f.drains.Add(1)
	go f.drain(instance, m)
}

// drain waits until the removed instance has no unfinished notification,
// then retires its bot.
func (f *Fleet) drain(instance string, m *member) {
	defer f.drains.Done()
	t := time.NewTicker(drainCheck)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		left, err := f.store.PendingOf(ctx, instance)
		cancel()
		f.mu.Lock()
		if f.retiring[instance] != m { // added again, or the fleet stopped
			f.mu.Unlock()
			return
		}
		if err == nil && left == 0 {
			delete(f.retiring, instance)
			f.retireLocked(m)
			f.mu.Unlock()
			f.log.Info("instance removed: its notifications are all worked", "instance", instance)
			return
		}
		f.mu.Unlock()
		<-t.C
	}
}

// retireLocked sends no new work to m and closes it once its work in
// flight is done.
func (f *Fleet) retireLocked(m *member) {
	m.retired = true
	if m.refs == 0 {
		f.closeLocked(m)
	}
}

// closeLocked runs m's close, if it has one, in the background.
func (f *Fleet) closeLocked(m *member) {
	if c := m.close; c != nil {
		m.close = nil
		f.closing.Add(1)
		go func() {
			defer f.closing.Done()
			c()
		}()
	}
}

// PersonWrote tells instance's bot at once that a person of the business
// wrote in a chat (see Inbox.OnPersonWrote).
func (f *Fleet) PersonWrote(ctx context.Context, instance, chatID string, at time.Time) error {
	f.mu.Lock()
	m := f.members[instance]
	f.mu.Unlock()
	if m == nil {
		return nil
	}
	if b, ok := m.bot.(personWriter); ok {
		return b.PersonWrote(ctx, chatID, at)
	}
	return nil
}

// personWriter is a Handler that learns at once that a person of the
// business wrote in a chat; *bot.Bot is one.
type personWriter interface {
	PersonWrote(ctx context.Context, chatID string, at time.Time) error
}

// Handle is the pool's handler: it runs n with the bot of its instance.
// A notification of an instance not served here waits (WaitError) and is
// tried again a minute later, with one WARN line a minute per instance.
func (f *Fleet) Handle(ctx context.Context, n Notification) error {
	m := f.acquire(n.Instance)
	if m == nil {
		return &pacing.WaitError{Until: time.Now().Add(unknownInstanceRetry), Cause: ErrUnknownInstance}
	}
	defer f.release(m)
	return m.bot.Handle(ctx, n)
}

func (f *Fleet) acquire(instance string) *member {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[instance]
	if m == nil {
		m = f.retiring[instance]
	}
	if m == nil {
		if now := time.Now(); now.Sub(f.warned[instance]) >= unknownInstanceRetry {
			f.warned[instance] = now
			f.log.Warn("a stored notification's instance is not served here: it waits until the instance is added again",
				"instance", instance)
		}
		return nil
	}
	m.refs++
	return m
}

func (f *Fleet) release(m *member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m.refs--
	if m.refs == 0 && m.retired {
		f.closeLocked(m)
	}
}

// Close closes every bot, served or retiring; call it once the pool has
// stopped.
func (f *Fleet) Close() {
	f.mu.Lock()
	var closers []func()
	for _, set := range []map[string]*member{f.members, f.retiring} {
		for id, m := range set {
			if m.close != nil {
				closers = append(closers, m.close)
				m.close = nil
			}
			delete(set, id)
		}
	}
	f.mu.Unlock()
	f.drains.Wait()
	for _, c := range closers {
		c()
	}
	f.closing.Wait()
}
