package pacing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// ErrPaused marks a call the guard did not let out because calls to Green
// API are paused; it comes inside a *WaitError that is ready when they
// resume.
var ErrPaused = errors.New("calls to Green API paused")

// GuardConfig tunes a Guard.
type GuardConfig struct {
	// Probe asks Green API whether the instance is up (getStateInstance,
	// and the state is "authorized"); required. The guard calls it by
	// itself: after Threshold failures in a row that may be an outage, and
	// at the end of each pause.
	Probe func(ctx context.Context) error
	// Threshold is how many calls in a row must fail with a failure worth
	// retrying (5xx, 429, a timeout) before the guard probes; default 5.
	Threshold int
	// MinPause and MaxPause bound the time between two probes while
	// paused, which doubles after each failed probe; defaults 1 s and 1 min.
	MinPause, MaxPause time.Duration
	// CheckEvery is the least time between two probes while calls flow:
	// when one method keeps failing but the instance answers, the guard
	// does not probe after every Threshold failures; default 10 s.
	CheckEvery time.Duration
	// OnChange, if set, is told when calls pause (with the error) and
	// resume (with nil).
	OnChange func(err error)
	// OnProblem, if set, is told once when Green API refuses Frontdesk as
	// a whole: the quota is spent, or calls pause for want of
	// authorization (the token, the instance id, the phone logged out).
	// It is called with the guard's lock held: a quick write, no call.
	OnProblem func(problem, method string, err error)
}

// GuardMetrics is told when calls pause and resume.
type GuardMetrics interface {
	GreenAPIPaused(paused bool)
}

// Guard wraps an API as a circuit breaker that pauses calls only when the
// instance is down, as greenapi.KindOf and the probe say, not when one
// method or one contact fails:
//   - a failure of kind InstanceDown (401, 403, the phone logged out, no
//     connection at all), or Threshold failures in a row of one method of
//     kind RetryLater (5xx, 429, timeouts), make the guard probe, at most
//     once per CheckEvery; if the probe fails, calls pause; if it answers,
//     calls go on (the failing calls are retried by their callers) and the
//     guard logs once that the method keeps failing;
//   - any other outcome of a method (success, a contact refused, a spent
//     quota) resets its count.
//
// While paused, each call fails at once, without going out, with a
// *WaitError wrapping ErrPaused that is ready when calls resume, so that
// waiting chats hold no worker and come back together. The guard probes
// at the end of each pause (MinPause doubling to MaxPause) and resumes on
// the first probe that succeeds. The pause and the resumption are logged
// once each, with counts; a spent quota (466) is logged once until a call
// succeeds again.
type Guard struct {
	api     API
	log     *slog.Logger
	metrics GuardMetrics
	cfg     GuardConfig
	ctx     context.Context // ends with Close: probes stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu        sync.Mutex
	failures  map[string]int // by method: failures in a row
	watching  bool
	lastCheck time.Time
	paused    *pause // nil: calls flow
	quotaSeen bool
}

// pause is one period of paused calls.
type pause struct {
	since   time.Time
	err     error // why: the last failure, or the last probe's
	probes  int
	refused int // calls refused without going out
	resumed *signal
}

// NewGuard wraps api. metrics may be nil.
func NewGuard(api API, cfg GuardConfig, log *slog.Logger, metrics GuardMetrics) *Guard {
	if cfg.Threshold <= 0 {
		cfg.Threshold = 5
	}
	if cfg.MinPause <= 0 {
		cfg.MinPause = time.Second
	}
	if cfg.MaxPause <= 0 {
		cfg.MaxPause = time.Minute
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 10 * time.Second
	}
	if cfg.Probe == nil {
		cfg.Probe = func(context.Context) error { return nil }
	}
	if metrics == nil {
		metrics = nopMetrics{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Guard{api: api, log: log, metrics: metrics, cfg: cfg, ctx: ctx, cancel: cancel, failures: make(map[string]int)}
}

type nopMetrics struct{}

func (nopMetrics) GreenAPIPaused(bool) {}

// Close stops the guard's probes and waits for the one in flight.
func (g *Guard) Close() {
	g.cancel()
	g.wg.Wait()
}

// GetContactInfo implements API.
func (g *Guard) GetContactInfo(ctx context.Context, chatID string) (*greenapi.ContactInfo, error) {
	var info *greenapi.ContactInfo
	err := g.call(ctx, greenapi.MethodGetContactInfo, func(ctx context.Context) (err error) {
		info, err = g.api.GetContactInfo(ctx, chatID)
		return err
	})
	return info, err
}

// SendMessage implements API.
func (g *Guard) SendMessage(ctx context.Context, p greenapi.SendMessageParams) (string, error) {
	var id string
	err := g.call(ctx, greenapi.MethodSendMessage, func(ctx context.Context) (err error) {
		id, err = g.api.SendMessage(ctx, p)
		return err
	})
	return id, err
}

// SendFileByURL implements API.
func (g *Guard) SendFileByURL(ctx context.Context, p greenapi.SendFileParams) (string, error) {
	var id string
	err := g.call(ctx, greenapi.MethodSendFileByURL, func(ctx context.Context) (err error) {
		id, err = g.api.SendFileByURL(ctx, p)
		return err
	})
	return id, err
}

// SendPoll implements API.
func (g *Guard) SendPoll(ctx context.Context, p greenapi.SendPollParams) (string, error) {
	var id string
	err := g.call(ctx, greenapi.MethodSendPoll, func(ctx context.Context) (err error) {
		id, err = g.api.SendPoll(ctx, p)
		return err
	})
	return id, err
}

// SendButtons implements API.
func (g *Guard) SendButtons(ctx context.Context, p greenapi.SendButtonsParams) (string, error) {
	var id string
	err := g.call(ctx, greenapi.MethodSendButtons, func(ctx context.Context) (err error) {
		id, err = g.api.SendButtons(ctx, p)
		return err
	})
	return id, err
}

// GetChatHistory implements API.
func (g *Guard) GetChatHistory(ctx context.Context, chatID string, count int) ([]greenapi.HistoryMessage, error) {
	var h []greenapi.HistoryMessage
	err := g.call(ctx, greenapi.MethodGetChatHistory, func(ctx context.Context) (err error) {
		h, err = g.api.GetChatHistory(ctx, chatID, count)
		return err
	})
	return h, err
}

// Paused reports whether calls are paused.
func (g *Guard) Paused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused != nil
}

func (g *Guard) call(ctx context.Context, method string, f func(context.Context) error) error {
	if err := g.admit(); err != nil {
		return err
	}
	err := f(ctx)
	g.record(ctx, method, err)
	return err
}

// admit refuses a call while calls are paused.
func (g *Guard) admit() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.paused
	if p == nil {
		return nil
	}
	p.refused++
	return &WaitError{Until: time.Now().Add(g.cfg.MaxPause), ready: p.resumed,
		Cause: fmt.Errorf("%w since %s: %w", ErrPaused, p.since.Format(time.TimeOnly), p.err)}
}

