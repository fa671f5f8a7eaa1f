package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// ErrUnavailable marks a call that failed while Green API was unreachable,
// failing or refusing Frontdesk's credentials; such failures are logged once
// per backoff step by the guard, not once per message.
var ErrUnavailable = errors.New("green api unavailable")

// ErrPaused marks a call the guard did not let out because calls are
// paused; the work can wait until the guard resumes (see Pool.RetryNow).
var ErrPaused = errors.New("calls paused")

// GuardConfig tunes a Guard.
type GuardConfig struct {
	// Threshold is how many calls in a row must fail before calls pause;
	// default 5.
	Threshold int
	// MinPause and MaxPause bound the pause, which doubles after each
	// failed probe; defaults 1 s and 1 min.
	MinPause, MaxPause time.Duration
	// OnChange, if set, is told when calls pause (with the error) and
	// resume (with nil).
	OnChange func(err error)
	// Probe, if set, is what the guard calls by itself at the end of each
	// pause to learn whether Green API is back (e.g. getStateInstance);
	// paused calls then never go out. Without it, the first call after
	// the pause probes.
	Probe func(ctx context.Context) error
}

// Guard wraps GreenAPI as a circuit breaker: after Threshold failures in a
// row that say Green API is down (no answer, 5xx, 401, 403), calls pause:
// each fails at once with ErrUnavailable and ErrPaused, without going out,
// so that the chat gives its worker up and waits (see Pool) while chats
// that need no call go on. When the pause is over one probe goes out
// (GuardConfig.Probe, or the first call); if it succeeds, calls flow again
// and OnChange(nil) lets the pool take every waiting chat back at once.
// The backlog waits in the inbox without a busy loop, and the logs get one
// line per step. A spent quota (466) is logged once and does not pause
// anything: other chats may still be served.
type Guard struct {
	api     GreenAPI
	log     *slog.Logger
	metrics Metrics
	cfg     GuardConfig

	mu        sync.Mutex
	failures  int       // upstream failures in a row
	openUntil time.Time // zero: calls flow
	pause     time.Duration
	probing   bool
	lastErr   error // the failure that paused calls
	quotaSeen bool
}

// NewGuard wraps api.
func NewGuard(api GreenAPI, cfg GuardConfig, log *slog.Logger, metrics Metrics) *Guard {
	if cfg.Threshold <= 0 {
		cfg.Threshold = 5
	}
	if cfg.MinPause <= 0 {
		cfg.MinPause = time.Second
	}
	if cfg.MaxPause <= 0 {
		cfg.MaxPause = time.Minute
	}
	if metrics == nil {
		metrics = nopMetrics{}
	}
	return &Guard{api: api, log: log, metrics: metrics, cfg: cfg}
}

// GetContactInfo implements GreenAPI.
func (g *Guard) GetContactInfo(ctx context.Context, chatID string) (*greenapi.ContactInfo, error) {
	var info *greenapi.ContactInfo
	err := g.call(ctx, func(ctx context.Context) (err error) {
		info, err = g.api.GetContactInfo(ctx, chatID)
		return err
	})
	return info, err
}

// SendMessage implements GreenAPI.
func (g *Guard) SendMessage(ctx context.Context, p greenapi.SendMessageParams) (string, error) {
	var id string
	err := g.call(ctx, func(ctx context.Context) (err error) {
		id, err = g.api.SendMessage(ctx, p)
		return err
	})
	return id, err
}

// GetChatHistory implements GreenAPI.
func (g *Guard) GetChatHistory(ctx context.Context, chatID string, count int) ([]greenapi.HistoryMessage, error) {
	var h []greenapi.HistoryMessage
	err := g.call(ctx, func(ctx context.Context) (err error) {
		h, err = g.api.GetChatHistory(ctx, chatID, count)
		return err
	})
	return h, err
}

// Paused reports whether calls are paused, and why.
func (g *Guard) Paused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.openUntil.IsZero()
}

