package queue_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
)

// fakeElector is one lock shared by the replicas of a test; drop makes the
// leader lose it, as when its database session dies.
type fakeElector struct {
	mu     sync.Mutex
	holder *chan struct{}
}

func (e *fakeElector) TryLead(context.Context, string) (<-chan struct{}, func(), bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.holder != nil {
		return nil, nil, false, nil
	}
	lost := make(chan struct{})
	e.holder = &lost
	return lost, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.holder == &lost {
			e.holder = nil
		}
	}, true, nil
}

func (e *fakeElector) drop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.holder != nil {
		close(*e.holder)
		e.holder = nil
	}
}

func TestLeadRunsADutyOnOneReplicaAndHandsItOver(t *testing.T) {
	t.Parallel()
	e := &fakeElector{}
	var running, most, runs atomic.Int32
	duty := func(ctx context.Context) {
		runs.Add(1)
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-ctx.Done()
		running.Add(-1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queue.Lead(ctx, e, "prune", 20*time.Millisecond, discard(), duty)
		}()
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out: %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitUntil("a leader", func() bool { return running.Load() == 1 })
	time.Sleep(100 * time.Millisecond) // the others keep campaigning, and lose
	if most.Load() != 1 {
		t.Fatalf("while one leads, the duty ran on %d replicas", most.Load())
	}
	e.drop() // the leader's session dies
	waitUntil("a second leader", func() bool { return runs.Load() == 2 && running.Load() == 1 })
	cancel()
	wg.Wait()
	// Between the lock's loss at the database and the old leader noticing
	// it, two may run the duty for a moment (each duty is safe twice: see
	// DESIGN.md); never more.
	if most.Load() > 2 {
		t.Errorf("the duty ran on %d replicas at once", most.Load())
	}
	if running.Load() != 0 {
		t.Error("the duty still runs after the context ended")
	}
}