func (g *Guard) record(ctx context.Context, method string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	kind := greenapi.KindOf(err)
	switch {
	case err != nil && (ctx.Err() != nil || errors.Is(err, greenapi.ErrNoSlot)):
		// Our own deadline, our shutdown, or no request went out: this
		// says nothing of Green API.
	case kind == greenapi.InstanceDown, kind == greenapi.RetryLater:
		g.failures[method]++
		// An instance-wide refusal (401, 403, no connection) is checked at
		// once; failures worth retrying once they pile up in one method.
		due := kind == greenapi.InstanceDown || g.failures[method] >= g.cfg.Threshold
		if due && !g.watching && g.paused == nil && time.Since(g.lastCheck) >= g.cfg.CheckEvery {
			g.watching = true
			g.wg.Add(1)
			go g.check(method, err, g.failures[method])
		}
	case kind == greenapi.RetryNever:
		delete(g.failures, method)
		if !g.quotaSeen {
			g.quotaSeen = true
			if g.cfg.OnProblem != nil {
				g.cfg.OnProblem("quota_exceeded", method, err)
			}
			g.log.Error("Green API's monthly quota is spent: lookups and messages are refused until it is raised (console.green-api.com)", "method", method, "err", err)
		}
	default: // success, or a refusal of one request: the method answers
		delete(g.failures, method)
		if err == nil && g.quotaSeen {
			g.quotaSeen = false
			g.log.Info("Green API accepts calls again after a spent quota")
		}
	}
}

// check probes once after a method failed Threshold times in a row (or
// once with an instance-wide refusal): calls pause only if the instance
// itself does not answer.
func (g *Guard) check(method string, cause error, failures int) {
	defer g.wg.Done()
	err := g.probe()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.watching, g.lastCheck = false, time.Now()
	if g.ctx.Err() != nil {
		return
	}
	if err == nil {
		delete(g.failures, method)
		g.log.Warn("a Green API method keeps failing while the instance answers; not pausing: each call is retried by its chat",
			"method", method, "failures_in_a_row", failures, "reason", greenapi.ReasonOf(cause), "err", cause)
		return
	}
	g.pauseLocked(err, failures)
}

// pauseLocked pauses calls, unless they are paused already, and starts the
// probes that end the pause.
func (g *Guard) pauseLocked(err error, failures int) {
	if g.paused != nil {
		g.paused.err = err
		return
	}
	now := time.Now()
	g.paused = &pause{since: now, err: err, resumed: &signal{}}
	g.log.Warn("Green API unavailable: pausing calls", "reason", greenapi.ReasonOf(err), "failures_in_a_row", failures,
		"probe_in", g.cfg.MinPause, "err", err)
	g.metrics.GreenAPIPaused(true)
	if g.cfg.OnChange != nil {
		g.cfg.OnChange(err)
	}
	if reason := greenapi.ReasonOf(err); g.cfg.OnProblem != nil && (reason == "unauthorized" || reason == "forbidden" || reason == "not_authorized") {
		g.cfg.OnProblem(reason, "", err)
	}
	g.wg.Add(1)
	go g.probeUntilBack(g.paused)
}

// probeUntilBack probes at the end of each pause step until a probe
// succeeds (calls resume) or the guard is closed.
func (g *Guard) probeUntilBack(p *pause) {
	defer g.wg.Done()
	step := g.cfg.MinPause
	for {
		t := time.NewTimer(step)
		select {
		case <-g.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		err := g.probe()
		if g.ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		p.probes++
		if err == nil {
			g.paused = nil
			clear(g.failures)
			g.log.Info("Green API answers again; resuming calls", "paused_for", time.Since(p.since).Round(time.Millisecond),
				"probes", p.probes, "calls_refused", p.refused)
			g.metrics.GreenAPIPaused(false)
			if g.cfg.OnChange != nil {
				g.cfg.OnChange(nil)
			}
			g.mu.Unlock()
			p.resumed.fire()
			return
		}
		step = min(step*2, g.cfg.MaxPause)
		p.err = err
		if g.cfg.OnChange != nil {
			g.cfg.OnChange(err)
		}
		g.mu.Unlock()
		g.log.Debug("Green API still unavailable", "probes", p.probes, "probe_in", step, "err", err)
	}
}

func (g *Guard) probe() error {
	ctx, cancel := context.WithTimeout(g.ctx, 20*time.Second)
	defer cancel()
	return g.cfg.Probe(ctx)
}
