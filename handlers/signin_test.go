package handlers

import (
	"fmt"
	"testing"
	"time"
)

// TestSignInAllowanceGrowsBack: after its 5 failures an address waits 12 s
// for one more try, and a full table of addresses forgets those whose
// allowance has grown back.
func TestSignInAllowanceGrowsBack(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s := newSignIns()
	s.now = func() time.Time { return now }
	for range signInBurst {
		if w := s.wait("a"); w != 0 {
			t.Fatalf("wait %v before the burst is spent", w)
		}
		s.failed("a")
	}
	if w := s.wait("a"); w != signInEvery {
		t.Errorf("after %d failures: wait %v, want %v", signInBurst, w, signInEvery)
	}
	now = now.Add(signInEvery / 2)
	if w := s.wait("a"); w != signInEvery/2 {
		t.Errorf("halfway: wait %v, want %v", w, signInEvery/2)
	}
	now = now.Add(signInEvery / 2)
	if w := s.wait("a"); w != 0 {
		t.Errorf("after %v: wait %v, want a try", signInEvery, w)
	}
	s.failed("a")
	if w := s.wait("a"); w == 0 {
		t.Error("the try that grew back was not spent")
	}

	for i := range signInAddresses {
		s.failed(fmt.Sprint(i))
	}
	if w := s.wait("new"); w == 0 {
		t.Error("a new address signs in while the table is full of limited ones")
	}
	now = now.Add(signInBurst * signInEvery)
	if w := s.wait("new"); w != 0 {
		t.Errorf("once the others' allowances grew back, a new address waits %v", w)
	}
}
