package groupcommit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeDB is a run function: it records each transaction, and fails a whole
// transaction that holds a "bad" write.
type fakeDB struct {
	mu   sync.Mutex
	txs  [][]string
	gate chan struct{} // the first transaction waits for it
}

func (f *fakeDB) run(batch []string) error {
	f.mu.Lock()
	first := len(f.txs) == 0
	f.txs = append(f.txs, slices.Clone(batch))
	f.mu.Unlock()
	if first && f.gate != nil {
		<-f.gate
	}
	if slices.Contains(batch, "bad") {
		return errors.New("constraint failed")
	}
	return nil
}

func TestWritesWaitingForACommitShareTheNextAndFailuresStayAlone(t *testing.T) {
	db := &fakeDB{gate: make(chan struct{})}
	c := New(100, db.run)
	defer c.Close()
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- c.Do(ctx, "first") }()
	for db.count() == 0 { // the first transaction is in flight
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		w := "good"
		if i == 3 {
			w = "bad"
		}
		wg.Go(func() { errs[i] = c.Do(ctx, w) })
	}
	time.Sleep(50 * time.Millisecond) // all ten are waiting
	close(db.gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Errorf("write %d: %v; only the bad one (3) may fail", i, err)
		}
	}
	// first alone; the ten together (failed); then each alone.
	if got := db.count(); got != 1+1+10 {
		t.Errorf("%d transactions, want 12: %v", got, db.txs)
	}
	if len(db.txs[1]) != 10 {
		t.Errorf("the waiting writes were not committed together: %v", db.txs)
	}
	if got := c.Commits(); got != 1+9 {
		t.Errorf("Commits = %d, want 10", got)
	}
}

func TestAWriteAfterCloseIsRefused(t *testing.T) {
	c := New(10, (&fakeDB{}).run)
	c.Close()
	c.Close()
	if err := c.Do(context.Background(), "late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close = %v, want ErrClosed", err)
	}
}

func (f *fakeDB) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.txs)
}
