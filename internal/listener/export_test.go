package listener

// Waiting lists the remote addresses of the connections that wait without
// a request in flight, the one waiting longest first.
func (l *Listener) Waiting() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for c := l.head; c != nil; c = c.next {
		out = append(out, c.RemoteAddr().String())
	}
	return out
}
