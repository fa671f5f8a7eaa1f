package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
)

// sharedMethods are the methods whose per-instance limits replicas share
// through the store; getContactInfo's turns are taken by bot.Lookups, and
// the rest (the probe, polling, which one replica does) stay per process.
var sharedMethods = map[string]bool{greenapi.MethodSendMessage: true, greenapi.MethodGetChatHistory: true,
	greenapi.MethodSendPoll: true, greenapi.MethodSendButtons: true}

// sharedInterval is the time between two turns of a method Green API allows
// perSecond times a second: 10% more than the limit's own, because turns
// handed out exactly at the limit reach Green API with the network's
// jitter, and two of them a little closer than allowed are one 429.
func sharedInterval(perSecond float64) time.Duration {
	return time.Duration(1.1 * float64(time.Second) / perSecond)
}

// sharedLimiter gives the calls of sharedMethods their turns from pacer,
// under the instance's id, at 90% of Green API's documented rates. When the store
// cannot give a turn, the call falls back to the client's own limiter and
// the failure is logged once per minute.
func sharedLimiter(pacer pacing.Pacer, idInstance string, log *slog.Logger) func(context.Context, string) (bool, error) {
	limits := greenapi.DefaultLimits()
	var lastWarn atomic.Int64 // Unix nanoseconds
	return func(ctx context.Context, method string) (bool, error) {
		if !sharedMethods[method] {
			return false, nil
		}
		wait, err := pacer.Reserve(ctx, idInstance+":"+method, sharedInterval(float64(limits[method])))
		if err != nil {
			if now := time.Now().UnixNano(); now-lastWarn.Load() > int64(time.Minute) {
				lastWarn.Store(now)
				log.Warn("the shared rate limit is unavailable; this replica keeps to its own", "method", method, "err", err)
			}
			return false, nil
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return true, ctx.Err()
			case <-t.C:
			}
		}
		return true, nil
	}
}
