package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
)

// errLookupPending is the cause of the WaitError of a first contact whose
// sender's lookup is not settled yet.
var errLookupPending = errors.New("waiting for the sender's lookup")

// ErrLookupTimeout ends a lookup that was not settled within the first
// contact's budget (LOOKUP_TIMEOUT): its turn would not come in time (it
// is then not queued at all), or did not come, or the call did not answer
// in time.
var ErrLookupTimeout = errors.New("no answer within LOOKUP_TIMEOUT")

// DefaultLookupInterval is 5% over Green API's one getContactInfo a
// second: a turn is taken at the pacer, and the call reaches Green API a
// little later, later for one call than for the next; the margin keeps
// that jitter from making two calls land within one second (a 429). The
// same margin as sendMessage's 90% (see main's sharedLimiter).
const DefaultLookupInterval = 1050 * time.Millisecond

// LookupConfig tunes Lookups.
type LookupConfig struct {
	// Interval is the least time between two getContactInfo calls: Green
	// API allows one a second per instance; default DefaultLookupInterval.
	Interval time.Duration
	// AttemptTimeout bounds one call; default 20 s. A call that answers
	// after its first contact's budget ran out still has its profile
	// cached, for the sender's next first contact.
	AttemptTimeout time.Duration
	// MinRetry is the wait before a failed lookup is tried again; it
	// doubles with each attempt; default 2 s.
	MinRetry time.Duration
	// Pacer hands out the turns, one per Interval, under Key; default a
	// LocalPacer. Replicas on one database share a store/postgres Pacer, so
	// that the instance's limit holds across them.
	Pacer pacing.Pacer
	// Key names the turns in the Pacer: the instance and the method.
	Key string
	// Instance is the idInstance whose profiles the lookups save.
	Instance string
}

// Lookups looks senders up with getContactInfo for their first contacts,
// at Green API's pace: one call per Interval for the whole instance, in
// the order the first contacts asked, a sender not yet tried before a
// sender being retried. A lookup that fails in a way worth retrying (5xx,
// 429, a timeout, the instance down) is tried again after a backoff that
// doubles (2 s, 4 s, 8 s, ...), and only while its first contact's budget
// lasts: one broken contact takes at most a handful of calls from the
// instance's budget (4 in the default 30 s), never all of it. A refusal of
// the contact (400, 404), a spent quota or an unreadable answer ends the
// lookup at once. Every fetched profile is cached in the store.
//
// The turns come from a Pacer under the instance's key, so that replicas
// on one database share the instance's 1 call a second; each replica
// reserves at most one turn ahead, so turns go to the replicas in the
// order they ask. Lookups hold no goroutine while idle: a timer starts
// each call.
type Lookups struct {
	api   pacing.API
	store Store
	now   func() time.Time // dates the cached profiles
	log   *slog.Logger
	cfg   LookupConfig

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	calls  sync.WaitGroup

	mu        sync.Mutex
	byChat    map[string]*lookup
	queue     []*lookup // not in flight and not settled, in the order asked
	next      time.Time // the earliest start of the next call
	reserving bool      // a turn is being reserved: the next waits for it
	timer     *time.Timer
	stopped   bool
}

// lookup is one sender's lookup for one first contact.
type lookup struct {
	chat      string
	deadline  time.Time // the first contact's budget ends
	notBefore time.Time // a retry's backoff
	attempts  int
	inFlight  bool
	abandoned bool // the first contact went on without it: cache only
	settled   bool
	info      *greenapi.ContactInfo
	err       error
	wait      *pacing.WaitError // what a first contact is told until it is settled (its Until: deadline)
	ready     func()            // ends wait for everyone it was given to
}

// NewLookups returns Lookups that call api and cache profiles in store,
// dated by now.
func NewLookups(api pacing.API, store Store, cfg LookupConfig, now func() time.Time, log *slog.Logger) *Lookups {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultLookupInterval
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 20 * time.Second
	}
	if cfg.MinRetry <= 0 {
		cfg.MinRetry = 2 * time.Second
	}
	if cfg.Pacer == nil {
		cfg.Pacer = &pacing.LocalPacer{}
	}
	if cfg.Key == "" {
		cfg.Key = cfg.Instance + ":" + greenapi.MethodGetContactInfo
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Lookups{api: api, store: store, now: now, log: log, cfg: cfg, ctx: ctx, cancel: cancel, byChat: make(map[string]*lookup)}
}

