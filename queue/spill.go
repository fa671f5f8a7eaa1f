package queue

import "time"

// The pool's spill: past MaxQueued notifications in memory, newer ones wait
// only in the store (onlyInStore counts them), and refills read them back in
// id order once the queues are half empty, so that a backlog of any size
// costs the same memory.

// refillIfLowLocked starts reading spilled notifications back from the
// store once the queues are half empty.
func (p *Pool) refillIfLowLocked() {
	if p.spilled && !p.refilling && !p.stopped && p.inMemory <= p.cfg.MaxQueued/2 {
		p.refilling = true
		p.wg.Add(1)
		go p.refill()
	}
}

// refill reads spilled notifications back from the store, oldest first,
// until the queues are full again or nothing waits only in the store.
func (p *Pool) refill() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if p.stopped {
			p.refilling = false
			p.mu.Unlock()
			return
		}
		after, limit, seen, work := p.cursor, p.cfg.MaxQueued-p.inMemory, p.maxSeen, p.work
		p.arrived = p.arrived[:0]
		p.mu.Unlock()

		rows, err := p.store.PendingNotifications(work, after, limit)
		count := 0
		if err == nil && len(rows) == limit { // still spilled: count for the depth metric
			count, err = p.store.CountPending(work)
		}
		p.mu.Lock()
		arrived := p.arrived
		p.arrived = nil
		if err != nil {
			p.refilling = false
			if !p.stopped {
				time.AfterFunc(p.cfg.MinRetry, func() {
					p.mu.Lock()
					defer p.mu.Unlock()
					p.refillIfLowLocked()
				})
			}
			p.mu.Unlock()
			if work.Err() == nil {
				p.log.Warn("reading waiting notifications back from the store failed; will retry", "err", err)
			}
			return
		}
		for _, n := range rows {
			if !p.queued[n.ID] && !p.stopped {
				p.addLocked(n, false)
			}
		}
		if len(rows) == limit {
			p.cursor = rows[len(rows)-1].ID
			p.loaded = max(p.loaded, p.cursor)
			p.onlyInStore = max(0, count-p.inMemory)
		} else {
			// The refill has caught up with the store: every notification
			// given to Enqueue before the read was stored before it, so
			// those still pending are in rows; those given during the read
			// are in arrived. Later ones go to memory as usual.
			if len(rows) > 0 {
				p.loaded = max(p.loaded, rows[len(rows)-1].ID)
			}
			for _, n := range arrived {
				if !p.queued[n.ID] && n.ID > after && !p.stopped {
					p.addLocked(n, n.ID <= p.loaded)
				}
			}
			p.cursor = max(after, seen, p.maxSeen)
			p.spilled, p.onlyInStore = false, 0
			p.log.Info("inbox back within its memory budget", "in_memory", p.inMemory)
		}
		p.reportDepthLocked()
		if !p.spilled || p.stopped || p.inMemory > p.cfg.MaxQueued/2 {
			p.refilling = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
}
