package queue

import (
	"context"
	"errors"
	"time"
)

// Replicas is what a store shared by several replicas gives the pool;
// store/postgres has it. Each replica works the notifications it owns:
// those it stored and those it rescued.
type Replicas interface {
	// Rescue makes this replica the owner of at most limit unfinished
	// notifications of replicas that are gone, or handed back, and
	// returns them (ids and chats).
	Rescue(ctx context.Context, limit int) ([]Notification, error)
	// HandBack gives up this replica's unfinished notifications but keep.
	HandBack(ctx context.Context, keep []int64) error
	// OlderPending reports whether an older unfinished notification of the
	// chat belongs to another replica.
	OlderPending(ctx context.Context, instance, chatID string, id int64) (bool, error)
	// OthersAlive reports whether another replica is alive: alone, a
	// replica need not ask OlderPending.
	OthersAlive(ctx context.Context) (bool, error)
}

// DefaultRescueEvery is how often a replica rescues the work of replicas
// that are gone, and learns whether others are alive.
const DefaultRescueEvery = 2 * time.Second

// errOlderElsewhere is why a notification waits while an older one of its
// chat is worked by another replica.
var errOlderElsewhere = errors.New("an older notification of the chat is with another replica")

// rescue takes over the work of replicas that died or handed it back: at
// once when the pool starts, then every RescueEvery.
func (p *Pool) rescue() {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.RescueEvery)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-p.quit:
				return
			case <-t.C:
			}
		}
		p.mu.Lock()
		stopped := p.stopped
		p.mu.Unlock()
		if stopped {
			return
		}
		others, err := p.cfg.Replicas.OthersAlive(p.work)
		if err == nil {
			p.alone.Store(!others)
		}
		rescued, err := p.cfg.Replicas.Rescue(p.work, p.cfg.MaxQueued/2)
		if err != nil {
			if p.work.Err() == nil {
				p.log.Warn("rescuing the work of replicas that are gone failed; will try again", "err", err)
			}
			continue
		}
		if len(rescued) > 0 {
			p.log.Info("took over the unfinished notifications of replicas that are gone", "count", len(rescued))
		}
		for _, n := range rescued {
			p.Enqueue(n)
		}
	}
}
