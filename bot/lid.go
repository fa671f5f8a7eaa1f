// Chats named by WhatsApp's linked ids (`…@lid`) instead of a phone
// number. Their notifications may carry the sender's number
// (senderData.senderPhoneNumber): it then chooses the language, matches
// IGNORE_CHATS and shows in the operators' summary, as an `@c.us` chat's
// own number does; frontdesk forget finds them by it while their
// notifications are kept. Without it, the script of the message chooses
// the language (senderLocale).

package bot

import (
	"context"
	"slices"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// phoneOf is the Sender.Phone of a notification's sender: the number an
// `@lid` chat's notification carries, "" for any other chat (its id has
// the number) or none.
func phoneOf(sd greenapi.SenderData) string {
	if greenapi.IsLID(sd.ChatID) {
		if digits, ok := sd.Phone(); ok {
			return digits
		}
	}
	return ""
}

// LIDChatsOf returns the `@lid` chats whose stored notifications carried
// the phone number digits as their sender's, sorted. Only the incoming
// messages' notifications
// still kept (KEEP_NOTIFICATIONS) are read, and only a sender's own
// number counts: the digits written in a message's text do not.
func LIDChatsOf(ctx context.Context, store Store, digits string) ([]string, error) {
	notifications, err := store.LIDNotifications(ctx, digits)
	if err != nil {
		return nil, err
	}
	var chats []string
	for _, n := range notifications {
		parsed, err := greenapi.ParseNotification(n.Body)
		if err != nil {
			continue
		}
		// Only what the person wrote: an outgoing message's number would be
		// the business's own.
		in, ok := parsed.(*greenapi.IncomingMessageReceived)
		if !ok || in.SenderData.ChatID != n.ChatID || phoneOf(in.SenderData) != digits {
			continue
		}
		if !slices.Contains(chats, n.ChatID) {
			chats = append(chats, n.ChatID)
		}
	}
	slices.Sort(chats)
	return chats, nil
}
