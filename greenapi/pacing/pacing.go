// Package pacing is the discipline of Frontdesk's calls to Green API: the
// turns of its per-instance rate limits (Pacer, shared between replicas by
// store/postgres), the guard that pauses every call while an instance is
// down and probes until it is back (Guard), and the error that says a call
// or a notification cannot go on yet and when it may (WaitError). It knows
// Green API's calls and what their failures mean; it knows nothing of
// conversations, nor of the queue that honours its waits.
package pacing

import (
	"context"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// API is the Green API calls Frontdesk makes; *greenapi.Client has them,
// and a *Guard wraps them.
type API interface {
	GetContactInfo(ctx context.Context, chatID string) (*greenapi.ContactInfo, error)
	SendMessage(ctx context.Context, p greenapi.SendMessageParams) (string, error)
	SendFileByURL(ctx context.Context, p greenapi.SendFileParams) (string, error)
	SendPoll(ctx context.Context, p greenapi.SendPollParams) (string, error)
	SendButtons(ctx context.Context, p greenapi.SendButtonsParams) (string, error)
	GetChatHistory(ctx context.Context, chatID string, count int) ([]greenapi.HistoryMessage, error)
}
