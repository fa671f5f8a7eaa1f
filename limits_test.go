package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// TestReplicasShareSendMessagesLimit: two replicas on one PostgreSQL send
// 60 messages each at once; Green API allows 50 sendMessage a second for
// the instance. Each replica's own limiter alone would send 100 a second.
func TestReplicasShareSendMessagesLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.SchemaURL(t)
	fake := greenapitest.New(t)
	var wg sync.WaitGroup
	start := time.Now()
	for r := range 2 {
		store, err := postgres.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		cfg := fake.Config()
		cfg.MaxAttempts = 1 // a 429 is counted, not retried away
		cfg.Limiter = sharedLimiter(store, fake.IDInstance, logtest.Logger())
		client, err := greenapi.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 60 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := client.SendMessage(ctx, greenapi.SendMessageParams{ChatID: fmt.Sprintf("1212555%04d@c.us", r*100+i), Message: "hi"}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	took := time.Since(start)
	limited := 0
	for _, c := range fake.Calls(greenapi.MethodSendMessage) {
		if c.Status == 429 {
			limited++
		}
	}
	t.Logf("RELIABILITY replicas sendMessage: 2 replicas, 120 messages in %v, %d answered 429", took.Round(time.Millisecond), limited)
	if limited != 0 {
		t.Errorf("%d of 120 messages answered 429", limited)
	}
	if took < 2*time.Second-100*time.Millisecond {
		t.Errorf("120 messages took %v; at about 45 a second for the instance they take about 2.6 s", took)
	}
}
