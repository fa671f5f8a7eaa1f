package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
)

// BenchmarkReconcileRound is the cost of one round of the pool's
// reconciliation with the store (every 5 s), with 0 and 1,000 notifications
// pending and held (a handler that never finishes): one count when nothing
// is missing.
func BenchmarkReconcileRound(b *testing.B) {
	for _, name := range storeNames {
		for _, pending := range []int{0, 1000} {
			b.Run(fmt.Sprintf("%s/pending=%d", name, pending), func(b *testing.B) {
				s := openStore(b, name)
				block := make(chan struct{})
				b.Cleanup(func() { close(block) })
				handle := func(ctx context.Context, n queue.Notification) error {
					select {
					case <-block:
					case <-ctx.Done():
					}
					return ctx.Err()
				}
				pool := queue.NewPool(s, handle, queue.PoolConfig{ReconcileEvery: time.Hour, MaxActiveChats: 1}, discard(), nil)
				if err := pool.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					pool.Stop(ctx)
				})
				for i := range pending {
					n := queue.Notification{Instance: "1101000001", ChatID: fmt.Sprintf("%d@c.us", i), IDMessage: "m", TypeWebhook: "incomingMessageReceived",
						Body: []byte("{}"), ReceivedAt: time.Now()}
					id, err := s.AddNotification(context.Background(), n)
					if err != nil {
						b.Fatal(err)
					}
					n.ID = id
					pool.Enqueue(n)
				}
				b.ResetTimer()
				for b.Loop() {
					if err := pool.ReconcileOnce(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