// Close stops new calls, cancels those in flight and waits for them.
func (l *Lookups) Close() {
	l.mu.Lock()
	l.stopped = true
	if l.timer != nil {
		l.timer.Stop()
	}
	l.mu.Unlock()
	l.cancel()
	l.calls.Wait()
}

// Result returns chat's profile once its lookup is settled, or the error
// that ended it. A lookup not asked for yet is queued, with budget as the
// time left to its first contact, unless so many are ahead that its turn
// would come too late: then it ends at once with ErrLookupTimeout. Until
// it is settled Result returns a *WaitError that is ready when it is.
// Once the budget has run out, Result returns ErrLookupTimeout (with the
// last failure, if any), and a call still in flight only caches what it
// brings.
func (l *Lookups) Result(chat string, budget time.Duration) (*greenapi.ContactInfo, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byChat[chat]
	switch {
	case e == nil:
		if budget <= 0 {
			return nil, ErrLookupTimeout
		}
		if !l.turnBeforeLocked(now, now.Add(budget)) {
			// Its turn cannot come within the budget: the sender is better
			// served by a greeting now than by one without a profile later.
			return nil, fmt.Errorf("%w: %d lookups are ahead at one per %v", ErrLookupTimeout, l.newAheadLocked(), l.cfg.Interval)
		}
		e = &lookup{chat: chat, deadline: now.Add(budget)}
		e.wait, e.ready = pacing.NewWait(e.deadline, errLookupPending)
		l.byChat[chat] = e
		l.queue = append(l.queue, e)
		l.scheduleLocked(now)
	case e.abandoned:
		// A call for an earlier first contact of the chat is still in
		// flight (abandonLocked): this one waits for it.
		if budget <= 0 {
			return nil, ErrLookupTimeout
		}
		e.abandoned, e.deadline = false, now.Add(budget)
	}
	if e.settled {
		delete(l.byChat, chat)
		return e.info, e.err
	}
	if !now.Before(e.deadline) {
		l.abandonLocked(e)
		return nil, timedOut(e)
	}
	return nil, e.wait.WithUntil(e.deadline)
}

// Take returns, and forgets, the outcome of chat's lookup if it is settled:
// a first contact that waited for it uses it before anything else, even
// when the profile it cached is stale by then.
func (l *Lookups) Take(chat string) (info *greenapi.ContactInfo, err error, settled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byChat[chat]
	if e == nil || !e.settled {
		return nil, nil, false
	}
	delete(l.byChat, chat)
	return e.info, e.err, true
}

// turnBeforeLocked reports whether a lookup asked for now would get its
// turn before deadline: new senders go first, one per Interval.
func (l *Lookups) turnBeforeLocked(now, deadline time.Time) bool {
	turn := l.next
	if turn.Before(now) {
		turn = now
	}
	ahead := l.newAheadLocked()
	if l.reserving {
		ahead++ // the turn being reserved comes first
	}
	turn = turn.Add(time.Duration(ahead) * l.cfg.Interval)
	return turn.Before(deadline)
}

// newAheadLocked counts the queued lookups not tried yet.
func (l *Lookups) newAheadLocked() int {
	n := 0
	for _, e := range l.queue {
		if e.attempts == 0 {
			n++
		}
	}
	return n
}

// abandonLocked lets the first contact go on without e: a call in flight
// still caches its profile; a queued lookup is dropped.
func (l *Lookups) abandonLocked(e *lookup) {
	if e.inFlight {
		e.abandoned = true
		return
	}
	l.removeLocked(e)
	delete(l.byChat, e.chat)
}

func (l *Lookups) removeLocked(e *lookup) {
	for i, q := range l.queue {
		if q == e {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			return
		}
	}
}

