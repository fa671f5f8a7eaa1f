package queue

import (
	"time"
)

// DefaultReconcileEvery is how often a pool looks for stored notifications
// that never reached it.
const DefaultReconcileEvery = 5 * time.Second

// strayAfter is how old a pending notification must be before the
// reconciliation queues it: younger ones may be on their way from the
// inbox to Enqueue.
const strayAfter = 2 * time.Second

// reconcile finds what is pending in the store, for this replica, but in
// no queue of the pool, and queues it: a notification whose commit
// succeeded while the store reported an error (the webhook answered 500;
// Green API's resend was a duplicate, acknowledged, and never queued) is
// worked within ReconcileEvery and strayAfter, not at the next start.
// Each round costs one count of the pending notifications; only when the
// store counts more than the pool holds does it read their ids. Nothing is
// read on the path of a notification.
func (p *Pool) reconcile() {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.ReconcileEvery)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		p.mu.Lock()
		skip := p.stopped || p.spilled || p.refilling // a refill reads the store in order
		p.mu.Unlock()
		if skip {
			continue
		}
		if err := p.reconcileOnce(); err != nil && p.work.Err() == nil {
			p.log.Warn("comparing the stored notifications with the pool's failed; will try again", "err", err,
				"retry_in", p.cfg.ReconcileEvery)
		}
	}
}

// reconcileOnce queues the strays the store holds and the pool does not.
func (p *Pool) reconcileOnce() error {
	count, err := p.store.CountPending(p.work)
	if err != nil {
		return err
	}
	p.mu.Lock()
	held := p.inMemory + len(p.early)
	p.mu.Unlock()
	if count <= held {
		return nil
	}
	rows, err := p.store.PendingNotifications(p.work, 0, p.cfg.MaxQueued)
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-strayAfter)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.spilled || p.refilling {
		return nil
	}
	strays := 0
	for _, n := range rows {
		if p.queued[n.ID] || n.ReceivedAt.After(cutoff) {
			continue
		}
		// Read back from the store when its turn comes; an Enqueue of it
		// still on its way arrives late and is checked against the store.
		p.loaded = max(p.loaded, n.ID)
		p.maxSeen = max(p.maxSeen, n.ID)
		p.addLocked(n, true)
		strays++
	}
	if strays > 0 {
		p.reportDepthLocked()
		p.log.Warn("stored notifications that had not reached the pool are queued now", "count", strays)
	}
	return nil
}
