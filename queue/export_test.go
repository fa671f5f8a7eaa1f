package queue

// InMemory returns how many notifications the pool keeps in memory.
func (p *Pool) InMemory() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inMemory
}
