package pacing

import (
	"context"
	"sync"
	"time"
)

// Pacer hands out the turns of a rate limit that everyone using the same
// key shares: Green API's limits are per instance, however many replicas
// call it. store/postgres shares them between processes; LocalPacer serves
// one process.
type Pacer interface {
	// Reserve takes the next turn of key, at least every after the turn
	// before it, and returns how long until that turn (0: now).
	Reserve(ctx context.Context, key string, every time.Duration) (time.Duration, error)
}

// LocalPacer is a Pacer for one process, in memory.
type LocalPacer struct {
	mu   sync.Mutex
	next map[string]time.Time
}

// Reserve implements Pacer.
func (p *LocalPacer) Reserve(_ context.Context, key string, every time.Duration) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == nil {
		p.next = make(map[string]time.Time)
	}
	now := time.Now()
	turn := p.next[key]
	if turn.Before(now) {
		turn = now
	}
	p.next[key] = turn.Add(every)
	return turn.Sub(now), nil
}
