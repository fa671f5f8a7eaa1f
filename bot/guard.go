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
}

// Guard wraps GreenAPI as a circuit breaker: after Threshold failures in a
// row that say Green API is down (no answer, 5xx, 401, 403), every call
// waits; when the pause is over one call probes, and the others go on only
// if it succeeds. The backlog waits in the inbox without a busy loop, and
// the logs get one line per step. A spent quota (466) is logged once and
// does not pause anything: other chats may still be served.
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
	changed   chan struct{} // closed and replaced on every state change
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
	return &Guard{api: api, log: log, metrics: metrics, cfg: cfg, changed: make(chan struct{})}
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
	g.record(ctx, err, probe)
	if err != nil && upstreamDown(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// wait returns when a call may go; probe is true for the one call that
// tests whether Green API is back.
func (g *Guard) wait(ctx context.Context) (probe bool, err error) {
	for {
		g.mu.Lock()
		if g.openUntil.IsZero() {
			g.mu.Unlock()
			return false, nil
		}
		now := time.Now()
		if !g.probing && !now.Before(g.openUntil) {
			g.probing = true
			g.mu.Unlock()
			return true, nil
		}
		changed, until := g.changed, g.openUntil
		g.mu.Unlock()
		var timer <-chan time.Time
		if now.Before(until) {
			t := time.NewTimer(until.Sub(now))
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-changed:
		case <-timer:
		}
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
			g.failures, g.openUntil, g.pause = 0, time.Time{}, 0
			g.broadcastLocked()
		}
	case ctx.Err() != nil:
		// Our own deadline or shutdown, not Green API's fault.
	default:
		g.failures++
		if !probe && (g.failures < g.cfg.Threshold || !g.openUntil.IsZero()) {
			return
		}
		g.pause = min(max(g.pause*2, g.cfg.MinPause), g.cfg.MaxPause)
		g.openUntil = time.Now().Add(g.pause)
		g.log.Warn("Green API unavailable: pausing calls", "retry_in", g.pause, "failures_in_a_row", g.failures, "err", err)
		if g.cfg.OnChange != nil {
			g.cfg.OnChange(err)
		}
		g.broadcastLocked()
	}
}

func (g *Guard) broadcastLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// upstreamDown reports whether err says Green API is down or refuses us as
// a whole, rather than refusing one request.
func upstreamDown(err error) bool {
	var apiErr *greenapi.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500 || apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden
	}
	return !errors.Is(err, greenapi.ErrMessageTooLong) && !errors.Is(err, greenapi.ErrNoSlot) && !errors.Is(err, context.Canceled)
}