// scheduleLocked sets the timer for the next call, if one is due.
func (l *Lookups) scheduleLocked(now time.Time) {
	if l.timer != nil || l.stopped || l.reserving || len(l.queue) == 0 {
		return
	}
	at := l.next
	earliest := l.queue[0].notBefore
	for _, e := range l.queue[1:] {
		if e.notBefore.Before(earliest) {
			earliest = e.notBefore
		}
	}
	if earliest.After(at) {
		at = earliest
	}
	l.timer = time.AfterFunc(at.Sub(now), l.dispatch)
}

// dispatch starts the call of the lookup whose turn it is.
func (l *Lookups) dispatch() {
	now := time.Now()
	var expired []*lookup
	l.mu.Lock()
	l.timer = nil
	if l.stopped {
		l.mu.Unlock()
		return
	}
	var pick *lookup
	for _, e := range l.queue {
		switch {
		case !now.Before(e.deadline):
			expired = append(expired, e)
		case now.Before(e.notBefore):
		case pick == nil || e.attempts < pick.attempts:
			pick = e // the first asked among the fewest attempts
		}
	}
	for _, e := range expired {
		// Its turn never came within the budget: its first contact is
		// told, and goes on without a profile.
		l.removeLocked(e)
		l.settleLocked(e, nil, timedOut(e))
	}
	if pick != nil {
		l.removeLocked(pick)
		pick.inFlight = true
		pick.attempts++
		l.reserving = true // the next call waits for this one's turn
		l.calls.Add(1)
		go l.call(pick)
	}
	l.scheduleLocked(now)
	l.mu.Unlock()
	for _, e := range expired {
		e.ready()
	}
}

// call takes the instance's next turn, makes one getContactInfo call in
// it, and settles, retries or abandons its lookup by what the failure
// means.
func (l *Lookups) call(e *lookup) {
	defer l.calls.Done()
	info, err := l.callInTurn(e.chat)
	if err == nil {
		if saveErr := l.store.SaveProfile(l.ctx, Profile{Instance: l.cfg.Instance, ChatID: e.chat, Info: *info, FetchedAt: l.now()}); saveErr != nil {
			l.log.Warn("caching the profile failed", "chat", e.chat, "err", saveErr)
		}
	}
	now := time.Now()
	l.mu.Lock()
	e.inFlight = false
	retryAt := now.Add(l.cfg.MinRetry << min(e.attempts-1, 10))
	switch {
	case l.ctx.Err() != nil:
		// Closing: the first contact is settled by the next process.
		l.mu.Unlock()
		return
	case e.abandoned:
		delete(l.byChat, e.chat)
		l.mu.Unlock()
		return
	case err != nil && (errors.Is(err, pacing.ErrPaused) || errors.Is(err, greenapi.ErrNoSlot)):
		// No call went out: the turn is not spent on this lookup. While
		// calls are paused it waits for them to resume.
		e.attempts--
		retryAt = now.Add(l.cfg.Interval)
		var wait *pacing.WaitError
		if errors.As(err, &wait) {
			// What waits is this lookup, not the first contact: keep
			// only why.
			retryAt, err = wait.Until, wait.Cause
		}
		if now.Add(l.cfg.Interval).Before(e.deadline) {
			e.notBefore, e.err = retryAt, err
			l.queue = append(l.queue, e)
			l.scheduleLocked(now)
			l.mu.Unlock()
			if wait != nil {
				wait.OnReady(func() { l.retryNow(e) })
			}
			return
		}
	case err != nil && retryable(err) && retryAt.Before(e.deadline):
		e.notBefore, e.err = retryAt, err
		l.queue = append(l.queue, e)
		l.scheduleLocked(now)
		attempts := e.attempts
		l.mu.Unlock()
		l.log.Debug("getContactInfo failed; will retry", "chat", e.chat, "attempt", attempts,
			"retry_in", retryAt.Sub(now), "reason", greenapi.ReasonOf(err), "err", err)
		return
	}
	l.settleLocked(e, info, err)
	l.mu.Unlock()
	e.ready()
}

