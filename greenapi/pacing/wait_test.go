package pacing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
)

// TestWaitEndsForEveryoneItWasGiven: a wait handed out several times, with
// other deadlines (a lookup's budget renewed), is ready for each holder at
// once when it is ended, and wraps its cause.
func TestWaitEndsForEveryoneItWasGiven(t *testing.T) {
	t.Parallel()
	cause := errors.New("waiting for the sender's lookup")
	first, ready := pacing.NewWait(time.Now().Add(time.Hour), cause)
	later := first.WithUntil(time.Now().Add(2 * time.Hour))
	if !errors.Is(later, cause) || later.Until.Sub(first.Until) < 59*time.Minute {
		t.Fatalf("later: %v until %v; want the cause and the new deadline", later, later.Until)
	}
	woke := make(chan string, 2)
	first.OnReady(func() { woke <- "first" })
	later.OnReady(func() { woke <- "later" })
	ready()
	for range 2 {
		select {
		case <-woke:
		case <-time.After(5 * time.Second):
			t.Fatal("a holder of the wait was not told it ended")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := later.Wait(ctx); err != nil {
		t.Fatalf("Wait after the end: %v", err)
	}
}

// TestLocalPacerHandsOutTurnsInOrder: turns of one key come every
// interval; another key has turns of its own.
func TestLocalPacerHandsOutTurnsInOrder(t *testing.T) {
	t.Parallel()
	p := &pacing.LocalPacer{}
	ctx := context.Background()
	var waits []time.Duration
	for range 3 {
		d, _ := p.Reserve(ctx, "1101:getContactInfo", time.Second)
		waits = append(waits, d)
	}
	other, _ := p.Reserve(ctx, "1102:getContactInfo", time.Second)
	if waits[0] != 0 || waits[1] < 900*time.Millisecond || waits[2] < 1900*time.Millisecond || other != 0 {
		t.Fatalf("turns %v, other key %v; want 0, ~1s, ~2s and 0", waits, other)
	}
}
