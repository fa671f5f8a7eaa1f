package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Outcome says what the inbox did with a notification body.
type Outcome string

// Outcomes of Inbox.Accept.
const (
	Stored     Outcome = "stored"      // kept durably for the workers
	Duplicate  Outcome = "duplicate"   // the same chat and message id was stored before
	Ignored    Outcome = "ignored"     // a type Frontdesk does not act on
	DeadLetter Outcome = "dead_letter" // not parseable: kept aside
)

// InboxMetrics counts what the inbox accepts.
type InboxMetrics interface {
	Accepted(instance, typeWebhook string, outcome Outcome)
	QuotaExceeded(instance string)
}

// MaxIDBytes bounds a notification's chatId and idMessage: WhatsApp's are
// well under 100 bytes, and a store keys notifications by them (a
// PostgreSQL index entry holds about 2,700 bytes). A longer one is kept in
// the dead letters, not stored for the workers.
const MaxIDBytes = 1024

// ErrUnstorable is wrapped by a Store's error for a notification it cannot
// accept for what it is (a value its database refuses), not for a failure
// of its own: the inbox keeps the body in the dead letters and
// acknowledges it, where any other error is answered 500 and retried.
var ErrUnstorable = errors.New("the store cannot keep this notification")

// ErrOtherInstance is returned by Accept for a body that names another
// instance than the one whose webhook received it: it is refused, never
// stored, so that one instance's token never opens another's webhook.
var ErrOtherInstance = errors.New("the notification names another instance")

// Inbox accepts notification bodies, from the webhook or from polling, and
// stores the ones Frontdesk acts on before they are acknowledged.
type Inbox struct {
	store   Store
	pool    *Pool
	log     *slog.Logger
	metrics InboxMetrics
	// OnState, if set, is told every stateInstanceChanged.
	OnState func(instance, state string)
	// OnQuota, if set, is told every quotaExceeded.
	OnQuota func(instance string, at time.Time)
	// OnStored, if set, is told every notification stored (not the
	// duplicates); the sandbox shows it.
	OnStored func(n Notification)
	// OnPersonWrote, if set, is told at once when a person of the business
	// wrote in a chat (outgoingMessageReceived), before the notification's
	// turn comes: a greeting of that chat waiting for its lookup must learn
	// it now, not after (Fleet.PersonWrote).
	OnPersonWrote func(ctx context.Context, instance, chatID string, at time.Time) error
	now           func() time.Time
}

// NewInbox returns an inbox that hands stored notifications to pool.
func NewInbox(store Store, pool *Pool, log *slog.Logger, metrics InboxMetrics) *Inbox {
	return &Inbox{store: store, pool: pool, log: log, metrics: metrics, now: time.Now}
}

