package postgres_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// TestReserveSharesTurnsBetweenProcesses: three stores (as three replicas
// have) on one database reserve turns of one key concurrently; the turns
// they get are never closer than the interval, and another key has its
// own line.
func TestReserveSharesTurnsBetweenProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.SchemaURL(t)
	var replicas []*postgres.DB
	for range 3 {
		s, err := postgres.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		replicas = append(replicas, s)
	}
	const every = 50 * time.Millisecond
	var mu sync.Mutex
	var turns []time.Time
	var wg sync.WaitGroup
	start := time.Now()
	for _, s := range replicas {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wait, err := s.Reserve(ctx, "1101000001:getContactInfo", every)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				turns = append(turns, time.Now().Add(wait))
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	sort.Slice(turns, func(i, j int) bool { return turns[i].Before(turns[j]) })
	for i := 1; i < len(turns); i++ {
		// The turns are reckoned here from the waits the database gave:
		// each is off by its round trip, which a loaded machine stretches
		// to tens of milliseconds (CI under the race detector: 20 ms).
		// Without a shared line the turns of the three would coincide.
		if gap := turns[i].Sub(turns[i-1]); gap < every/2 {
			t.Errorf("turns %d and %d are %v apart; want at least %v", i-1, i, gap, every)
		}
	}
	if span := turns[len(turns)-1].Sub(start); span < 29*every-20*time.Millisecond {
		t.Errorf("30 turns span %v; want about %v", span, 29*every)
	}
	if wait, err := replicas[0].Reserve(ctx, "1101000002:getContactInfo", every); err != nil || wait > 5*time.Millisecond {
		t.Errorf("another instance waits %v, %v; want its own line", wait, err)
	}
}

// TestReserveLineReachesAtMostTheHorizon: a replica with 100 callers that
// want turns 100 ms apart (10 s of them) dies after a moment, its turns
// unused; another replica's next turn comes within about 2 s (the
// horizon), not after the 10 s the dead one would have reserved.
func TestReserveLineReachesAtMostTheHorizon(t *testing.T) {
	t.Parallel()
	db := postgrestest.SchemaURL(t)
	open := func() *postgres.DB {
		s, err := postgres.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	dying, other := open(), open()
	const key, every = "1101000001:getChatHistory", 100 * time.Millisecond
	ctx, die := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer die()
	var wg sync.WaitGroup
	var reserved sync.Map
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if wait, err := dying.Reserve(ctx, key, every); err == nil {
				reserved.Store(i, wait)
			}
		}()
	}
	wg.Wait() // the callers that got no turn gave up with their context
	n, longest := 0, time.Duration(0)
	reserved.Range(func(_, v any) bool {
		n++
		longest = max(longest, v.(time.Duration))
		return true
	})
	if n >= 100 || longest > 2*time.Second+every {
		t.Errorf("the dying replica reserved %d turns, the last %v ahead; want the line cut at about 2 s", n, longest)
	}
	wait, err := other.Reserve(context.Background(), key, every)
	if err != nil {
		t.Fatal(err)
	}
	if wait > 2*time.Second+every {
		t.Errorf("the next replica waits %v for its turn; want at most about 2 s", wait)
	}
	t.Logf("the dying replica reserved %d of 100 turns, the last %v ahead; the next replica waits %v", n, longest.Round(time.Millisecond), wait.Round(time.Millisecond))
}
