package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
)

const (
	pruneEvery = time.Hour // how often old notifications and contacts are pruned
	pruneBatch = 1000      // deleted a transaction, so that webhooks never wait long behind it
)

// retention is how long Frontdesk keeps what it stored; 0: forever.
type retention struct {
	notifications time.Duration // processed notifications
	contacts      time.Duration // profiles, finished first contacts, dead letters
	// chats says whether chats silent for contacts are deleted too: only
	// while no instance greets only a chat's first message ever
	// (new_sender_after 0); asked at each pruning, after reloads.
	chats func() bool
}

// any says whether anything is ever pruned.
func (r retention) any() bool { return r.notifications > 0 || r.contacts > 0 }

// prune deletes what is older than the retention: at start, then every
// pruneEvery, until ctx ends.
func prune(ctx context.Context, store bot.Store, keep retention, log *slog.Logger) {
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		now := time.Now()
		if keep.notifications > 0 {
			pruneOnce(ctx, store, now.Add(-keep.notifications), log)
		}
		if keep.contacts > 0 {
			pruneContacts(ctx, store, now.Add(-keep.contacts), keep.chats(), log)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pruneContacts deletes the personal data older than before: profiles,
// finished first contacts and dead letters, and with chats the chats
// silent since then.
func pruneContacts(ctx context.Context, store bot.Store, before time.Time, chats bool, log *slog.Logger) {
	n, err := store.PruneContacts(ctx, before)
	if err == nil && chats {
		var c int
		c, err = store.PruneChats(ctx, before)
		n += c
	}
	if err != nil && ctx.Err() == nil {
		log.Warn("pruning old contacts failed; will try again", "deleted", n, "err", err)
	}
	if n > 0 {
		log.Info("pruned old contacts", "rows", n, "before", before.UTC().Format(time.RFC3339))
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
