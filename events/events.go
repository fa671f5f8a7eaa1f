// Package events delivers Frontdesk's events to the business's other
// systems (EVENTS_URL): from the outbox in the store, signed, retried with
// backoff for up to a day, in order per chat.
package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
)

// The headers of a delivery.
const (
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed by
	// EVENTS_SECRET, of the timestamp, a dot and the body.
	HeaderSignature = "X-Frontdesk-Signature"
	// HeaderTimestamp is the Unix time of the attempt, in seconds: a
	// receiver refuses one too old (a replay).
	HeaderTimestamp = "X-Frontdesk-Timestamp"
	// HeaderEventID is the event's id, as in the body: a receiver that
	// keeps the ids it has seen handles each event once.
	HeaderEventID = "X-Frontdesk-Event-Id"
)

// Sign returns the value of HeaderSignature for body sent at unix time ts.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrBadSignature is returned by Verify for a delivery that is not signed
// with the secret, or too old.
var ErrBadSignature = errors.New("bad signature")

// Verify checks a delivery's signature and that its timestamp is within
// tolerance of now: what a receiver does before it trusts a body.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no timestamp", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %v away", ErrBadSignature, d.Round(time.Second))
	}
	if !hmac.Equal([]byte(h.Get(HeaderSignature)), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}

// countEvery is how often the outbox is counted for the gauges.
const countEvery = 15 * time.Second

// Metrics counts deliveries.
type Metrics interface {
	EventAttempt(outcome string) // delivered, failed or dead
	EventsWaiting(waiting, dead int)
}

// Config configures a Deliverer.
type Config struct {
	URL    string
	Secret string
	// Timeout bounds one attempt; default 10 s.
	Timeout time.Duration
	// RetryFor is how long an event is retried before it is dead (kept,
	// counted, not sent again); default 24 h.
	RetryFor time.Duration
	// MaxBackoff bounds the wait between attempts, which doubles from 1 s;
	// default 1 h.
	MaxBackoff time.Duration
	// PollEvery is how often the outbox is read when nothing is due;
	// default 1 s.
	PollEvery time.Duration
}

// Deliverer sends the outbox's events.
type Deliverer struct {
	store   bot.Store
	cfg     Config
	client  *http.Client
	log     *slog.Logger
	metrics Metrics
}

// NewDeliverer returns a Deliverer of store's outbox.
func NewDeliverer(store bot.Store, cfg Config, log *slog.Logger, metrics Metrics) *Deliverer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = 24 * time.Hour
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Second
	}
	return &Deliverer{store: store, cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}, log: log, metrics: metrics}
}

// Run delivers until ctx ends. One Run at a time per database (see
// queue.Lead): order per chat rests on it.
func (d *Deliverer) Run(ctx context.Context) {
	var counted time.Time
	for ctx.Err() == nil {
		n, err := d.deliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("reading the outbox failed; will try again", "err", err)
		}
		// Counting reads the whole outbox, delivered events included: for
		// the gauges, now and then is enough.
		if time.Since(counted) >= countEvery {
			if waiting, dead, err := d.store.CountEvents(ctx); err == nil {
				d.metrics.EventsWaiting(waiting, dead)
				counted = time.Now()
			}
		}
		if n > 0 {
			continue // more may be due
		}
		t := time.NewTimer(d.cfg.PollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// deliverDue makes one attempt of every event due now and records each
// outcome; it returns how many it attempted.
func (d *Deliverer) deliverDue(ctx context.Context) (int, error) {
	due, err := d.store.DueEvents(ctx, time.Now(), 100)
	if err != nil {
		return 0, err
	}
	for _, e := range due {
		err := d.post(ctx, e)
		if ctx.Err() != nil {
			return len(due), nil // stopping: the attempt is made again
		}
		now := time.Now()
		s := bot.EventSettlement{At: now, Attempts: e.Attempts + 1}
		switch {
		case err == nil:
			s.Delivered = true
			d.metrics.EventAttempt("delivered")
		case now.Sub(e.CreatedAt) >= d.cfg.RetryFor:
			s.Dead, s.Err = true, err.Error()
			d.metrics.EventAttempt("dead")
			d.log.Error("an event could not be delivered for a day; kept in the outbox as dead", "event", e.ID, "attempts", s.Attempts, "err", err)
		default:
			s.Err = err.Error()
			s.NextAt = now.Add(min(time.Second<<min(e.Attempts, 20), d.cfg.MaxBackoff))
			d.metrics.EventAttempt("failed")
			level := slog.LevelDebug
			if e.Attempts == 0 {
				level = slog.LevelWarn
			}
			d.log.Log(ctx, level, "delivering an event failed; will retry", "event", e.ID, "attempt", s.Attempts, "retry_at", s.NextAt.Format(time.TimeOnly), "err", err)
		}
		if err := d.store.SettleEvent(ctx, e.Seq, s); err != nil {
			return len(due), err
		}
	}
	return len(due), nil
}

func (d *Deliverer) post(ctx context.Context, e bot.OutboxEvent) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.URL, bytes.NewReader(e.Body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "frontdesk-events")
	req.Header.Set(HeaderEventID, e.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.cfg.Secret, ts, e.Body))
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}
