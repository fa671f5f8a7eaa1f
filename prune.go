package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
)

const (
	pruneEvery = time.Hour // how often finished notifications are pruned
	pruneBatch = 1000      // deleted a transaction, so that webhooks never wait long behind it
)

// prune deletes notifications finished more than keep ago: at start, then
// every pruneEvery, until ctx ends.
func prune(ctx context.Context, store bot.Store, keep time.Duration, log *slog.Logger) {
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		pruneOnce(ctx, store, time.Now().Add(-keep), log)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pruneOnce deletes every notification finished before the given time, a
// batch at a time, and returns how many it deleted.
func pruneOnce(ctx context.Context, store bot.Store, before time.Time, log *slog.Logger) int {
	total := 0
	for ctx.Err() == nil {
		n, err := store.PruneNotifications(ctx, before, pruneBatch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("pruning finished notifications failed; will try again", "deleted", total, "err", err)
			}
			break
		}
		if n < pruneBatch {
			break
		}
	}
	if total > 0 {
		log.Info("pruned finished notifications", "count", total, "finished_before", before.UTC().Format(time.RFC3339))
	}
	return total
}
