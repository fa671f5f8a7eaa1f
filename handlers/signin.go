package handlers

import (
	"net"
	"sync"
	"time"
)

// Failed sign-ins to the status page (a wrong token at /login, or as
// Bearer or basic auth) are limited per address: signInBurst at once, then
// one every signInEvery; past that the address is answered 429 without its
// token being compared, until its allowance grows back.
const (
	signInBurst = 5
	signInEvery = 12 * time.Second
	// signInAddresses bounds the addresses remembered; with every one of
	// them still limited, a new address is limited too (the listener is a
	// private one: so many addresses failing is an attack).
	signInAddresses = 4096
)

// signIns counts the failed sign-ins of each address: a token bucket each,
// that holds signInBurst tries and gains one every signInEvery.
type signIns struct {
	now func() time.Time

	mu    sync.Mutex
	tries map[string]bucket
}

// bucket is an address's tries left at a time.
type bucket struct {
	left float64
	at   time.Time
}

func newSignIns() *signIns {
	return &signIns{now: time.Now, tries: make(map[string]bucket)}
}

// refilled is b at now.
func (b bucket) refilled(now time.Time) bucket {
	b.left = min(signInBurst, b.left+now.Sub(b.at).Seconds()/signInEvery.Seconds())
	b.at = now
	return b
}

// wait says how long addr must wait before it may try to sign in; 0 when
// it may now.
func (s *signIns) wait(addr string) time.Duration {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.tries[addr]
	if !ok {
		if len(s.tries) >= signInAddresses && !s.pruneLocked(now) {
			return signInEvery
		}
		return 0
	}
	if b = b.refilled(now); b.left >= 1 {
		return 0
	}
	return time.Duration((1 - b.left) * float64(signInEvery))
}

// failed counts a failed sign-in of addr.
func (s *signIns) failed(addr string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.tries[addr]
	if !ok {
		b = bucket{left: signInBurst, at: now}
	}
	b = b.refilled(now)
	b.left = max(0, b.left-1)
	s.tries[addr] = b
}

// pruneLocked forgets the addresses whose allowance has grown back, and
// reports whether it forgot any.
func (s *signIns) pruneLocked(now time.Time) bool {
	n := len(s.tries)
	for addr, b := range s.tries {
		if b.refilled(now).left >= signInBurst {
			delete(s.tries, addr)
		}
	}
	return len(s.tries) < n
}

// remoteAddress is the address a request came from: its connection's
// peer, never a header a client can write.
func remoteAddress(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}
