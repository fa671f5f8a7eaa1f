package queue

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
)

// PoolMetrics observes the pool.
type PoolMetrics interface {
	Processed(typeWebhook string, d time.Duration, err error)
	InboxDepth(n int)
}

// PoolConfig tunes a Pool.
type PoolConfig struct {
	// MaxActiveChats bounds how many chats are worked on at once; default 256.
	MaxActiveChats int
	// MinRetry and MaxRetry bound the backoff after a failed notification;
	// defaults 1 s and 5 min.
	MinRetry, MaxRetry time.Duration
	// MaxHeldBytes bounds the memory that notifications waiting or in
	// flight keep (their bodies, parsed), so that most are handled without
	// reading them back from the store; default 1 MiB. Past it, queues keep
	// only ids.
	MaxHeldBytes int
	// MaxQueued bounds how many notifications the pool keeps in memory
	// (ids and chats, and within MaxHeldBytes their bodies); default 4096.
	// Past it newer notifications wait only in the store and are read back
	// in order as the queues drain, so a backlog of any size costs the
	// same memory.
	MaxQueued int
	// Replicas, if set, is the store shared with other replicas: the pool
	// rescues the work of replicas that died, every RescueEvery (default
	// 2 s), works a notification only when no older one of its chat
	// belongs to another replica, and hands its unstarted work back when
	// it stops.
	Replicas    Replicas
	RescueEvery time.Duration
	// OnSetAside, if set, is told each time a notification's chat is set
	// aside: after a failure (err, retried at until) or to wait (err a
	// *pacing.WaitError, until its Until at the latest). The sandbox
	// shows it; it must not block.
	OnSetAside func(n Notification, err error, until time.Time)
	// ReconcileEvery is how often the pool compares what the store says
	// is pending (for this replica) with what it holds, and queues what
	// was stored but never reached it (a commit reported failed that had
	// succeeded, whose resend was then a duplicate); default 5 s.
	ReconcileEvery time.Duration
}

// Pool works through stored notifications: one chat's notifications one at
// a time and in order, different chats in parallel. A chat that waits holds
// no worker: waiting for its retry after a failure, or for what a
// *pacing.WaitError names (its sender's lookup, Green API to be back), it holds
// only a timer and its place in line, and a WaitError that becomes ready
// takes it back at once. So a burst of new senders or an outage of Green
// API never holds up the chats that need no call, and a backlog of
// thousands costs no goroutine each. Past MaxQueued notifications the pool
// spills: newer ones wait only in the store.
type Pool struct {
	store   Store
	handle  func(context.Context, Notification) error
	log     *slog.Logger
	metrics PoolMetrics
	cfg     PoolConfig

	mu        sync.Mutex
	queues    map[string][]Notification // per chat, waiting, in order
	heldBytes int                       // bytes of the bodies kept in queues
	queued    map[int64]bool
	inMemory  int                    // notifications in queues
	active    map[string]bool        // chats with a goroutine
	running   int                    // len(active), bounded by MaxActiveChats
	waiting   []string               // chats with work but no free slot, in order
	failures  map[string]int         // consecutive failures of a chat's first notification
	retrying  map[string]*time.Timer // chats set aside: waiting, without a slot, for a retry or a WaitError
	stopped   bool
	alone     atomic.Bool // no other replica is alive (as of the last rescue)

	// Spilling: past MaxQueued, notifications above cursor wait only in
	// the store, and refills read them back in id order.
	spilled     bool
	cursor      int64 // while spilled: every pending id up to it is in memory
	maxSeen     int64 // the highest id given to Enqueue
	loaded      int64 // the highest id read back from the store
	onlyInStore int   // while spilled: about how many wait only in the store
	refilling   bool
	arrived     []Notification // spilled while a refill reads the store
	early       []Notification // given to Enqueue before Start
	wg          sync.WaitGroup
	work        context.Context // handed to handlers; ends after the drain deadline
	quit        chan struct{}   // closed by Stop: the pool's own loops end
	cancel      context.CancelFunc
}