func (g *Guard) call(ctx context.Context, f func(context.Context) error) error {
	probe, err := g.wait(ctx)
	if err != nil {
		return err
	}
	err = f(ctx)
	if errors.Is(err, greenapi.ErrNoSlot) {
		// No request went out (it waits for a rate-limit slot): this says
		// nothing of Green API's health.
		if probe {
			g.mu.Lock()
			g.probing = false
			g.mu.Unlock()
		}
		return err
	}
	g.record(ctx, err, probe)
	if err != nil && upstreamDown(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// wait says whether a call may go: at once while calls flow; while they
// are paused, only the one call that probes whether Green API is back, once
// the pause is over. Other calls fail with ErrUnavailable.
func (g *Guard) wait(context.Context) (probe bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.openUntil.IsZero():
		return false, nil
	case g.cfg.Probe == nil && !g.probing && !time.Now().Before(g.openUntil):
		g.probing = true
		return true, nil
	}
	return false, fmt.Errorf("%w: %w until %s after %d failures in a row: %w",
		ErrUnavailable, ErrPaused, g.openUntil.Format(time.TimeOnly), g.failures, g.lastErr)
}

// probeAt calls Probe at until, and again after each further pause, until
// Green API answers.
func (g *Guard) probeAt(until time.Time) {
	for {
		time.Sleep(time.Until(until))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := g.cfg.Probe(ctx)
		cancel()
		g.record(context.Background(), err, true)
		g.mu.Lock()
		if g.openUntil.IsZero() {
			g.mu.Unlock()
			return
		}
		g.probing = true // record cleared it; this loop still owns the probe
		until = g.openUntil
		g.mu.Unlock()
	}
}

func (g *Guard) record(ctx context.Context, err error, probe bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if probe {
		g.probing = false
	}
	switch {
	case err == nil || !upstreamDown(err):
		if errors.Is(err, greenapi.ErrQuotaExceeded) {
			if !g.quotaSeen {
				g.quotaSeen = true
				g.log.Error("Green API's monthly quota is spent: new senders get no lookup and no greeting until it is raised (console.green-api.com)", "err", err)
			}
		} else if err == nil && g.quotaSeen {
			g.quotaSeen = false
		}
		if g.failures > 0 || !g.openUntil.IsZero() {
			if !g.openUntil.IsZero() {
				g.log.Info("Green API answers again; resuming")
				if g.cfg.OnChange != nil {
					g.cfg.OnChange(nil)
				}
			}
			g.failures, g.openUntil, g.pause, g.lastErr = 0, time.Time{}, 0, nil
		}
	case ctx.Err() != nil:
		// Our own deadline or shutdown, not Green API's fault.
	default:
		g.failures++
		if !probe && (g.failures < g.cfg.Threshold || !g.openUntil.IsZero()) {
			return
		}
		g.pause = min(max(g.pause*2, g.cfg.MinPause), g.cfg.MaxPause)
		g.openUntil, g.lastErr = time.Now().Add(g.pause), err
		if g.cfg.Probe != nil && !probe && !g.probing { // a probe's own failure: its loop goes on
			g.probing = true
			go g.probeAt(g.openUntil)
		}
		g.log.Warn("Green API unavailable: pausing calls", "retry_in", g.pause, "failures_in_a_row", g.failures, "err", err)
		if g.cfg.OnChange != nil {
			g.cfg.OnChange(err)
		}
	}
}

// upstreamDown reports whether err says Green API is down or refuses us as
// a whole, rather than refusing one request.
func upstreamDown(err error) bool {
	var apiErr *greenapi.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500 || apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden ||
			errors.Is(apiErr, greenapi.ErrNotAuthorized)
	}
	return !errors.Is(err, greenapi.ErrMessageTooLong) && !errors.Is(err, greenapi.ErrNoSlot) && !errors.Is(err, context.Canceled)
}
