package queue

// InMemory returns how many notifications the pool keeps in memory.
func (p *Pool) InMemory() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inMemory
}

// ReconcileOnce runs one round of the reconciliation with the store.
func (p *Pool) ReconcileOnce() error { return p.reconcileOnce() }