// NewPool returns a pool that calls handle for each stored notification.
// metrics may be nil.
func NewPool(store Store, handle func(context.Context, Notification) error, cfg PoolConfig, log *slog.Logger, metrics PoolMetrics) *Pool {
	if cfg.MaxActiveChats <= 0 {
		cfg.MaxActiveChats = 256
	}
	if cfg.MinRetry <= 0 {
		cfg.MinRetry = time.Second
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = 5 * time.Minute
	}
	if cfg.MaxHeldBytes <= 0 {
		cfg.MaxHeldBytes = 1 << 20
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 4096
	}
	if cfg.RescueEvery <= 0 {
		cfg.RescueEvery = DefaultRescueEvery
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = DefaultReconcileEvery
	}
	if metrics == nil {
		metrics = nopMetrics{}
	}
	return &Pool{store: store, handle: handle, log: log, metrics: metrics, cfg: cfg,
		queues: make(map[string][]Notification), queued: make(map[int64]bool), active: make(map[string]bool),
		failures: make(map[string]int), retrying: make(map[string]*time.Timer), quit: make(chan struct{})}
}

// Start loads every unfinished notification from the store (those a crash
// or a shutdown left behind) and starts working. Call it before accepting
// new notifications. Work goes on until Stop.
func (p *Pool) Start(ctx context.Context) error {
	count, err := p.store.CountPending(ctx)
	if err != nil {
		return err
	}
	pending, err := p.store.PendingNotifications(ctx, 0, p.cfg.MaxQueued)
	if err != nil {
		return err
	}
	if count > 0 {
		p.log.Info("resuming unfinished notifications", "count", count)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.work, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, n := range pending {
		p.addLocked(n, false)
	}
	if len(pending) > 0 {
		last := pending[len(pending)-1].ID
		p.loaded, p.maxSeen = last, last
		if len(pending) == p.cfg.MaxQueued {
			p.spilled, p.cursor, p.onlyInStore = true, last, max(0, count-len(pending))
		}
	}
	for _, n := range p.early {
		p.enqueueLocked(n)
	}
	p.early = nil
	p.reportDepthLocked()
	if p.cfg.Replicas != nil {
		p.wg.Add(1)
		go p.rescue()
	}
	p.wg.Add(1)
	go p.reconcile()
	return nil
}

// Stop stops taking new work and waits for the notifications in flight to
// finish, up to the context's deadline; then it cancels them. What is not
// finished stays in the store for the next start.
func (p *Pool) Stop(ctx context.Context) {
	p.mu.Lock()
	if p.stopped || p.work == nil {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.quit)
	for chat, t := range p.retrying {
		t.Stop()
		delete(p.retrying, chat)
	}
	cancel := p.cancel
	var inFlight []int64
	for chat := range p.active {
		if q := p.queues[chat]; len(q) > 0 {
			inFlight = append(inFlight, q[0].ID)
		}
	}
	p.mu.Unlock()
	if p.cfg.Replicas != nil {
		// What has not started goes to the other replicas at once.
		if err := p.cfg.Replicas.HandBack(ctx, inFlight); err != nil {
			p.log.Warn("handing unstarted work back failed; other replicas take it once this one is gone", "err", err)
		}
	}
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		cancel()
		<-done
	}
	cancel()
}

// Enqueue adds a stored notification to its chat's queue. Its body stays
// in memory while the pool holds less than MaxHeldBytes; otherwise it is
// read back from the store when its turn comes, so queues stay small.
func (p *Pool) Enqueue(n Notification) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.work == nil && !p.stopped {
		// Not started: Start queues it after what it reads from the store
		// (it may have been stored after that read).
		p.early = append(p.early, n)
		return
	}
	p.enqueueLocked(n)
}

func (p *Pool) enqueueLocked(n Notification) {
	if p.queued[n.ID] || p.work == nil {
		return
	}
	prev := p.maxSeen
	p.maxSeen = max(p.maxSeen, n.ID)
	if !p.spilled && p.inMemory >= p.cfg.MaxQueued && n.ID > prev {
		p.spilled, p.cursor, p.onlyInStore = true, prev, 0
		p.log.Info("inbox over its memory budget; newer notifications wait in the store", "in_memory", p.inMemory)
	}
	if p.spilled && n.ID > p.cursor {
		p.onlyInStore++ // a refill reads it back in its turn
		if p.refilling {
			// The refill's read may have missed it: it is queued with the
			// refill's rows should the refill catch up with the store.
			p.arrived = append(p.arrived, n)
		}
		p.reportDepthLocked()
		return
	}
	// An id the pool has read back from the store already arrives late:
	// it may be handled already, so only its id is kept, and the store
	// says whether it is finished.
	p.addLocked(n, n.ID <= p.loaded)
	p.reportDepthLocked()
}

