package greenapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// MaxInlineWait is the longest a call whose context carries Reservations
// waits in line for the rate limit; past it the call returns a *WaitError.
const MaxInlineWait = 100 * time.Millisecond

// WaitError is returned, without calling Green API, by a call whose context
// carries Reservations when the method's rate limit would hold it longer
// than MaxInlineWait. The slot stays reserved in the Reservations: the same
// call made at Until, with the same Reservations, takes it at once. So a
// caller can put the work aside without a goroutine waiting and keep its
// place in line (getContactInfo allows 1 call a second).
type WaitError struct {
	Method string
	Until  time.Time
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("greenapi: %s: rate limit: the next slot is at %s", e.Method, e.Until.Format(time.StampMilli))
}

// Unwrap makes a WaitError an ErrNoSlot.
func (e *WaitError) Unwrap() error { return ErrNoSlot }

// Reservations holds the rate-limit slots reserved for one piece of work
// (a chat) by calls that returned a *WaitError.
type Reservations struct {
	mu    sync.Mutex
	slots []slot // a few methods at most: a slice is smaller than a map
}

type slot struct {
	method string
	res    *rate.Reservation
	at     time.Time // when the slot is due
}

type reservationsKey struct{}

// WithReservations returns a context whose calls reserve their rate-limit
// slot in r instead of waiting long for it.
func WithReservations(ctx context.Context, r *Reservations) context.Context {
	return context.WithValue(ctx, reservationsKey{}, r)
}

func reservationsOf(ctx context.Context) *Reservations {
	r, _ := ctx.Value(reservationsKey{}).(*Reservations)
	return r
}

// Cancel gives back the slots still reserved for method, or for every
// method when method is "", so that other work can use them.
func (r *Reservations) Cancel(method string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.slots[:0]
	for _, s := range r.slots {
		if method == "" || s.method == method {
			s.res.Cancel()
			continue
		}
		kept = append(kept, s)
	}
	r.slots = kept
}

// CancelReservation gives back the slot that ctx's Reservations hold for
// method, if any: for a caller that gives the call up.
func CancelReservation(ctx context.Context, method string) {
	if r := reservationsOf(ctx); r != nil {
		r.Cancel(method)
	}
}

// take returns the slot reserved for method, unless it is long past: a
// slot missed while the work was put aside (Green API was down) is gone,
// and using it late would make a burst that Green API answers with 429.
func (r *Reservations) take(method string) *rate.Reservation {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, s := range r.slots {
		if s.method == method {
			r.slots = append(r.slots[:i], r.slots[i+1:]...)
			if time.Since(s.at) > MaxInlineWait {
				return nil
			}
			return s.res
		}
	}
	return nil
}

func (r *Reservations) put(method string, res *rate.Reservation, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.slots = append(r.slots, slot{method, res, at})
}

// waitTurn waits for method's rate limit: in line with lim.Wait, or, when
// ctx carries Reservations, for at most MaxInlineWait before it returns a
// *WaitError that keeps the slot.
func waitTurn(ctx context.Context, method string, lim *rate.Limiter) error {
	bag := reservationsOf(ctx)
	if bag == nil {
		return lim.Wait(ctx)
	}
	res := bag.take(method)
	if res == nil {
		res = lim.Reserve()
	}
	d := res.Delay()
	if d > MaxInlineWait {
		until := time.Now().Add(d)
		bag.put(method, res, until)
		return &WaitError{Method: method, Until: until}
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		res.Cancel()
		return ctx.Err()
	}
}
