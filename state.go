package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// What Frontdesk knows of each instance's state (a *handlers.Instance,
// shown by /readyz, the status page and the metrics) is written here only,
// by the instance's engine: its reads of getStateInstance (at start, by the
// guard's probe, every watchEvery), the stateInstanceChanged notifications,
// and the guard's pauses and spent quota.

// readState asks Green API for the instance's state with client and
// records what it learnt, or why it could not.
func (e *engine) readState(ctx context.Context, client *greenapi.Client) (string, error) {
	state, err := client.GetStateInstance(ctx)
	e.state.Set(state, err)
	return state, err
}

// stateNotified records a state that a stateInstanceChanged notification
// of instance told. It reads the set the webhook reads, without waiting
// for a reload in progress.
func (r *runner) stateNotified(instance, state string) {
	if inst := r.set.Get(instance); inst != nil {
		inst.Set(state, nil)
	}
}

// quotaNotified records that a quotaExceeded notification of instance
// said the monthly quota is spent.
func (r *runner) quotaNotified(instance string, at time.Time) {
	if inst := r.set.Get(instance); inst != nil {
		inst.QuotaSpent(at)
	}
}

// paused records that the guard paused calls to Green API, and why (nil:
// they resume).
func (e *engine) paused(err error) { e.state.SetPaused(err) }

// quotaSpent records that Green API said the monthly quota is spent.
func (e *engine) quotaSpent(at time.Time) { e.state.QuotaSpent(at) }

// checkInstance reads an instance's state at start-up or when it is added.
// Wrong credentials are an error naming where they are written; an
// unreachable Green API is not (notifications can still be stored), and
// /readyz says so.
func (e *engine) checkInstance(ctx context.Context, client *greenapi.Client, log *slog.Logger) error {
	ic := e.l.instanceConfig
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	state, err := e.readState(ctx, client)
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

// probe is the guard's probe: getStateInstance answers and the
// instance is authorized. What it learns shows in /readyz.
func (e *engine) probe(ctx context.Context, client *greenapi.Client) error {
	state, err := e.readState(ctx, client)
	if err == nil && state != "authorized" {
		return fmt.Errorf("the instance is %s: %w", state, greenapi.ErrNotAuthorized)
	}
	return err
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
				e.refreshState(ctx, r.log.With("instance", e.l.ID))
			})
		}
	}
}

// refreshState reads an instance's state once, for /readyz; the first
// failure after a success is logged.
func (e *engine) refreshState(ctx context.Context, log *slog.Logger) {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	state, err := e.client.GetStateInstance(cctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	_, _, prevErr := e.state.Get()
	if err != nil && prevErr == nil {
		log.Warn("Green API instance state unavailable", "err", err)
	}
	e.state.Set(state, err)
}