// addLocked queues n in its chat's queue, in id order, and starts the chat
// if it can.
func (p *Pool) addLocked(n Notification, late bool) {
	if !late && n.Body != nil && p.heldBytes+heldCost(n) <= p.cfg.MaxHeldBytes {
		p.heldBytes += heldCost(n)
	} else {
		n = Notification{ID: n.ID, Instance: n.Instance, ChatID: n.ChatID} // the rest is read back when its turn comes
	}
	p.queued[n.ID] = true
	chat := n.queueKey()
	q := p.queues[chat]
	i := len(q)
	first := 0
	if p.active[chat] {
		first = 1 // q[0] is in flight
	}
	for i > first && q[i-1].ID > n.ID {
		i--
	}
	p.queues[chat] = slices.Insert(q, i, n)
	p.inMemory++
	if p.stopped || p.active[chat] || p.isAside(chat) {
		return
	}
	if p.running >= p.cfg.MaxActiveChats {
		if len(p.queues[chat]) == 1 {
			p.waiting = append(p.waiting, chat)
		}
		return
	}
	p.startLocked(chat)
}

// queueKey names the chat of n among the pool's queues: a chat is a chat
// of one instance.
func (n Notification) queueKey() string { return n.Instance + "/" + n.ChatID }

// heldCost estimates the memory a held notification keeps: its body and,
// parsed, about four times as much (BenchmarkParseNotification's B/op).
func heldCost(n Notification) int {
	if n.Body == nil {
		return 0
	}
	return 5 * len(n.Body)
}

func (p *Pool) startLocked(chat string) {
	p.active[chat] = true
	p.running++
	p.wg.Add(1)
	go p.runChat(chat)
}

// runChat handles a chat's notifications in order until its queue is empty
// or one fails; then the chat waits for its retry without a slot.
func (p *Pool) runChat(chat string) {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		q := p.queues[chat]
		if len(q) == 0 || p.stopped {
			if len(q) == 0 {
				delete(p.queues, chat)
			}
			delete(p.active, chat)
			p.running--
			p.startWaitingLocked()
			p.mu.Unlock()
			return
		}
		n, work := q[0], p.work
		p.mu.Unlock()

		err := p.process(work, n)
		var wait *pacing.WaitError
		if errors.As(err, &wait) && work.Err() == nil {
			// Not a failure: the chat waits, without a worker, until the
			// wait is ready or Until at the latest.
			p.mu.Lock()
			p.putAsideLocked(chat, time.Until(wait.Until))
			p.mu.Unlock()
			if p.cfg.OnSetAside != nil {
				p.cfg.OnSetAside(n, err, wait.Until)
			}
			wait.OnReady(func() { p.wake(chat) })
			p.log.Debug("notification waits", "chat", chat, "id", n.ID, "until", wait.Until.Format(time.TimeOnly), "err", err)
			return
		}
		if err != nil && work.Err() == nil {
			p.mu.Lock()
			p.failures[chat]++
			failures := p.failures[chat]
			delay := p.backoff(failures)
			p.putAsideLocked(chat, delay)
			p.mu.Unlock()
			if p.cfg.OnSetAside != nil {
				p.cfg.OnSetAside(n, err, time.Now().Add(delay))
			}
			// The first failure is a WARN; its repeats are DEBUG, and the
			// outcome says how many there were.
			level := slog.LevelWarn
			if failures > 1 {
				level = slog.LevelDebug
			}
			p.log.Log(work, level, "notification failed; will retry", "chat", chat, "id", n.ID, "attempt", failures,
				"retry_in", delay.Round(time.Millisecond), "err", err)
			return
		}
		if err != nil { // stopped: leave it in the store
			continue
		}
		p.mu.Lock()
		failed := p.failures[chat]
		delete(p.failures, chat)
		p.queues[chat][0] = Notification{} // let the body go
		p.queues[chat] = p.queues[chat][1:]
		p.heldBytes -= heldCost(n)
		delete(p.queued, n.ID)
		p.inMemory--
		p.reportDepthLocked()
		p.refillIfLowLocked()
		p.mu.Unlock()
		if failed > 0 {
			p.log.Info("notification handled after failed attempts", "chat", chat, "id", n.ID, "failed_attempts", failed)
		}
	}
}