// Accept takes one notification body that reached the webhook (or the
// poller) of instance, an idInstance. It returns an error only when the
// body could not be stored, or names another instance (ErrOtherInstance):
// the caller must then not acknowledge it. A body that cannot be parsed
// goes to the dead letters and is acknowledged, so it never blocks Green
// API's queue.
func (in *Inbox) Accept(ctx context.Context, instance string, body []byte) (Outcome, error) {
	now := in.now()
	parsed, err := greenapi.ParseNotification(body)
	if err != nil {
		if err := in.store.AddDeadLetter(ctx, instance, body, err.Error(), now); err != nil {
			return "", fmt.Errorf("keeping a dead letter: %w", err)
		}
		in.metrics.Accepted(instance, "invalid", DeadLetter)
		in.log.Warn("notification could not be parsed; kept in dead_letters", "instance", instance, "err", err, "bytes", len(body))
		return DeadLetter, nil
	}
	head := parsed.Head()
	if id := head.InstanceData.IDInstance; id != 0 && strconv.FormatInt(id, 10) != instance {
		return "", fmt.Errorf("%w: instanceData.idInstance is %d", ErrOtherInstance, id)
	}
	typ := head.TypeWebhook
	switch n := parsed.(type) {
	case *greenapi.StateInstanceChanged:
		in.log.Info("instance state changed", "instance", instance, "state", n.StateInstance)
		if in.OnState != nil {
			in.OnState(instance, n.StateInstance)
		}
	case *greenapi.QuotaExceeded:
		in.metrics.QuotaExceeded(instance)
		if in.OnQuota != nil {
			in.OnQuota(instance, now)
		}
		in.log.Error("Green API monthly quota exceeded", "instance", instance, "method", n.QuotaData.Method, "status", n.QuotaData.Status,
			"description", n.QuotaData.Description)
	case *greenapi.UnknownNotification:
		// Kept, not acted on: a newer Frontdesk may know what to do with it.
		if err := in.store.AddDeadLetter(ctx, instance, body, "unknown typeWebhook "+typ, now); err != nil {
			return "", fmt.Errorf("keeping an unknown notification: %w", err)
		}
		in.metrics.Accepted(instance, typ, DeadLetter)
		in.log.Info("unknown notification type; kept in dead_letters", "instance", instance, "typeWebhook", typ)
		return DeadLetter, nil
	}
	chatID, idMessage, ok := keyOf(parsed)
	if !ok {
		in.metrics.Accepted(instance, typ, Ignored)
		return Ignored, nil
	}
	n := Notification{Instance: instance, ChatID: chatID, IDMessage: idMessage, TypeWebhook: typ, Body: body, ReceivedAt: now, Parsed: parsed}
	if chatID == "" || idMessage == "" {
		return in.setAside(ctx, instance, typ, body, typ+" without its chat or its id", now)
	}
	if len(n.ChatID) > MaxIDBytes || len(n.IDMessage) > MaxIDBytes {
		reason := fmt.Sprintf("%s: chatId of %d bytes, idMessage of %d: more than the %d bytes an id may have", typ, len(n.ChatID), len(n.IDMessage), MaxIDBytes)
		return in.setAside(ctx, instance, typ, body, reason, now)
	}
	id, err := in.store.AddNotification(ctx, n)
	if errors.Is(err, ErrUnstorable) {
		return in.setAside(ctx, instance, typ, body, err.Error(), now)
	}
	if err != nil {
		return "", err
	}
	if id == 0 {
		in.metrics.Accepted(instance, typ, Duplicate)
		return Duplicate, nil
	}
	n.ID = id
	in.metrics.Accepted(instance, typ, Stored)
	if byPerson, _ := parsed.(*greenapi.OutgoingMessageReceived); byPerson != nil && in.OnPersonWrote != nil {
		at := time.Unix(byPerson.Timestamp, 0)
		if byPerson.Timestamp == 0 {
			at = now
		}
		if err := in.OnPersonWrote(ctx, instance, n.ChatID, at); err != nil {
			// Stored all the same: its turn in the chat's order applies it.
			in.log.Warn("recording that a person wrote failed; it applies when the notification's turn comes", "instance", instance, "err", err)
		}
	}
	if in.OnStored != nil {
		in.OnStored(n)
	}
	in.pool.Enqueue(n)
	return Stored, nil
}

// keyOf returns the chat and the id a notification is stored under, and
// false for a notification the workers have nothing to do with. A message
// is keyed by its chat and idMessage. A call (incomingCall) is keyed by
// its caller and its idMessage with its status: a call sends several
// statuses under one idMessage (offer, then how it ended), each is its own
// notification, and a duplicate of one status is dropped.
func keyOf(parsed greenapi.Notification) (chatID, idMessage string, ok bool) {
	if call, isCall := parsed.(*greenapi.IncomingCall); isCall {
		if call.IDMessage == "" {
			return call.From, "", true
		}
		return call.From, call.IDMessage + "/" + call.Status, true
	}
	msg, ok := greenapi.MessageOf(parsed)
	if !ok {
		return "", "", false
	}
	return msg.SenderData.ChatID, msg.IDMessage, true
}

// setAside keeps a body the inbox will not queue in the dead letters, with
// the reason, and acknowledges it: it never blocks Green API's queue.
func (in *Inbox) setAside(ctx context.Context, instance, typ string, body []byte, reason string, now time.Time) (Outcome, error) {
	if err := in.store.AddDeadLetter(ctx, instance, body, reason, now); err != nil {
		return "", fmt.Errorf("keeping a dead letter: %w", err)
	}
	in.metrics.Accepted(instance, typ, DeadLetter)
	in.log.Warn("notification cannot be stored for the workers; kept in dead_letters", "instance", instance, "typeWebhook", typ, "reason", reason)
	return DeadLetter, nil
}

// Add stores a notification that Frontdesk made itself (the end of a
// menu's wait) and hands it to the pool, unless one of its chat and message
// id is stored already; it reports whether it stored it.
func (in *Inbox) Add(ctx context.Context, n Notification) (bool, error) {
	id, err := in.store.AddNotification(ctx, n)
	if err != nil || id == 0 {
		return false, err
	}
	n.ID = id
	in.pool.Enqueue(n)
	return true, nil
}
