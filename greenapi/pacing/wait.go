package pacing

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// WaitError says that a notification cannot go on yet, and is no failure:
// it waits for something (its sender's lookup, Green API to be back) until
// Until at the latest, and is told sooner through OnReady when the thing it
// waits for is settled. The pool sets such a chat aside without a worker
// and takes it back at whichever comes first.
type WaitError struct {
	Until time.Time
	// Cause is what is awaited (ErrPaused, errLookupPending).
	Cause error
	ready *signal // nil: only Until ends the wait
}

// NewWait returns a WaitError that waits until until at most, and the
// function that ends the wait early for everyone the error was given to.
func NewWait(until time.Time, cause error) (*WaitError, func()) {
	s := &signal{}
	return &WaitError{Until: until, Cause: cause, ready: s}, s.fire
}

// WithUntil returns a WaitError for the same wait that lasts until until
// at the latest: it is ready when e is.
func (e *WaitError) WithUntil(until time.Time) *WaitError {
	c := *e
	c.Until = until
	return &c
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%v: waiting until %s at the latest", e.Cause, e.Until.Format(time.TimeOnly))
}

// Unwrap returns the cause, so that errors.Is(err, ErrPaused) holds for a
// call refused while calls are paused.
func (e *WaitError) Unwrap() error { return e.Cause }

// OnReady calls f once, as soon as the wait is over before Until; at once
// if it is over already. f may never be called: Until still holds.
func (e *WaitError) OnReady(f func()) {
	if e.ready != nil {
		e.ready.subscribe(f)
	}
}

// Wait blocks until the wait is over, Until passes or ctx ends: for a
// caller that handles a notification itself rather than through a Pool.
func (e *WaitError) Wait(ctx context.Context) error {
	done := make(chan struct{})
	var once sync.Once
	e.OnReady(func() { once.Do(func() { close(done) }) })
	t := time.NewTimer(time.Until(e.Until))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// signal calls back everyone who subscribed, once, when it fires.
type signal struct {
	mu    sync.Mutex
	fired bool
	subs  []func()
}

func (s *signal) subscribe(f func()) {
	s.mu.Lock()
	if s.fired {
		s.mu.Unlock()
		f()
		return
	}
	s.subs = append(s.subs, f)
	s.mu.Unlock()
}

func (s *signal) fire() {
	s.mu.Lock()
	if s.fired {
		s.mu.Unlock()
		return
	}
	s.fired = true
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for _, f := range subs {
		f()
	}
}
