// Package listener caps the connections an HTTP server holds open without
// letting idle ones lock new clients out: at the cap, the connection that
// has waited longest without a request in flight (idle between requests,
// or silent since it connected) is closed to make room for the new one.
//
// netutil.LimitListener, which it replaces, leaves a new connection in the
// kernel's backlog until one closes: a client that opens the cap's worth of
// keep-alive connections, one cheap request each, then holds every slot
// for the server's idle timeout, and the webhook waits behind it.
package listener

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Listener is a net.Listener with at most a cap of connections open. Its
// ConnState must be the http.Server's ConnState: it learns from it which
// connections wait for a request.
type Listener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open int
	// head is the connection that has waited longest without a request in
	// flight, tail the latest; a connection in flight is in no list.
	head, tail *conn

	room      chan struct{} // a slot freed, or a connection began to wait
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	evicted   atomic.Int64
}

// New caps ln's open connections at max.
func New(ln net.Listener, max int) *Listener {
	return &Listener{Listener: ln, max: max, room: make(chan struct{}, 1), done: make(chan struct{})}
}

// conn is an accepted connection that releases its slot when closed.
type conn struct {
	net.Conn
	l *Listener

	// Under l.mu:
	prev, next *conn
	waiting    bool // in the list
	released   bool // closed: never listed again
}

// Accept waits for a connection. At the cap it closes the connection that
// has waited longest without a request in flight; with none waiting it
// holds the new connection until a slot frees or one begins to wait.
func (l *Listener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		if l.open < l.max {
			l.open++
			c := &conn{Conn: nc, l: l}
			l.pushLocked(c) // silent until its first request
			l.mu.Unlock()
			return c, nil
		}
		victim := l.head
		if victim != nil {
			l.removeLocked(victim)
		}
		l.mu.Unlock()
		if victim != nil {
			l.evicted.Add(1)
			_ = victim.Close() // frees its slot
			continue
		}
		select {
		case <-l.room:
		case <-l.done:
			nc.Close()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener; a connection held for a slot is dropped.
// Connections already accepted stay open.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// ConnState is given to http.Server.ConnState: a connection with a request
// in flight is never closed to make room; an idle one may be.
func (l *Listener) ConnState(nc net.Conn, state http.ConnState) {
	c, ok := nc.(*conn)
	if !ok {
		return
	}
	switch state {
	case http.StateActive, http.StateHijacked:
		l.mu.Lock()
		l.removeLocked(c)
		l.mu.Unlock()
	case http.StateIdle:
		l.mu.Lock()
		if !c.released && !c.waiting {
			l.pushLocked(c)
		}
		l.mu.Unlock()
		l.signal()
	}
}

// Evicted counts the connections closed to make room for new ones.
func (l *Listener) Evicted() int64 { return l.evicted.Load() }

// release frees c's slot, once.
func (l *Listener) release(c *conn) {
	l.mu.Lock()
	if c.released {
		l.mu.Unlock()
		return
	}
	c.released = true
	l.removeLocked(c)
	l.open--
	l.mu.Unlock()
	l.signal()
}

// signal wakes an Accept waiting for room.
func (l *Listener) signal() {
	select {
	case l.room <- struct{}{}:
	default:
	}
}

// pushLocked lists c as the latest connection to wait. The list is linked
// through the connections themselves: no allocation per request.
func (l *Listener) pushLocked(c *conn) {
	c.prev, c.next, c.waiting = l.tail, nil, true
	if l.tail != nil {
		l.tail.next = c
	} else {
		l.head = c
	}
	l.tail = c
}

// removeLocked takes c out of the list, if it is in it.
func (l *Listener) removeLocked(c *conn) {
	if !c.waiting {
		return
	}
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.tail = c.prev
	}
	c.prev, c.next, c.waiting = nil, nil, false
}

// Close closes the connection and frees its slot.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.l.release(c)
	return err
}
