package queue_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite/sqlitetest"
)

// gatedBot is a bot whose Handle waits for its gate, counting calls.
type gatedBot struct {
	gate   chan struct{}
	calls  atomic.Int32
	closed atomic.Int32
}

func newGatedBot() *gatedBot { return &gatedBot{gate: make(chan struct{})} }

func (g *gatedBot) Handle(ctx context.Context, n queue.Notification) error {
	g.calls.Add(1)
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedBot) close() { g.closed.Add(1) }

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestFleetChangesWithoutDroppingWorkInFlight: a new bot for an instance
// takes the next notifications; the former finishes the one in flight
// and only then is closed; a content update keeps the client (no close).
func TestFleetChangesWithoutDroppingWorkInFlight(t *testing.T) {
	t.Parallel()
	f := queue.NewFleet(sqlitetest.Open(t, ""), discard())
	defer f.Close()
	first, second, third := newGatedBot(), newGatedBot(), newGatedBot()
	f.Add("A", first, first.close)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := f.Handle(context.Background(), queue.Notification{Instance: "A"}); err != nil {
			t.Error(err)
		}
	}()
	eventually(t, "the first bot to start", func() bool { return first.calls.Load() == 1 })
	f.Add("A", second, second.close) // new credentials: a new client
	close(second.gate)
	if err := f.Handle(context.Background(), queue.Notification{Instance: "A"}); err != nil || second.calls.Load() != 1 {
		t.Errorf("the next notification went to the new bot: %d calls, %v", second.calls.Load(), err)
	}
	if first.closed.Load() != 0 {
		t.Fatal("the former bot was closed with a notification in flight")
	}
	close(first.gate)
	wg.Wait()
	eventually(t, "the former bot to be closed", func() bool { return first.closed.Load() == 1 })

	f.Update("A", third) // new rules or texts: the client goes on
	close(third.gate)
	if err := f.Handle(context.Background(), queue.Notification{Instance: "A"}); err != nil || third.calls.Load() != 1 {
		t.Errorf("after an update: %d calls, %v", third.calls.Load(), err)
	}
	time.Sleep(20 * time.Millisecond)
	if second.closed.Load() != 0 {
		t.Error("an update closed the client its new bot shares")
	}
	f.Close()
	if second.closed.Load() != 1 || first.closed.Load() != 1 {
		t.Errorf("closes after Close: former %d, current %d; want each once", first.closed.Load(), second.closed.Load())
	}
}

// TestFleetRemovedInstanceWorksOffItsInbox: a removed instance's bot
// handles its stored notifications until none is left, then is closed; a
// notification of an instance not served waits to be tried again.
func TestFleetRemovedInstanceWorksOffItsInbox(t *testing.T) {
	t.Parallel()
	s := sqlitetest.Open(t, "")
	f := queue.NewFleet(s, discard())
	defer f.Close()
	b := newGatedBot()
	close(b.gate)
	f.Add("A", b, b.close)
	n := store(t, s, "1@c.us", "M1")
	if _, err := s.AdoptUnassigned(context.Background(), "A"); err != nil {
		t.Fatal(err)
	}
	f.Remove("A")
	if err := f.Handle(context.Background(), queue.Notification{Instance: "A", ID: n.ID}); err != nil || b.calls.Load() != 1 {
		t.Errorf("a stored notification of the removed instance: %d calls, %v; want it handled", b.calls.Load(), err)
	}
	time.Sleep(50 * time.Millisecond)
	if b.closed.Load() != 0 {
		t.Fatal("closed while a notification of its instance is unfinished")
	}
	if err := s.FinishNotification(context.Background(), n.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed instance's bot to be closed", func() bool { return b.closed.Load() == 1 })

	var wait *pacing.WaitError
	err := f.Handle(context.Background(), queue.Notification{Instance: "A"})
	if !errors.As(err, &wait) || !errors.Is(wait.Cause, queue.ErrUnknownInstance) || time.Until(wait.Until) < 30*time.Second {
		t.Errorf("a notification of an instance not served: %v; want a wait of about a minute", err)
	}
}
