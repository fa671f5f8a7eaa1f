// Package queue is Frontdesk's work machinery: it accepts a notification
// body (from the webhook or from polling), stores it durably before it is
// acknowledged, and hands each stored notification to a handler function,
// one chat's notifications one at a time and in order, many chats in
// parallel (Pool), with a memory budget past which the backlog waits only
// in the store (spill), the rescue of the work of replicas that died, the
// fleet of handlers per Green API instance, and the leadership of the
// duties only one replica should do (Lead). It knows a notification, a
// store and a handler; it knows nothing of what a handler says to whom:
// menus, rules and locales belong to package bot.
package queue

import (
	"context"
	"errors"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Notification is a webhook body kept in the durable inbox.
type Notification struct {
	ID int64
	// Instance is the idInstance of the Green API instance (the WhatsApp
	// number) the notification came from: every chat is a chat of one
	// instance.
	Instance    string
	ChatID      string
	IDMessage   string
	TypeWebhook string
	Body        []byte
	ReceivedAt  time.Time
	// Finished is set by GetNotification when the notification was
	// already processed.
	Finished bool

	// Parsed is Body parsed, when the inbox hands a notification over
	// in memory; nil when it was read back from the store.
	Parsed greenapi.Notification
}

// Store is what the machinery needs of the durable inbox. Implementations:
// store/sqlite and store/postgres, held to store/storetest. Every method
// is safe for concurrent use.
type Store interface {
	// AddNotification stores n durably unless a notification with the same
	// chat and message id is there already; it returns the new id, or 0 for
	// a duplicate.
	AddNotification(ctx context.Context, n Notification) (id int64, err error)
	// AddDeadLetter durably keeps a body that could not be parsed, with
	// the instance whose webhook received it.
	AddDeadLetter(ctx context.Context, instance string, body []byte, reason string, at time.Time) error
	// PendingNotifications lists the ids and chats of at most limit
	// unfinished notifications with an id above after, oldest first.
	PendingNotifications(ctx context.Context, after int64, limit int) ([]Notification, error)
	// GetNotification returns one stored notification with its body, and
	// whether it is finished.
	GetNotification(ctx context.Context, id int64) (Notification, error)
	// FinishNotification marks a notification as processed.
	FinishNotification(ctx context.Context, id int64, at time.Time) error
	// CountPending returns how many notifications are unfinished.
	CountPending(ctx context.Context) (int, error)
	// PendingOf returns how many notifications of an instance are
	// unfinished, whichever replica works them.
	PendingOf(ctx context.Context, instance string) (int, error)
}

// ErrPermanent marks a failure that retrying will not mend; the notification
// is set aside instead of retried.
var ErrPermanent = errors.New("permanent failure")
