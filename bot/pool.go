package bot

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
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
}

// Pool works through stored notifications: one chat's notifications one at
// a time and in order, different chats in parallel. A chat waiting for
// Green API (a getContactInfo slot, a retry) holds only its own goroutine,
// so it never delays other chats.
type Pool struct {
	store   Store
	handle  func(context.Context, Notification) error
	log     *slog.Logger
	metrics PoolMetrics
	cfg     PoolConfig

	mu      sync.Mutex
	queues  map[string][]Notification // per chat, waiting, in order (no bodies)
	queued  map[int64]bool
	active  map[string]bool
	waiting []string // chats with work but no free slot, in order
	depth   int
	stopped bool
	stop    chan struct{} // closed by Stop: wakes chats waiting to retry
	wg      sync.WaitGroup
	work    context.Context // handed to handlers; ends after the drain deadline
	cancel  context.CancelFunc
}

// NewPool returns a pool that calls handle for each stored notification.
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
	return &Pool{store: store, handle: handle, log: log, metrics: metrics, cfg: cfg,
		queues: make(map[string][]Notification), queued: make(map[int64]bool), active: make(map[string]bool),
		stop: make(chan struct{})}
}

// Start loads every unfinished notification from the store (those a crash
// or a shutdown left behind) and starts working. Call it before accepting
// new notifications. Work goes on until Stop.
func (p *Pool) Start(ctx context.Context) error {
	pending, err := p.store.PendingNotifications(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.work, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	p.mu.Unlock()
	if len(pending) > 0 {
		p.log.Info("resuming unfinished notifications", "count", len(pending))
	}
	for _, n := range pending {
		p.Enqueue(n)
	}
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
	close(p.stop)
	cancel := p.cancel
	p.mu.Unlock()
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

// Enqueue adds a stored notification to its chat's queue.
func (p *Pool) Enqueue(n Notification) {
	n.Body = nil // read again when handled: queues stay small
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queued[n.ID] || p.work == nil {
		return
	}
	p.queued[n.ID] = true
	p.queues[n.ChatID] = append(p.queues[n.ChatID], n)
	p.depth++
	p.metrics.InboxDepth(p.depth)
	if p.stopped || p.active[n.ChatID] {
		return
	}
	if len(p.active) >= p.cfg.MaxActiveChats {
		if len(p.queues[n.ChatID]) == 1 {
			p.waiting = append(p.waiting, n.ChatID)
		}
		return
	}
	p.startLocked(n.ChatID)
}

func (p *Pool) startLocked(chat string) {
	p.active[chat] = true
	p.wg.Add(1)
	go p.runChat(chat)
}

// runChat handles a chat's notifications in order until its queue is empty.
func (p *Pool) runChat(chat string) {
	defer p.wg.Done()
	failures := 0
	for {
		p.mu.Lock()
		q := p.queues[chat]
		if len(q) == 0 || p.stopped {
			if len(q) == 0 {
				delete(p.queues, chat)
			}
			delete(p.active, chat)
			p.startWaitingLocked()
			p.mu.Unlock()
			return
		}
		n, work := q[0], p.work
		p.mu.Unlock()

		err := p.process(work, n)
		if err != nil && work.Err() == nil {
			failures++
			delay := p.backoff(failures)
			level := slog.LevelWarn
			if errors.Is(err, ErrUnavailable) {
				level = slog.LevelDebug // the guard logs outages once per step
			}
			p.log.Log(work, level, "notification failed; will retry", "chat", chat, "id", n.ID, "attempt", failures,
				"retry_in", delay.Round(time.Millisecond), "err", err)
			select {
			case <-time.After(delay):
			case <-p.stop:
			}
			continue
		}
		if err != nil { // stopped: leave it in the store
			continue
		}
		failures = 0
		p.mu.Lock()
		p.queues[chat] = p.queues[chat][1:]
		delete(p.queued, n.ID)
		p.depth--
		p.metrics.InboxDepth(p.depth)
		p.mu.Unlock()
	}
}

func (p *Pool) startWaitingLocked() {
	for len(p.waiting) > 0 && len(p.active) < p.cfg.MaxActiveChats && !p.stopped {
		chat := p.waiting[0]
		p.waiting = p.waiting[1:]
		if len(p.queues[chat]) > 0 && !p.active[chat] {
			p.startLocked(chat)
		}
	}
}

// process handles one notification and marks it finished; a permanent
// failure is kept as a dead letter and finished too.
func (p *Pool) process(ctx context.Context, ref Notification) error {
	start := time.Now()
	n, err := p.store.GetNotification(ctx, ref.ID)
	if err != nil {
		return err
	}
	err = p.handle(ctx, n)
	p.metrics.Processed(n.TypeWebhook, time.Since(start), err)
	if errors.Is(err, ErrPermanent) {
		p.log.Error("notification cannot be processed; kept in dead_letters", "chat", n.ChatID, "id", n.ID, "err", err)
		if dlErr := p.store.AddDeadLetter(ctx, n.Body, err.Error(), time.Now()); dlErr != nil {
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
	return p.depth
}
