package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// poll takes notifications from the instance's queue, for businesses
// without a public URL. A notification is deleted only once stored; if
// deleting fails it comes back, and the inbox drops the duplicate.
func poll(ctx context.Context, instance string, client *greenapi.Client, inbox *queue.Inbox, log *slog.Logger) {
	failures := 0
	pause := func(err error, what string) {
		failures++
		d := min(time.Second<<min(failures-1, 6), time.Minute)
		log.Warn(what+"; retrying", "err", err, "retry_in", d)
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	for ctx.Err() == nil {
		n, err := client.ReceiveNotification(ctx, 5)
		if err != nil {
			if ctx.Err() == nil {
				pause(err, "receiveNotification failed")
			}
			continue
		}
		if n == nil {
			failures = 0
			continue
		}
		if _, err := inbox.Accept(ctx, instance, n.Body); err != nil {
			pause(err, "storing a received notification failed; it stays in Green API's queue")
			continue
		}
		if err := client.DeleteNotification(ctx, n.ReceiptID); err != nil && ctx.Err() == nil {
			pause(err, "deleteNotification failed; the notification will come back and be dropped as a duplicate")
			continue
		}
		failures = 0
	}
}