// callInTurn reserves the next turn from the Pacer, lets the next lookup
// be dispatched one Interval after it, waits for the turn and calls.
func (l *Lookups) callInTurn(chat string) (*greenapi.ContactInfo, error) {
	asked := time.Now()
	wait, err := l.cfg.Pacer.Reserve(l.ctx, l.cfg.Key, l.cfg.Interval)
	now := time.Now()
	l.mu.Lock()
	l.reserving, l.next = false, now.Add(wait+l.cfg.Interval) // this turn, then the next
	if err != nil {
		l.next = now.Add(l.cfg.Interval) // the store failed: try again at the local pace
	}
	l.scheduleLocked(now)
	l.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", greenapi.ErrNoSlot, err)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-l.ctx.Done():
			t.Stop()
			return nil, l.ctx.Err()
		case <-t.C:
		}
	}
	// A turn taken too late is no longer this call's: the next turn, maybe
	// another replica's, comes on time, and the two calls would reach
	// Green API closer than its limit allows (a 429). A stalled process
	// takes a new turn instead.
	// Late is counted from when the turn was asked for: a reply that took
	// long left its turn behind it, however short the wait it named.
	if late := time.Since(asked.Add(wait)); late > l.cfg.Interval/2 {
		return nil, fmt.Errorf("%w: the turn came %v late", greenapi.ErrNoSlot, late.Round(time.Millisecond))
	}
	ctx, cancel := context.WithTimeout(l.ctx, l.cfg.AttemptTimeout)
	defer cancel()
	return l.api.GetContactInfo(ctx, chat)
}

// retryNow takes e's turn as soon as the pace allows, when what it waited
// for (calls to resume) is ready.
func (l *Lookups) retryNow(e *lookup) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.inFlight || e.settled || !now.Before(e.notBefore) {
		return
	}
	e.notBefore = now
	if l.timer != nil && l.timer.Stop() {
		l.timer = nil
	}
	l.scheduleLocked(now)
}

func (l *Lookups) settleLocked(e *lookup, info *greenapi.ContactInfo, err error) {
	e.settled, e.info, e.err = true, info, err
}

// timedOut is the error of a lookup whose budget ran out unsettled.
func timedOut(e *lookup) error {
	if e.err != nil {
		return fmt.Errorf("%w after %d attempts, the last: %w", ErrLookupTimeout, e.attempts, e.err)
	}
	return ErrLookupTimeout
}

// retryable reports whether a failed lookup is worth another turn.
func retryable(err error) bool {
	switch greenapi.KindOf(err) {
	case greenapi.RetryLater, greenapi.InstanceDown:
		return true
	}
	return false
}

// lookupReason is the degraded reason of a first contact whose lookup
// ended with err.
func lookupReason(err error) string {
	switch {
	case errors.Is(err, pacing.ErrPaused):
		return "unavailable"
	case errors.Is(err, ErrLookupTimeout):
		return "timeout"
	}
	return greenapi.ReasonOf(err)
}

// profile returns the sender's profile: cached when fresh, else looked up
// (see Lookups). Until the lookup is settled it returns a *WaitError; when
// the lookup fails, or the first contact's budget (LookupTimeout since it
// was claimed) runs out, it goes on with what it has and says why in one
// WARN line and in the metric.
func (b *Bot) profile(ctx context.Context, chatID string, claimed time.Time, log *slog.Logger) (info greenapi.ContactInfo, degraded string, err error) {
	fetched, err, settled := b.lookups.Take(chatID)
	if !settled {
		cached, cacheErr := b.store.GetProfile(ctx, b.cfg.Instance, chatID)
		switch {
		case cacheErr == nil && b.Now().Sub(cached.FetchedAt) < b.cfg.ProfileRefresh:
			return cached.Info, "", nil
		case cacheErr != nil && !errors.Is(cacheErr, ErrNotFound):
			return info, "", fmt.Errorf("reading the cached profile: %w", cacheErr)
		}
		fetched, err = b.lookups.Result(chatID, b.cfg.LookupTimeout-b.Now().Sub(claimed))
	}
	var wait *pacing.WaitError
	switch {
	case errors.As(err, &wait):
		return info, "", err
	case err != nil:
		reason := lookupReason(err)
		b.metrics.LookupFailed(reason)
		log.Warn("getContactInfo failed: greeting without the profile", "reason", reason, "err", err)
		if cached, err := b.store.GetProfile(ctx, b.cfg.Instance, chatID); err == nil {
			return cached.Info, reason, nil // stale, but better than none
		}
		return info, reason, nil
	}
	return *fetched, "", nil
}