func (p *Pool) startWaitingLocked() {
	for len(p.waiting) > 0 && p.running < p.cfg.MaxActiveChats && !p.stopped {
		chat := p.waiting[0]
		p.waiting = p.waiting[1:]
		if len(p.queues[chat]) > 0 && !p.active[chat] && !p.isAside(chat) {
			p.startLocked(chat)
		}
	}
}

// isAside reports whether chat waits, without a worker, for its retry or
// for a WaitError.
func (p *Pool) isAside(chat string) bool { return p.retrying[chat] != nil }

// putAsideLocked takes chat off its worker until delay has passed.
func (p *Pool) putAsideLocked(chat string, delay time.Duration) {
	delete(p.active, chat)
	p.running--
	if !p.stopped {
		p.retrying[chat] = time.AfterFunc(delay, func() { p.retry(chat) })
	}
	p.startWaitingLocked()
}

// wake takes a chat that was set aside back to work before its timer, when
// what it waited for is ready.
func (p *Pool) wake(chat string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.retrying[chat]; t != nil && t.Stop() {
		p.retryLocked(chat)
	}
}

// retry takes a chat back to work when its backoff has passed: at once if
// a slot is free, else in turn with the other waiting chats.
func (p *Pool) retry(chat string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retryLocked(chat)
}

func (p *Pool) retryLocked(chat string) {
	if p.retrying[chat] == nil || p.stopped {
		return
	}
	delete(p.retrying, chat)
	p.resumeLocked(chat)
}

func (p *Pool) resumeLocked(chat string) {
	if p.stopped {
		return
	}
	if p.running >= p.cfg.MaxActiveChats {
		p.waiting = append(p.waiting, chat)
		return
	}
	p.startLocked(chat)
}

// process handles one notification and marks it finished; a permanent
// failure is kept as a dead letter and finished too.
func (p *Pool) process(ctx context.Context, ref Notification) error {
	start := time.Now()
	n := ref
	if n.Body == nil {
		var err error
		if n, err = p.store.GetNotification(ctx, ref.ID); err != nil {
			return err
		}
		if n.Finished {
			return nil // handled already: it arrived late, after a refill
		}
	}
	if p.cfg.Replicas != nil && !p.alone.Load() {
		older, err := p.cfg.Replicas.OlderPending(ctx, n.Instance, n.ChatID, n.ID)
		if err != nil {
			return err
		}
		if older {
			return &pacing.WaitError{Until: time.Now().Add(p.cfg.RescueEvery / 10), Cause: errOlderElsewhere}
		}
	}
	err := p.handle(ctx, n)
	var wait *pacing.WaitError
	if errors.As(err, &wait) {
		return err // waiting is not failing
	}
	p.metrics.Processed(n.TypeWebhook, time.Since(start), err)
	if errors.Is(err, ErrPermanent) {
		p.log.Error("notification cannot be processed; kept in dead_letters", "instance", n.Instance, "chat", n.ChatID, "id", n.ID, "err", err)
		if dlErr := p.store.AddDeadLetter(ctx, n.Instance, n.Body, err.Error(), time.Now()); dlErr != nil {
			return dlErr
		}
		err = nil
	}
	if err != nil {
		return err
	}
	return p.store.FinishNotification(ctx, n.ID, time.Now())
}

func (p *Pool) backoff(failures int) time.Duration {
	d := p.cfg.MinRetry << min(failures-1, 20)
	if d > p.cfg.MaxRetry || d <= 0 {
		d = p.cfg.MaxRetry
	}
	return d/2 + rand.N(d/2+1)
}

// Depth returns how many notifications wait or are in flight.
func (p *Pool) Depth() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inMemory + p.onlyInStore
}

func (p *Pool) reportDepthLocked() { p.metrics.InboxDepth(p.inMemory + p.onlyInStore) }

type nopMetrics struct{}

func (nopMetrics) Processed(string, time.Duration, error) {}
func (nopMetrics) InboxDepth(int)                         {}
